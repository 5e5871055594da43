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

std::vector<Finding> evaluate(const SecurityDescriptor& sd,
                              const std::vector<ResolvedRequirement>& requirements);

}  // namespace permwatch
