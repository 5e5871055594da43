// `permwatch run --console`: the watchdog in the foreground, logging to
// stderr, stopped by Ctrl+C (or Ctrl+Break, or the console closing).
#pragma once

#include <iosfwd>

#include "core/cli/cli.hpp"

namespace permwatch::win {

int run_console(const CliOptions& options, std::ostream& err);

}  // namespace permwatch::win
