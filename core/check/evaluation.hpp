// Evaluation: a key's descriptor against its resolved requirements -> findings.
// Compares by SID; group membership is not expanded (a requirement for a user
// is not met by an ACE for a group the user belongs to).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/check/findings.hpp"
#include "core/policy/config.hpp"
#include "core/ports/account_resolver.hpp"
#include "core/security/security_descriptor.hpp"

namespace permwatch {

struct ResolvedRequirement {
    Requirement requirement;
    std::optional<Sid> sid;  // empty: the principal could not be resolved
    std::string unresolved_reason;
    // The groups a logon of the principal carries, as far as they could be
    // learned (AccountResolver::account_groups).
    std::vector<Sid> groups = {};
    // For a `service_account_of` principal, the service's own SID
    // (S-1-5-80-...), when its name allows computing it.
    std::optional<Sid> service_sid = std::nullopt;
};

// Resolves each requirement's principal; never throws for an unknown account.
std::vector<ResolvedRequirement> resolve_requirements(const KeyPolicy& key,
                                                      AccountResolver& accounts);

// Whether a deny ACE takes rights away where a requirement with these inherit
// flags needs them. Unlike an allow, a deny cut off by NP still blocks the first
// level of subkeys, so it counts.
bool deny_reaches(const Ace& deny, std::uint8_t required_inherit);

// Whether a deny ACE for `deny_sid` takes rights from the requirement's
// principal: a deny for any SID a service logon token of that principal
// carries. For every principal: its own SID and Everyone. For every principal
// but Everyone and Anonymous (whose tokens hold nothing more): Authenticated
// Users (S-1-5-11), Users (S-1-5-32-545), LOCAL (S-1-2-0) and This
// Organization (S-1-5-15), and the groups learned for it
// (ResolvedRequirement::groups). For a service account (a
// `service_account_of` principal, LocalService, NetworkService or a service
// SID): SERVICE (S-1-5-6), ALL SERVICES (S-1-5-80-0) and the service's own SID
// (S-1-5-80-..., computed from its name; when the name cannot be hashed, any
// per-service SID counts). Wider than a given token may be, on purpose: a
// deny counted wrongly costs a finding, one missed costs a failover.
bool deny_applies(const Sid& deny_sid, const ResolvedRequirement& requirement);

// How a finding names the deny's SID: "Everyone", "Users (S-1-5-32-545)", ...,
// "the service's own SID (S-1-5-80-...)", "S-1-5-32-544 (a group of the
// account)", or the SID string.
std::string deny_sid_words(const Sid& deny_sid);
std::string deny_sid_words(const Sid& deny_sid, const ResolvedRequirement& requirement);

// "deny", "object deny" or "conditional deny", for a finding.
std::string deny_kind_words(AceType type);
// "a deny ACE", "an inherited object deny ACE", ...
std::string deny_ace_words(const Ace& ace);

std::vector<Finding> evaluate(const SecurityDescriptor& sd,
                              const std::vector<ResolvedRequirement>& requirements);

}  // namespace permwatch
