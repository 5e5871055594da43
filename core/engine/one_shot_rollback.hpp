// The one-shot `rollback`, after the journal is read: the targets of every
// key asked for, each read before any is written, then each restored through
// apply_plan and journaled with reason "rollback". Only ports: the command
// line reads the journal files, opens the journal and wires the registry.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/journal/journal.hpp"
#include "core/ports/ports.hpp"

namespace permwatch {

// plan_rollback for each key in `keys` (`--key`, repeatable), the targets
// together, a key named twice restored once; with no key, every key
// journaled. The first key whose plan fails is the plan's error, and then
// there are no targets: nothing is written when any one of them is wrong.
RollbackPlan plan_rollback_of_keys(const JournalContents& journal,
                                   const std::vector<std::string>& policy_keys,
                                   const std::optional<std::string>& to_id,
                                   const std::vector<std::string>& keys);

// Reads every target; the first that cannot be read is the error line
// (nothing was written), else nullopt.
std::optional<std::string> unreadable_rollback_target(RegistryPort& registry,
                                                      const RollbackPlan& plan);

// Restores each target, the descriptor the write handle read journaled as
// its `before` (so a rollback can itself be rolled back). A restore is a line
// on `out`; a target not restored is a line on `err` and the others are still
// restored. Returns 0 when every target was restored, else 2.
int apply_rollback(const RollbackPlan& plan, RegistryPort& registry, Journal& journal, Clock& clock,
                   std::ostream& out, std::ostream& err);

}  // namespace permwatch
