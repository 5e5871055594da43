#include "core/cli/cli.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/check/key_report.hpp"
#include "core/check/snapshot.hpp"
#include "core/cli/command_line.hpp"
#include "core/common/ascii.hpp"
#include "core/policy/config.hpp"
#include "core/policy/file_text.hpp"
#include "core/policy/trusted_config.hpp"

namespace permwatch {

namespace {

// One line on stderr, exit 2.
int fail(std::ostream& err, const std::string& message) {
    err << "permwatch: " << message << "\n";
    return 2;
}

// By its UTF-8 name, never the ANSI code page (core/policy/file_text.hpp).
std::optional<std::string> read_file(const std::string& path) { return read_file_text(path); }

int validate(const CliOptions& o, std::ostream& out, std::ostream& err, FileSecurityPort* files) {
    const auto config = load_trusted_config_file(o.config_path, err, files);
    if (!config) return 2;
    out << "config " << o.config_path << " is valid: " << config->keys.size()
        << (config->keys.size() == 1 ? " key" : " keys")
        << (config->auto_keys.enabled ? " and every registry checkpoint the cluster names (auto)"
                                      : "")
        << ", mode " << to_string(config->mode) << "\n";
    return 0;
}

int check_snapshot(const CliOptions& o, std::ostream& out, std::ostream& err,
                   FileSecurityPort* files) {
    const auto config = load_trusted_config_file(o.config_path, err, files);
    if (!config) return 2;
    const auto text = read_file(*o.snapshot);
    if (!text) return fail(err, "cannot read snapshot " + *o.snapshot);
    SnapshotResult loaded = load_snapshot(*text);
    if (!loaded.snapshot) {
        for (const ConfigProblem& p : loaded.problems)
            err << "permwatch: " << describe_problem(*o.snapshot, p, "snapshot") << "\n";
        return 2;
    }
    SnapshotAccounts accounts(*loaded.snapshot);
    std::vector<KeyReport> reports;
    for (const KeyPolicy& key : config->keys) {
        reports.push_back(check_key(key, loaded.snapshot->find(key.path), accounts));
    }
    if (o.json) {
        out << to_json(reports).dump(2) << "\n";
    } else {
        out << to_text(reports);
    }
    return check_exit_code(reports);
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            LiveCommands* live, FileSecurityPort* files) {
    const CommandLine line = parse_command_line(args, out, err);
    if (!line.options) return line.exit_code;
    const CliOptions& o = *line.options;
    // The commands that need no registry run here, on every build.
    switch (o.command) {
        case Command::validate:
            return validate(o, out, err, files);
        case Command::check:
            if (o.snapshot) return check_snapshot(o, out, err, files);
            break;
        default:
            break;
    }
    if (live) {
        if (auto code = live->run(o, out, err)) return *code;
    }
    const std::string name(command_name(o.command));
    if (o.command == Command::init) {
        err << "permwatch: no cluster here: init asks the Windows failover cluster for its "
               "registry checkpoints\n";
        return 4;
    }
    if (o.cluster) {
        err << "permwatch: no cluster here: " << name
            << " --cluster reads the Windows failover cluster's database\n";
        return 4;
    }
    if (o.command == Command::status) {
        err << "permwatch: status needs the PermWatch service on Windows; it is not reachable "
               "here\n";
        return 4;
    }
    return fail(err, "'" + name +
                         "' needs the Windows registry; here only 'validate' and "
                         "'check --snapshot' work");
}

}  // namespace permwatch
