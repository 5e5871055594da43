// AccountResolver on Windows: LSA for names, the SCM for a service's logon
// account.
#pragma once

#include "core/ports/account_resolver.hpp"

namespace permwatch::win {

class Win32Accounts final : public AccountResolver {
public:
    AccountLookup account_sid(std::string_view account_name) override;
    AccountLookup service_account_sid(std::string_view service_name) override;
    // NetUserGetLocalGroups (with nested ones) and NetUserGetGroups, for a
    // user account (S-1-5-21-...); empty for any other SID or on any error.
    std::vector<Sid> account_groups(const Sid& account) override;
};

// The SID for an SCM logon account name, before asking LSA: "LocalSystem" is
// the SCM's own spelling for SYSTEM and LookupAccountName does not know it
// (neither does Wine: docs/testing.md (e)). nullopt when not a special name.
std::optional<Sid> well_known_logon_account(std::string_view name);

}  // namespace permwatch::win
