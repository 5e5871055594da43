#include "core/cli/command_line.hpp"

#include <CLI/CLI.hpp>
#include <array>
#include <ostream>

#include "core/policy/paths.hpp"

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
    "  rollback [--to ID] [--key K...] restore descriptors from the journal\n"
    "  init [--cluster] [--out F [--force]]\n"
    "                                  write an explicit config of the cluster's checkpoints\n"
    "  <command> --help                the options of one command\n"
    "  --version, --help\n"
    "exit codes: 0 ok/compliant/ready, 1 drift/not ready, 2 error, 3 not permitted,\n"
    "            4 service not reachable (status) or no cluster (--cluster)\n";

// Every mistake on the command line: one line on stderr, exit 2.
int usage_error(std::ostream& err, const std::string& message) {
    err << "permwatch: " << message << "\n";
    return 2;
}

// Each command and the options it declares. Values land in `o`; CLI11 sets
// only what was given, so what `o` held before parsing is the default. An
// option given twice keeps its last value: a wrapper may append its own.
class Commands {
public:
    explicit Commands(CliOptions& o) : o_(o) {
        app_.name("permwatch");
        // On Windows CLI11 would also read /name as an option; PermWatch's
        // options are --name only, and a word that starts with / is a value.
        app_.allow_windows_style_options(false);
        // At most one command; a second command's name is an unknown word.
        app_.require_subcommand(0, 1);
        // Words no command declares are kept, to be named in PermWatch's own
        // words (unknown command, unknown option) rather than CLI11's.
        app_.allow_extras();
        app_.add_flag("--version", version_, "print the version and exit");
        // `permwatch help` prints the usage, as --help does.
        help_word_ = app_.add_subcommand("help", "print the usage and exit");
        help_word_->group("");
        help_word_->allow_extras();

        CLI::App* c = add(Command::run,
                          "Watches the keys and repairs drift. With --console in the foreground, "
                          "logging to stderr (Ctrl+C stops); without it, the entry the service "
                          "control manager starts.",
                          "exit codes: 0 clean stop, 2 bad config");
        c->add_flag("--console", o_.console, "run in the foreground, logging to stderr");
        config(c);

        c = add(Command::install,
                "Registers the service and its event source. --configure-only (the MSI's custom "
                "action) gives the service the MSI registered its data folder, failure "
                "actions, service SID and privileges.",
                "exit codes: 0 installed (or already), 2 refused or failed, 3 not permitted");
        config(c);
        value(c, "--account", o_.account, "A", "the account the service logs on as (LocalSystem)");
        c->add_flag("--configure-only", o_.configure_only,
                    "configure the service the MSI registered; register nothing");

        add(Command::uninstall,
            "Stops and removes the service and its event source; keeps the journal and logs.",
            "exit codes: 0 removed (or not installed), 2 failed, 3 not permitted");

        c = add(Command::check,
                "Audits the live registry against the policy; with --snapshot an exported "
                "snapshot instead (no registry needed); with --cluster the pre-flight before a "
                "move: is every node that may own the group ready?",
                "exit codes: 0 compliant (ready), 1 drift (not ready), 2 error, 4 no cluster "
                "(--cluster)");
        config(c);
        json(c);
        value(c, "--snapshot", o_.snapshot, "S", "audit this exported snapshot file");
        c->add_flag("--cluster", o_.cluster,
                    "every node's published state, from the cluster database");
        value(c, "--group", o_.group, "G",
              "with --cluster: only the nodes that may own this group (default: every group)");

        c = add(Command::repair, "Repairs every key of the policy that drifted, journaled first.",
                "exit codes: 0 nothing left to fix, 1 some key could not be repaired, 2 error");
        config(c);
        c->add_flag("--dry-run", o_.dry_run,
                    "print the plan, write nothing; exit as the repair would");
        json(c);

        c = add(Command::export_keys, "Writes a snapshot of the keys (key path -> SDDL) to stdout.",
                "exit codes: 0 written, 2 error");
        keys(c, "a key to export, HKLM\\...; give one or more");
        // Taken and ignored: a script may give every command its --config.
        value(c, "--config", o_.config_path, "F", "ignored: export reads no configuration");

        c = add(Command::validate,
                "Validates a configuration file; each problem names its JSON pointer.",
                "exit codes: 0 valid, 2 invalid");
        config(c);

        c = add(Command::status,
                "Asks the running service over its pipe; with --cluster reads every node's "
                "summary from the cluster database instead.",
                "exit codes: 0 ok, 2 the cluster cannot be read, 4 service not reachable (no "
                "cluster with --cluster)");
        config(c, "the configuration file, whose pipe is asked");
        json(c);
        c->add_flag("--cluster", o_.cluster, "one row per cluster node, from the cluster database");

        c = add(Command::rollback,
                "Restores descriptors recorded in the journal the config names: the last write "
                "of each key, or the descriptor from before entry --to ID.",
                "exit codes: 0 restored, 2 error");
        config(c);
        value(c, "--to", o_.to_id, "ID", "restore the descriptor from before this journal entry");
        keys(c, "only these keys (repeatable)");

        c = add(Command::init,
                "Writes an explicit config from what the cluster says: each registry checkpoint "
                "of a resource this node may own (--cluster: of every resource), its resource "
                "and group, and the accounts and rights a restore needs, each with a comment "
                "naming where it came from. The output is validated before it is written.",
                "exit codes: 0 written, 2 error (or --out exists without --force), 4 no cluster");
        c->add_flag("--cluster", o_.cluster,
                    "every resource's checkpoints, whichever nodes may own it");
        value(c, "--out", o_.out, "F", "write the config to F instead of stdout");
        c->add_flag("--force", o_.force, "with --out: replace F if it exists");
    }

