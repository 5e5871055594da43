// The command line (CONTRACT.md "Command line"). Parsing, the offline
// commands, and dispatch of the live ones to a port that only the Windows
// build provides.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/trusted_files.hpp"

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

// The default --config: %ProgramData%\PermWatch\permwatch.json, expanded.
std::string default_config_path();

// Replaces %NAME% by the environment variable's value; unknown names stay.
// %ProgramData% is the folder given to set_program_data_folder when one was
// given (the Windows build: the known folder), never the environment's.
std::string expand_environment(const std::string& text);

// Where %ProgramData% points. service/main.cpp sets it once at start from
// SHGetKnownFolderPath(FOLDERID_ProgramData): the environment of whoever
// starts PermWatch must not choose where its config and journal are.
// nullopt (the default; Linux and core tests) uses the environment.
void set_program_data_folder(std::optional<std::string> folder);

// Runs one command. `live` is null where there is no Windows registry;
// `files` (file security, for validate and check --snapshot) where there are
// no Windows file DACLs. The live commands judge files on their own.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            LiveCommands* live, FileSecurityPort* files = nullptr);

}  // namespace permwatch
