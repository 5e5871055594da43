// `permwatch install` and `permwatch uninstall` (docs/reference.md "Command line",
// "The service"): the SCM entry, its failure actions, service SID and
// least privileges, and the event source that points at permwatch.exe's
// message table.
#pragma once

#include <iosfwd>

#include "core/cli/cli.hpp"

namespace permwatch::win {

// 0 installed or already installed, 3 not permitted, 2 another failure (and
// nothing is left half-installed).
int install_service(const CliOptions& options, std::ostream& out, std::ostream& err);

// 0 removed or not installed, 3 not permitted, 2 another failure. Keeps the
// journal and the log files.
int uninstall_service(std::ostream& out, std::ostream& err);

}  // namespace permwatch::win
