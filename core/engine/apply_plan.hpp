// The one sequence that writes a key's DACL, used by the engine (drift and
// failover repairs) and by the one-shot `repair` and `rollback`: open the key
// once for READ_CONTROL|WRITE_DAC, read it, plan from what is really there,
// journal, write, and read back through the same handle. Planning from the
// read through the write handle means a change another administrator made
// after the caller's own look (an emergency deny, say) is kept, and the
// journal's `before` is what was really replaced.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/journal/journal.hpp"
#include "core/ports/ports.hpp"

namespace permwatch {

// What to write, with the journal's view of it.
struct PlannedDacl {
    Acl dacl;
    std::string before;  // SDDL of the descriptor replaced
    std::string after;   // SDDL of the descriptor planned
};

// Given the descriptor read through the write handle, what to write, or
// nullopt to write nothing.
using DaclPlanner = std::function<std::optional<PlannedDacl>(const SecurityDescriptor& current)>;

struct AppliedPlan {
    enum class Outcome {
        not_read,       // the key could not be opened or read: `before` says why
        nothing_to_do,  // the planner wanted no write
        not_journaled,  // the journal refused the line: nothing was written
        write_failed,   // journaled, but the write failed: `error`
        written,        // journaled and written; `after` is the read-back
    };
    Outcome outcome = Outcome::not_read;
    KeyRead before;      // read through the write handle
    KeyRead after;       // read back through it, when written
    JournalEntry entry;  // the line journaled (with its id), when journaled
    // What the write passed down to existing subkeys, each journaled first.
    Propagation propagation;
    std::string error;  // when not_journaled or write_failed
};

AppliedPlan apply_plan(RegistryPort& registry, Journal& journal, const std::string& path,
                       const std::string& reason, const std::string& time, const DaclPlanner& plan);

}  // namespace permwatch
