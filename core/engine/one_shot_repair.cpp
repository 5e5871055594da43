#include "core/engine/one_shot_repair.hpp"

#include <algorithm>

#include "core/engine/apply_outcome.hpp"
#include "core/engine/apply_plan.hpp"

namespace permwatch {

KeyReport repair_key(const KeyPolicy& key, RegistryPort& registry, AccountResolver& accounts,
                     Journal& journal, Clock& clock, std::ostream& err) {
    KeyReport report;
    const AppliedPlan applied = apply_plan(
        registry, journal, key.path, "manual", format_utc(clock.wall()),
        [&](const SecurityDescriptor& current) -> std::optional<PlannedDacl> {
            report = check_key(key, &current, accounts);
            if (!report.planned_sddl) return std::nullopt;
            return PlannedDacl{*report.planned->dacl, *report.sddl, *report.planned_sddl};
        });
    switch (applied.outcome) {
        case AppliedPlan::Outcome::nothing_to_do:
            return report;
        case AppliedPlan::Outcome::not_read:
            if (applied.before.status == KeyRead::Status::missing)
                return check_read(key, applied.before, accounts);
            // Not openable for WRITE_DAC: look read-only to say what is wrong;
            // a key that needs nothing is not an error for lack of the right.
            report = check_read(key, registry.read(key.path), accounts);
            if (!report.planned_sddl) return report;
            break;
        case AppliedPlan::Outcome::not_journaled:
        case AppliedPlan::Outcome::write_failed:
            break;
        case AppliedPlan::Outcome::written: {
            for (const std::string& problem : applied.propagation.problems)
                err << "permwatch: " << key.path << ": " << problem << "\n";
            KeyReport after = check_read(key, applied.after, accounts);
            if (after.state == KeyState::compliant) after.state = KeyState::repaired;
            return after;
        }
    }
    err << "permwatch: " << *describe_failure(applied, key.path, "repaired") << "\n";
    report.state = KeyState::error;
    return report;
}

RepairRun repair_keys(const std::vector<KeyPolicy>& keys, bool dry_run, RegistryPort& registry,
                      AccountResolver& accounts, Journal& journal, Clock& clock,
                      std::ostream& err) {
    RepairRun run;
    bool unrepaired = false;
    for (const KeyPolicy& key : keys) {
        KeyReport report = dry_run ? check_read(key, registry.read(key.path), accounts)
                                   : repair_key(key, registry, accounts, journal, clock, err);
        // A dry run leaves keys as they are; the exit code is the real run's.
        const bool fixed = report.state == KeyState::compliant ||
                           report.state == KeyState::repaired ||
                           (dry_run && report.planned_sddl && report.blockers.empty());
        unrepaired = unrepaired || !fixed;
        run.reports.push_back(std::move(report));
    }
    const bool any_error =
        std::any_of(run.reports.begin(), run.reports.end(),
                    [](const KeyReport& r) { return r.state == KeyState::error; });
    run.exit_code = any_error ? 2 : unrepaired ? 1 : 0;
    return run;
}

}  // namespace permwatch
