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

std::vector<Finding> evaluate(const SecurityDescriptor& sd,
                              const std::vector<ResolvedRequirement>& requirements);

}  // namespace permwatch
