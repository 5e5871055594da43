// `permwatch run`: the entry the service control manager starts. ServiceMain
// only reports states and owns the Watchdog's lifetime; the work is the same
// Watchdog object that `run --console` runs.
#pragma once

#include <iosfwd>

#include "core/cli/cli.hpp"

namespace permwatch::win {

// The service's name in the SCM, and the event source's name.
inline constexpr const wchar_t* kServiceName = L"PermWatch";

// Service-specific exit codes (SERVICE_STATUS.dwServiceSpecificExitCode, with
// dwWin32ExitCode ERROR_SERVICE_SPECIFIC_ERROR). Any of them counts as a
// failure for the SCM's failure actions (install sets them to apply to
// non-crash failures too), so a fixed config is picked up by the next restart.
enum ServiceExitCode : unsigned long {
    kServiceExitBadConfig = 2,    // event 4000 says which pointers, 4001 which account
    kServiceExitCannotStart = 3,  // journal or log file could not be opened
    kServiceExitFailed = 4,       // the watchdog stopped on an unexpected error
};

// Connects to the SCM and runs the service until it is stopped. Returns the
// process exit code; 2 (with one line on `err`) when not started by the SCM.
int run_service(const CliOptions& options, std::ostream& err);

}  // namespace permwatch::win
