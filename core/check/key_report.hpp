// The result of checking one key, and the `check`/`repair` output built from
// a list of them (docs/reference.md "check and repair output", "Exit codes").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/check/evaluation.hpp"
#include "core/check/findings.hpp"
#include "core/ports/ports.hpp"

namespace permwatch {

// absent: a key learned from the cluster ("keys": "auto") that does not exist
// on this node yet. Not drift: the checkpoint restore creates it, and it is
// checked once it exists.
enum class KeyState { compliant, drift, repaired, error, flapping, absent };
std::string_view to_string(KeyState state);

struct KeyReport {
    std::string path;  // as the config wrote it
    KeyState state = KeyState::compliant;
    std::optional<std::string> sddl;          // current descriptor
    std::optional<std::string> planned_sddl;  // what repair would write
    std::vector<Finding> findings;
    std::vector<std::string> blockers;  // why repair cannot fix it all
    // The descriptor planned_sddl was formatted from, so a repair writes it
    // without parsing the text back.
    std::optional<SecurityDescriptor> planned;
};

// Evaluates and plans one key. `current` is null when the key does not exist.
KeyReport check_key(const KeyPolicy& policy, const SecurityDescriptor* current,
                    AccountResolver& accounts);
// The same; with format_current false, `sddl` is left empty (the engine keeps
// the text of a descriptor it has already formatted).
KeyReport check_key(const KeyPolicy& policy, const SecurityDescriptor* current,
                    AccountResolver& accounts, bool format_current);

// The report for a read through a port: checked when read, missing when the
// key does not exist, an error naming why when it could not be read.
KeyReport check_read(const KeyPolicy& policy, const KeyRead& read, AccountResolver& accounts);

// A key that could not be read at all (access denied, bad data).
KeyReport key_error(const KeyPolicy& policy, FindingKind kind, std::string message);

// 2 if any key is in error, else 1 if any drift or flapping, else 0.
int check_exit_code(const std::vector<KeyReport>& reports);

nlohmann::ordered_json to_json(const Finding& finding);
nlohmann::ordered_json to_json(const std::vector<KeyReport>& reports);
std::string to_text(const std::vector<KeyReport>& reports);

}  // namespace permwatch
