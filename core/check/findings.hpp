// What evaluation reports about one key (docs/reference.md "check and repair output").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace permwatch {

enum class FindingKind {
    missing_rights,
    blocked_by_deny,
    not_inherited,
    non_canonical,
    null_dacl,
    unresolved_account,
    key_missing,
    read_failed,    // added to the contract's list: the key exists but could not be read
    repair_failed,  // added: the repair could not be journaled or written
};

enum class Severity { warning, error };

struct Finding {
    FindingKind kind = FindingKind::missing_rights;
    Severity severity = Severity::error;
    std::optional<std::string> principal;  // SID string, or the policy's text when unresolved
    std::string message;                   // in words, for an administrator

    friend bool operator==(const Finding&, const Finding&) = default;
};

std::string_view to_string(FindingKind kind);
std::string_view to_string(Severity severity);

}  // namespace permwatch
