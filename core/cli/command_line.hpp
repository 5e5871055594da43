// The command line read into a typed command (CLI11): each command declares
// its own options and has its own --help; an option another command takes is
// refused, naming it.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/cli/cli_options.hpp"

namespace permwatch {

// A command to run, or the exit code when the command line alone ends the
// run: --help and --version (said on `out`, 0), or a mistake (one line on
// `err`, 2; no command at all prints the usage there).
struct CommandLine {
    std::optional<CliOptions> options;
    int exit_code = 0;
};

// `args` without the program's name. The config path defaults to
// default_config_path(), read when this is called.
CommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err);

}  // namespace permwatch
