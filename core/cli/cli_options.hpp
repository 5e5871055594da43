// What one command line asks for: the command, typed, and the options it was
// given. Parsing (core/cli/command_line.hpp) is the only place that reads the
// command's name; everything after it switches on Command.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace permwatch {

enum class Command {
    run,
    install,
    uninstall,
    check,
    repair,
    export_keys,
    validate,
    status,
    rollback,
    init
};

// The word that names the command on the command line and in messages.
constexpr std::string_view command_name(Command command) {
    switch (command) {
        case Command::run:
            return "run";
        case Command::install:
            return "install";
        case Command::uninstall:
            return "uninstall";
        case Command::check:
            return "check";
        case Command::repair:
            return "repair";
        case Command::export_keys:
            return "export";
        case Command::validate:
            return "validate";
        case Command::status:
            return "status";
        case Command::rollback:
            return "rollback";
        case Command::init:
            return "init";
    }
    return "?";
}

// Each field is set only by the commands that declare its option
// (core/cli/command_line.cpp); the others leave it at its default.
struct CliOptions {
    Command command = Command::status;
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
    // summary, read from the cluster database.
    bool cluster = false;
    std::optional<std::string> group;
    // init --out F [--force]: where the config goes (stdout without it), and
    // whether an existing file may be replaced.
    std::optional<std::string> out;
    bool force = false;
};

}  // namespace permwatch
