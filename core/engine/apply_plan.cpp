#include "core/engine/apply_plan.hpp"

#include "core/security/sddl.hpp"

namespace permwatch {

AppliedPlan apply_plan(RegistryPort& registry, Journal& journal, const std::string& path,
                       const std::string& reason, const std::string& time,
                       const DaclPlanner& plan) {
    AppliedPlan result;
    bool planned = false;
    bool journaled = false;
    std::optional<std::string> update_problem;
    KeyUpdate update = registry.update_dacl(
        path,
        [&](const SecurityDescriptor& current) -> std::optional<Acl> {
            std::optional<PlannedDacl> p = plan(current);
            if (!p) return std::nullopt;
            planned = true;
            result.entry.time = time;
            result.entry.key = path;
            result.entry.reason = reason;
            result.entry.before = std::move(p->before);
            result.entry.after = std::move(p->after);
            // Nothing may be written that the journal does not hold.
            if (auto error = journal.append(result.entry)) {
                result.error = std::move(*error);
                return std::nullopt;
            }
            journaled = true;
            return std::move(p->dacl);
        },
        [&](const std::string& subkey, const SecurityDescriptor& before, const Acl& after) {
            SecurityDescriptor planned = before;
            planned.dacl = after;
            JournalEntry entry{{}, time, subkey, reason, format_sddl(before), format_sddl(planned)};
            if (auto error = journal.append(entry)) {
                update_problem = subkey + " not journaled, so neither it nor what is below it " +
                                 "was written: " + *error;
                return false;
            }
            return true;
        });
    result.propagation = std::move(update.propagation);
    if (update_problem) result.propagation.problems.push_back(std::move(*update_problem));
    result.before = std::move(update.before);
    if (update.before.status != KeyRead::Status::ok) {
        result.outcome = AppliedPlan::Outcome::not_read;
    } else if (!planned) {
        result.outcome = AppliedPlan::Outcome::nothing_to_do;
    } else if (!journaled) {
        result.outcome = AppliedPlan::Outcome::not_journaled;
    } else if (!update.written) {
        result.outcome = AppliedPlan::Outcome::write_failed;
        result.error = std::move(update.write.error);
    } else {
        result.outcome = AppliedPlan::Outcome::written;
        result.after = std::move(update.after);
    }
    return result;
}

}  // namespace permwatch
