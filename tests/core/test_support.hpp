// Small builders shared by the core tests.
#pragma once

#include <string>
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

inline std::vector<FindingKind> kinds(const std::vector<Finding>& findings) {
    std::vector<FindingKind> out;
    for (const Finding& f : findings) out.push_back(f.kind);
    return out;
}

inline std::string source_path(const std::string& relative) {
    return std::string(PERMWATCH_SOURCE_DIR) + "/" + relative;
}

}  // namespace permwatch::test
