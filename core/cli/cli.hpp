// The command line (README "Commands"): the offline commands, and dispatch of
// the live ones to a port that only the Windows build provides.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/cli_options.hpp"
#include "core/policy/config.hpp"
#include "core/policy/paths.hpp"
#include "core/policy/trusted_files.hpp"

namespace permwatch {

// Port: the commands that need the live Windows registry, the SCM or the pipe.
class LiveCommands {
public:
    virtual ~LiveCommands() = default;
    // Returns the process exit code; nullopt if this build does not have it.
    virtual std::optional<int> run(const CliOptions& options, std::ostream& out,
                                   std::ostream& err) = 0;
};

// Runs one command. `live` is null where there is no Windows registry;
// `files` (file security, for validate and check --snapshot) where there are
// no Windows file DACLs. The live commands judge files on their own.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            LiveCommands* live, FileSecurityPort* files = nullptr);

}  // namespace permwatch
