#include "core/engine/apply_outcome.hpp"

namespace permwatch {

std::optional<std::string> apply_failure(const AppliedPlan& applied) {
    switch (applied.outcome) {
        case AppliedPlan::Outcome::not_read:
            // Missing, not openable for WRITE_DAC (access denied, a link), or
            // not readable through that handle.
            return applied.before.error;
        case AppliedPlan::Outcome::not_journaled:
            return "the journal could not record it, so nothing was written: " + applied.error;
        case AppliedPlan::Outcome::write_failed:
            return applied.error;
        case AppliedPlan::Outcome::nothing_to_do:
        case AppliedPlan::Outcome::written:
            break;
    }
    return std::nullopt;
}

std::optional<std::string> describe_failure(const AppliedPlan& applied, std::string_view path,
                                            std::string_view verb) {
    std::optional<std::string> why = apply_failure(applied);
    if (!why) return std::nullopt;
    return std::string(path) + " not " + std::string(verb) + ": " + *why;
}

}  // namespace permwatch
