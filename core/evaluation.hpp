// Evaluation: a key's descriptor against its resolved requirements -> findings.
// Compares by SID; group membership is not expanded (a requirement for a user
// is not met by an ACE for a group the user belongs to).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/account_resolver.hpp"
#include "core/config.hpp"
#include "core/findings.hpp"
#include "core/security_descriptor.hpp"

namespace permwatch {

struct ResolvedRequirement {
    Requirement requirement;
    std::optional<Sid> sid;  // empty: the principal could not be resolved
    std::string unresolved_reason;
};

// Resolves each requirement's principal; never throws for an unknown account.
std::vector<ResolvedRequirement> resolve_requirements(const KeyPolicy& key,
                                                      AccountResolver& accounts);

// Whether a deny ACE takes rights away where a requirement with these inherit
// flags needs them. Unlike an allow, a deny cut off by NP still blocks the first
// level of subkeys, so it counts.
bool deny_reaches(const Ace& deny, std::uint8_t required_inherit);

// Whether a deny ACE for `deny_sid` takes rights from the requirement's
// principal: a deny for the principal's own SID, for Everyone, for
// Authenticated Users (every principal but Everyone and Anonymous: a logon,
// LocalSystem included, carries S-1-5-11), or, when the principal is a service
// account, for the SERVICE group (S-1-5-6, in every service's token). A service
// account is a `service_account_of` principal, LocalService (S-1-5-19),
// NetworkService (S-1-5-20) or a service SID (S-1-5-80-...). Other group
// memberships are not known offline and are not expanded.
bool deny_applies(const Sid& deny_sid, const ResolvedRequirement& requirement);

// How a finding names the deny's SID: "Everyone", "Authenticated Users",
// "SERVICE", or the SID string.
std::string deny_sid_words(const Sid& deny_sid);

std::vector<Finding> evaluate(const SecurityDescriptor& sd,
                              const std::vector<ResolvedRequirement>& requirements);

}  // namespace permwatch
