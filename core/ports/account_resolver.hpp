// Port: turns the policy's account names and "logon account of service X"
// into SIDs. The Windows adapter asks LSA and the SCM; the snapshot adapter
// reads the snapshot's "accounts" map.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/security/sid.hpp"

namespace permwatch {

struct AccountLookup {
    std::optional<Sid> sid;
    std::string error;  // why it could not be resolved, when sid is empty
};

class AccountResolver {
public:
    virtual ~AccountResolver() = default;
    // "DOMAIN\\name" or "name".
    virtual AccountLookup account_sid(std::string_view account_name) = 0;
    // The logon account the SCM has for this service, as a SID.
    virtual AccountLookup service_account_sid(std::string_view service_name) = 0;
    // The groups a logon of this account carries, local and global, where
    // they can be learned (a user account); empty when they cannot. A deny
    // for one of them takes rights from the account.
    virtual std::vector<Sid> account_groups(const Sid& account) {
        (void)account;
        return {};
    }
};

}  // namespace permwatch
