#include "core/cli/cli.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "core/check/key_report.hpp"
#include "core/check/snapshot.hpp"
#include "core/common/ascii.hpp"
#include "core/policy/config.hpp"
#include "core/policy/file_text.hpp"
#include "core/policy/trusted_config.hpp"

namespace permwatch {

namespace {

constexpr const char* usage =
    "usage: permwatch <command> [options]\n"
    "  run --console [--config F]      watch and repair in the foreground (Ctrl+C stops)\n"
    "  run                             the entry the service control manager starts\n"
    "  install [--config F] [--account A]\n"
    "  install --configure-only        (the MSI) data folder, failure actions, service SID and\n"
    "                                  privileges for the service the MSI registered\n"
    "  uninstall\n"
    "  check [--config F] [--json]     audit the live registry against the policy\n"
    "  check --snapshot S [--config F] [--json]\n"
    "                                  audit an exported snapshot (no registry needed)\n"
    "  repair [--config F] [--dry-run] [--json]\n"
    "  export --key K [--key K...]     write a snapshot of the keys to stdout\n"
    "  validate [--config F]           validate a configuration file\n"
    "  status [--json]                 ask the running service\n"
    "  status --cluster [--json]       every node's PermWatch, from the cluster database\n"
    "  check --cluster [--group G] [--json]\n"
    "                                  pre-flight: is every node that may own G ready?\n"
    "  rollback [--to ID] [--key K]    restore descriptors from the journal\n"
    "  --version, --help\n"
    "exit codes: 0 ok/compliant/ready, 1 drift/not ready, 2 error, 3 not permitted,\n"
    "            4 service not reachable (status) or no cluster (--cluster)\n";

bool is_command(const std::string& s) {
    for (const char* c : {"run", "install", "uninstall", "check", "repair", "export", "validate",
                          "status", "rollback"}) {
        if (s == c) return true;
    }
    return false;
}

// One line on stderr, exit 2.
int fail(std::ostream& err, const std::string& message) {
    err << "permwatch: " << message << "\n";
    return 2;
}

// By its UTF-8 name, never the ANSI code page (core/policy/file_text.hpp).
std::optional<std::string> read_file(const std::string& path) { return read_file_text(path); }

}  // namespace

namespace {

int validate(const CliOptions& o, std::ostream& out, std::ostream& err, FileSecurityPort* files) {
    const auto config = load_trusted_config_file(o.config_path, err, files);
    if (!config) return 2;
    out << "config " << o.config_path << " is valid: " << config->keys.size()
        << (config->keys.size() == 1 ? " key" : " keys") << ", mode " << to_string(config->mode)
        << "\n";
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

// Parses "command [options]"; returns an exit code when parsing ends the run.
std::optional<int> parse(const std::vector<std::string>& args, CliOptions& o, std::ostream& out,
                         std::ostream& err) {
    if (args.empty()) {
        err << usage;
        return 2;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        out << usage;
        return 0;
    }
    if (args[0] == "--version") {
        out << "permwatch " << PERMWATCH_VERSION << "\n";
        return 0;
    }
    if (!is_command(args[0])) return fail(err, "unknown command '" + args[0] + "'; see --help");
    o.command = args[0];
    o.config_path = default_config_path();
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json") {
            o.json = true;
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (a == "--console") {
            o.console = true;
        } else if (a == "--configure-only" && o.command == "install") {
            o.configure_only = true;
        } else if (a == "--cluster" && (o.command == "status" || o.command == "check")) {
            o.cluster = true;
        } else if (a == "--group" && o.command == "check") {
            if (i + 1 >= args.size()) return fail(err, a + " needs a value");
            o.group = args[++i];
        } else if (a == "--config" || a == "--snapshot" || a == "--to" || a == "--account" ||
                   a == "--key") {
            if (i + 1 >= args.size()) return fail(err, a + " needs a value");
            const std::string& v = args[++i];
            if (a == "--config")
                o.config_path = v;
            else if (a == "--snapshot")
                o.snapshot = v;
            else if (a == "--to")
                o.to_id = v;
            else if (a == "--account")
                o.account = v;
            else
                o.keys.push_back(v);
        } else {
            return fail(err, "unknown option '" + a + "' for " + o.command + "; see --help");
        }
    }
    if (o.group && !o.cluster) return fail(err, "--group goes with check --cluster; see --help");
    if (o.cluster && o.snapshot) return fail(err, "--cluster and --snapshot do not go together");
    return std::nullopt;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            LiveCommands* live, FileSecurityPort* files) {
    CliOptions o;
    if (auto done = parse(args, o, out, err)) return *done;
    if (o.command == "validate") return validate(o, out, err, files);
    if (o.command == "check" && o.snapshot) return check_snapshot(o, out, err, files);
    if (live) {
        if (auto code = live->run(o, out, err)) return *code;
    }
    if (o.cluster) {
        err << "permwatch: no cluster here: " << o.command
            << " --cluster reads the Windows failover cluster's database\n";
        return 4;
    }
    if (o.command == "status") {
        err << "permwatch: status needs the PermWatch service on Windows; it is not reachable "
               "here\n";
        return 4;
    }
    return fail(err, "'" + o.command +
                         "' needs the Windows registry; here only 'validate' and "
                         "'check --snapshot' work");
}

}  // namespace permwatch
