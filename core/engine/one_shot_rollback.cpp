#include "core/engine/one_shot_rollback.hpp"

#include <algorithm>

#include "core/engine/apply_outcome.hpp"
#include "core/engine/apply_plan.hpp"
#include "core/security/key_path.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {

RollbackPlan plan_rollback_of_keys(const JournalContents& journal,
                                   const std::vector<std::string>& policy_keys,
                                   const std::optional<std::string>& to_id,
                                   const std::vector<std::string>& keys) {
    if (keys.empty()) return plan_rollback(journal, policy_keys, to_id, std::nullopt);
    RollbackPlan all;
    for (const std::string& key : keys) {
        RollbackPlan one = plan_rollback(journal, policy_keys, to_id, key);
        if (!one.error.empty()) return one;
        for (RollbackTarget& t : one.targets) {
            const bool seen =
                std::any_of(all.targets.begin(), all.targets.end(),
                            [&](const RollbackTarget& s) { return same_key_path(s.key, t.key); });
            if (!seen) all.targets.push_back(std::move(t));
        }
    }
    return all;
}

std::optional<std::string> unreadable_rollback_target(RegistryPort& registry,
                                                      const RollbackPlan& plan) {
    for (const RollbackTarget& t : plan.targets) {
        const KeyRead now = registry.read(t.key);
        if (now.status != KeyRead::Status::ok) return now.error + "; nothing was rolled back";
    }
    return std::nullopt;
}

int apply_rollback(const RollbackPlan& plan, RegistryPort& registry, Journal& journal, Clock& clock,
                   std::ostream& out, std::ostream& err) {
    int code = 0;
    for (const RollbackTarget& t : plan.targets) {
        // t.dacl is never a missing DACL made empty (plan_rollback refuses
        // that); a null DACL stays null.
        const AppliedPlan applied =
            apply_plan(registry, journal, t.key, "rollback", format_utc(clock.wall()),
                       [&](const SecurityDescriptor& current) -> std::optional<PlannedDacl> {
                           return PlannedDacl{t.dacl, format_sddl(current), t.sddl};
                       });
        if (applied.outcome == AppliedPlan::Outcome::written) {
            out << t.key << ": restored the DACL recorded before journal entry " << t.from_id
                << " (journal entry " << applied.entry.id << ")\n";
            for (const std::string& problem : applied.propagation.problems)
                err << "permwatch: " << t.key << ": " << problem << "\n";
            continue;
        }
        // The planner always plans, so nothing_to_do cannot happen here.
        err << "permwatch: "
            << describe_failure(applied, t.key, "rolled back").value_or(t.key + " not rolled back")
            << "\n";
        code = 2;
    }
    return code;
}

}  // namespace permwatch
