// The command line (CONTRACT.md "Command line"). Parsing, the offline
// commands, and dispatch of the live ones to a port that only the Windows
// build provides.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/policy/paths.hpp"
#include "core/policy/trusted_files.hpp"

namespace permwatch {

struct CliOptions {
    std::string command;
    std::string config_path;  // --config, else the default path expanded
    std::optional<std::string> snapshot;
    std::optional<std::string> to_id;
    std::optional<std::string> account;
    std::vector<std::string> keys;
    bool json = false;
    bool dry_run = false;
    bool console = false;
    // install --configure-only: the MSI's custom action (installer/permwatch.wxs)
    // gives the service Windows Installer created what `install` gives its own.
    bool configure_only = false;
    // status --cluster, check --cluster [--group G]: every node's published
    // summary, read from the cluster database (CONTRACT.md, turn 3).
    bool cluster = false;
    std::optional<std::string> group;
};

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
