// What an apply_plan outcome means in words, written once for every caller:
// the engine's finding and event 2002 (which name the key on their own), and
// the error lines of the one-shot `repair` and `rollback`.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/engine/apply_plan.hpp"

namespace permwatch {

// Why the apply wrote nothing although it meant to, or nullopt when it wrote
// or had nothing to write. A registry error already names the key; the
// journal's does not need to, its caller names it.
std::optional<std::string> apply_failure(const AppliedPlan& applied);

// The one-shot commands' line for the same: "<path> not <verb>: <why>", with
// `verb` "repaired" or "rolled back"; nullopt when apply_failure is.
std::optional<std::string> describe_failure(const AppliedPlan& applied, std::string_view path,
                                            std::string_view verb);

}  // namespace permwatch
