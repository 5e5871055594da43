// Small builders shared by the core tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/check/evaluation.hpp"
#include "core/security/sddl.hpp"

namespace permwatch::test {

inline ResolvedRequirement requirement(const std::string& sid, AccessMask rights,
                                       std::uint8_t inherit = ace_flags::container_inherit) {
    ResolvedRequirement r;
    r.requirement.principal.kind = Principal::Kind::sid;
    r.requirement.principal.sid = *Sid::parse(sid);
    r.requirement.rights = rights;
    r.requirement.inherit = inherit;
    r.sid = r.requirement.principal.sid;
    return r;
}

// A service_account_of requirement whose service could not be resolved.
inline ResolvedRequirement unresolved_service_account(const std::string& service, AccessMask rights,
                                                      const std::string& reason) {
    ResolvedRequirement r;
    r.requirement.principal.kind = Principal::Kind::service_account_of;
    r.requirement.principal.name = service;
    r.requirement.rights = rights;
    r.unresolved_reason = reason;
    return r;
}

inline std::vector<FindingKind> kinds(const std::vector<Finding>& findings) {
    std::vector<FindingKind> out;
    for (const Finding& f : findings) out.push_back(f.kind);
    return out;
}

inline std::string source_path(const std::string& relative) {
    return std::string(PERMWATCH_SOURCE_DIR) + "/" + relative;
}

using PathPairs = std::vector<std::pair<std::string, std::string>>;

// A path comparison (same_key_path, same_file_path) calls each pair of `same`
// one path and each pair of `different` two.
template <class Compare>
void expect_path_comparison(Compare compare, const PathPairs& same, const PathPairs& different) {
    for (const auto& [a, b] : same) EXPECT_TRUE(compare(a, b)) << a << " and " << b;
    for (const auto& [a, b] : different) EXPECT_FALSE(compare(a, b)) << a << " and " << b;
}

}  // namespace permwatch::test
