// The one-shot `repair`: each key of the policy checked and, when it drifted,
// repaired through one handle (apply_plan), the plan made from what that
// handle read. Only ports: the command line wires in the real registry,
// accounts and journal.
#pragma once

#include <ostream>
#include <vector>

#include "core/check/key_report.hpp"
#include "core/journal/journal.hpp"
#include "core/policy/config.hpp"
#include "core/ports/account_resolver.hpp"
#include "core/ports/ports.hpp"

namespace permwatch {

// Checks one key and repairs it, journaled first with reason "manual".
// Returns the report of what is on the key afterwards (read back through the
// handle that wrote it): repaired, or an error, with its line written to
// `err`, when the repair was needed but not made. A missing key is reported
// as missing, with no line.
KeyReport repair_key(const KeyPolicy& key, RegistryPort& registry, AccountResolver& accounts,
                     Journal& journal, Clock& clock, std::ostream& err);

struct RepairRun {
    std::vector<KeyReport> reports;  // one per key, in the policy's order
    int exit_code = 0;               // 2 any key in error, else 1 any left unrepaired, else 0
};

// `repair` over every key. A dry run only reads, and its exit code is the one
// the real run would have.
RepairRun repair_keys(const std::vector<KeyPolicy>& keys, bool dry_run, RegistryPort& registry,
                      AccountResolver& accounts, Journal& journal, Clock& clock, std::ostream& err);

}  // namespace permwatch