    CLI::App& app() { return app_; }
    bool version() const { return version_; }
    bool help_word() const { return help_word_->parsed(); }

    // The command given, if any; CLI11 found it by its name.
    std::optional<Command> command() const {
        for (const auto& [command, app] : commands_)
            if (app->parsed()) return command;
        return std::nullopt;
    }
    CLI::App* app_of(Command command) const {
        for (const auto& [c, app] : commands_)
            if (c == command) return app;
        return nullptr;
    }

private:
    CLI::App* add(Command command, const char* description, const char* exit_codes) {
        CLI::App* c = app_.add_subcommand(std::string(command_name(command)), description);
        c->allow_extras();
        c->footer(exit_codes);
        commands_[index_++] = {command, c};
        return c;
    }

    void config(CLI::App* c, const char* what = "the configuration file") {
        value(c, "--config", o_.config_path, "F",
              std::string(what) + " (default %ProgramData%\\PermWatch\\permwatch.json)");
    }
    void json(CLI::App* c) { c->add_flag("--json", o_.json, "one JSON document on stdout"); }
    void keys(CLI::App* c, const char* what) {
        c->add_option("--key", o_.keys, what)->type_name("K");
    }
    template <typename T>
    void value(CLI::App* c, const char* name, T& into, const char* value_name,
               const std::string& what) {
        c->add_option(name, into, what)
            ->type_name(value_name)
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }

    CliOptions& o_;
    CLI::App app_;
    bool version_ = false;
    CLI::App* help_word_ = nullptr;
    std::array<std::pair<Command, CLI::App*>, 10> commands_{};
    std::size_t index_ = 0;
};

// The mistakes no single option can see.
std::optional<std::string> combination_problem(const CliOptions& o) {
    if (o.group && !o.cluster) return "--group goes with check --cluster; see --help";
    if (o.cluster && o.snapshot) return "--cluster and --snapshot do not go together";
    if (o.force && !o.out) return "--force goes with init --out F; see --help";
    return std::nullopt;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err) {
    if (args.empty()) {
        err << usage;
        return {std::nullopt, 2};
    }
    CliOptions o;
    o.config_path = default_config_path();
    Commands commands(o);
    CLI::App& app = commands.app();
    try {
        // CLI11 takes the words last first.
        app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
    } catch (const CLI::CallForHelp&) {
        const auto command = commands.command();
        if (!command || app.get_help_ptr()->count() > 0) {
            out << usage;
        } else {
            out << commands.app_of(*command)->help(app.get_name());
        }
        return {std::nullopt, 0};
    } catch (const CLI::ArgumentMismatch& e) {
        // An option takes the next word whatever it is: only the last word
        // can be an option without its value.
        const auto command = commands.command();
        if (command && commands.app_of(*command)->get_option_no_throw(args.back()))
            return {std::nullopt, usage_error(err, args.back() + " needs a value")};
        return {std::nullopt, usage_error(err, std::string(e.what()) + "; see --help")};
    } catch (const CLI::ParseError& e) {
        return {std::nullopt, usage_error(err, std::string(e.what()) + "; see --help")};
    }

    // The first word names the command (or is --help, -h, help or --version).
    const std::vector<std::string> before = app.remaining();
    if (!before.empty() && before.front() == args.front())
        return {std::nullopt,
                usage_error(err, "unknown command '" + args.front() + "'; see --help")};
    if (commands.help_word()) {
        out << usage;
        return {std::nullopt, 0};
    }
    if (commands.version()) {
        out << "permwatch " << PERMWATCH_VERSION << "\n";
        return {std::nullopt, 0};
    }
    const auto command = commands.command();
    if (!command) {
        err << usage;
        return {std::nullopt, 2};
    }
    o.command = *command;
    // Words the command does not declare, in its own remaining or after `--`.
    std::vector<std::string> extra = commands.app_of(*command)->remaining();
    extra.insert(extra.end(), before.begin(), before.end());
    if (!extra.empty()) {
        return {std::nullopt,
                usage_error(err, "unknown option '" + extra.front() + "' for " +
                                     std::string(command_name(*command)) + "; see --help")};
    }
    if (const auto problem = combination_problem(o))
        return {std::nullopt, usage_error(err, *problem)};
    return {o, 0};
}

}  // namespace permwatch
