// Repair planning: the smallest new descriptor that satisfies the policy.
// Keeps every existing ACE, widens or adds allow ACEs, trims deny ACEs that
// name exactly the principal, puts the DACL in canonical order, and leaves
// protection flags and inherited ACEs as they were.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/check/evaluation.hpp"

namespace permwatch {

struct RepairPlan {
    // The descriptor to write; empty when nothing needs writing or when the key
    // cannot be repaired (see blockers).
    std::optional<SecurityDescriptor> planned;
    // Why the key cannot be fully repaired (a deny for Everyone, an inherited
    // deny, an unresolved account). Empty when the plan fixes everything.
    std::vector<std::string> blockers;

    bool complete() const { return blockers.empty(); }
};

RepairPlan plan_repair(const SecurityDescriptor& current,
                       const std::vector<ResolvedRequirement>& requirements);

}  // namespace permwatch
