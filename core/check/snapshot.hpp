// Snapshot files (docs/reference.md "Snapshot file"): key path -> SDDL, plus the
// accounts that resolve `service_account_of` offline. Written by `export`,
// read by `check --snapshot`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/config.hpp"
#include "core/ports/account_resolver.hpp"
#include "core/security/security_descriptor.hpp"

namespace permwatch {

struct Snapshot {
    // In file order; paths as the file wrote them.
    std::vector<std::pair<std::string, SecurityDescriptor>> keys;
    // Service name or account name -> SID.
    std::map<std::string, Sid> accounts;
    // Account SID -> the groups its logon carries (optional "groups"), for
    // denies to a group of the account; absent: none known.
    std::map<Sid, std::vector<Sid>> groups;

    const SecurityDescriptor* find(std::string_view key_path) const;
};

struct SnapshotResult {
    std::optional<Snapshot> snapshot;
    std::vector<ConfigProblem> problems;  // JSON pointer + message, like the config
};

SnapshotResult load_snapshot(std::string_view json_text);

// The JSON document `export` writes.
std::string format_snapshot(const std::vector<std::pair<std::string, std::string>>& key_sddl);

// Resolves accounts from the snapshot's "accounts" map.
class SnapshotAccounts final : public AccountResolver {
public:
    explicit SnapshotAccounts(const Snapshot& snapshot) : snapshot_(snapshot) {}
    AccountLookup account_sid(std::string_view account_name) override;
    AccountLookup service_account_sid(std::string_view service_name) override;
    std::vector<Sid> account_groups(const Sid& account) override;

private:
    const Snapshot& snapshot_;
};

}  // namespace permwatch
