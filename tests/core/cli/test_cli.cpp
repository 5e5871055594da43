// The offline commands end to end, through run_cli, on the shipped files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cli/cli.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_cli {

using test::source_path;

struct Run {
    int code;
    std::string out;
    std::string err;
};

Run cli(std::vector<std::string> args, LiveCommands* live = nullptr) {
    std::ostringstream out, err;
    const int code = run_cli(args, out, err, live);
    return {code, out.str(), err.str()};
}

const std::string config = source_path("config/permwatch.json");
const std::string broken = source_path("config/snapshots/msexchangees-broken.json");
const std::string repaired = source_path("config/snapshots/msexchangees-repaired.json");

TEST(Cli, ValidateShippedConfig) {
    auto r = cli({"validate", "--config", config});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("valid"), std::string::npos);
}

TEST(Cli, FiveMistakesReportFivePointersAndExit2) {
    auto r = cli({"validate", "--config", source_path("config/examples/five-mistakes.json")});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(r.out.empty());
    int lines = 0;
    std::istringstream in(r.err);
    for (std::string line; std::getline(in, line);) {
        ++lines;
        EXPECT_NE(line.find(": /"), std::string::npos) << "no pointer in: " << line;
    }
    EXPECT_EQ(lines, 5) << r.err;
}

TEST(Cli, CheckSnapshotOfTheBrokenKeyExits1AndShowsThePlan) {
    auto r = cli({"check", "--snapshot", broken, "--config", config});
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_NE(r.out.find("drift"), std::string::npos);
    EXPECT_NE(r.out.find("service_account_of:MSExchangeSA"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("planned: "), std::string::npos);
}

TEST(Cli, CheckSnapshotJsonShape) {
    auto r = cli({"check", "--snapshot", broken, "--config", config, "--json"});
    ASSERT_EQ(r.code, 1) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["ok"], false);
    ASSERT_EQ(doc["keys"].size(), 1u);
    const auto& key = doc["keys"][0];
    EXPECT_EQ(key["path"], "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES");
    EXPECT_EQ(key["state"], "drift");
    EXPECT_EQ(key["sddl"], "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)(A;CIIO;GA;;;CO)");
    // planned_sddl is exactly what the repaired snapshot holds.
    const auto repaired_doc = nlohmann::json::parse(*[] {
        std::ifstream in(repaired);
        return std::make_optional(std::string(std::istreambuf_iterator<char>(in), {}));
    }());
    EXPECT_EQ(key["planned_sddl"],
              repaired_doc["keys"]["HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES"]);
    ASSERT_EQ(key["findings"].size(), 2u);
    for (const auto& f : key["findings"]) {
        EXPECT_EQ(f["kind"], "missing_rights");
        EXPECT_TRUE(f["principal"].is_string());
        EXPECT_TRUE(f["message"].is_string());
    }
    EXPECT_EQ(key["findings"][0]["principal"], "S-1-5-21-1004336348-1177238915-682003330-1105");
}

TEST(Cli, CheckSnapshotOfTheRepairedKeyExits0) {
    auto r = cli({"check", "--snapshot", repaired, "--config", config, "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["ok"], true);
    EXPECT_EQ(doc["keys"][0]["state"], "compliant");
    EXPECT_TRUE(doc["keys"][0]["planned_sddl"].is_null());
}

// The SQL Server failover instance pack
// (config/examples/sql-server-fci.json, MSSQL16.MSSQLSERVER) validates, and
// `check --snapshot` on a node where the Replication key lost the SQL Server
// service account (the sqsrvres "GetRegKeyAccessMask ... Replication" failure)
// names that key and that account; the repaired snapshot is compliant.
const std::string sql_pack = source_path("config/examples/sql-server-fci.json");
const std::string sql_broken = source_path("config/snapshots/sql-server-fci-broken.json");
const std::string sql_repaired = source_path("config/snapshots/sql-server-fci-repaired.json");
const std::string sql_replication =
    "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\Replication";

TEST(Cli, SqlServerPackValidates) {
    auto r = cli({"validate", "--config", sql_pack});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("valid"), std::string::npos);
}

TEST(Cli, SqlServerPackOnTheBrokenSnapshotExits1NamingTheReplicationKey) {
    auto text = cli({"check", "--snapshot", sql_broken, "--config", sql_pack});
    EXPECT_EQ(text.code, 1) << text.err;
    EXPECT_NE(text.out.find(sql_replication), std::string::npos) << text.out;
    auto r = cli({"check", "--snapshot", sql_broken, "--config", sql_pack, "--json"});
    ASSERT_EQ(r.code, 1) << r.err;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["ok"], false);
    ASSERT_EQ(doc["keys"].size(), 7u);
    int drifted = 0;
    for (const auto& key : doc["keys"]) {
        if (key["state"] == "compliant") continue;
        ++drifted;
        EXPECT_EQ(key["path"], sql_replication);
        EXPECT_EQ(key["state"], "drift");
        ASSERT_EQ(key["findings"].size(), 1u) << key.dump();
        EXPECT_EQ(key["findings"][0]["kind"], "missing_rights");
        // The SQL Server service account, resolved through the snapshot's accounts.
        EXPECT_EQ(key["findings"][0]["principal"], "S-1-5-21-1004336348-1177238915-682003330-1201");
        // The repaired snapshot holds exactly the planned descriptor.
        std::ifstream in(sql_repaired);
        const auto repaired_doc = nlohmann::json::parse(in);
        EXPECT_EQ(key["planned_sddl"], repaired_doc["keys"][sql_replication]);
    }
    EXPECT_EQ(drifted, 1);
}

TEST(Cli, SqlServerPackOnTheRepairedSnapshotExits0) {
    auto r = cli({"check", "--snapshot", sql_repaired, "--config", sql_pack, "--json"});
    EXPECT_EQ(r.code, 0) << r.err << r.out;
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["ok"], true);
    for (const auto& key : doc["keys"]) EXPECT_EQ(key["state"], "compliant") << key.dump();
}

TEST(Cli, KeyMissingFromSnapshotIsAnErrorExit2WithWholeDocument) {
    const std::string path = ::testing::TempDir() + "/permwatch-empty-snapshot.json";
    std::ofstream(path) << R"json({"version":1,"keys":{},"accounts":{}})json";
    auto r = cli({"check", "--snapshot", path, "--config", config, "--json"});
    EXPECT_EQ(r.code, 2);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["keys"][0]["state"], "error");
    EXPECT_EQ(doc["keys"][0]["findings"][0]["kind"], "key_missing");
}

TEST(Cli, UnresolvedAccountIsAnErrorForThatKey) {
    const std::string path = ::testing::TempDir() + "/permwatch-no-accounts.json";
    std::ofstream(path)
        << R"json({"version":1,"keys":{"HKEY_LOCAL_MACHINE\\system\\CurrentControlSet\\Services\\MSExchangeES":"D:(A;CI;KA;;;SY)"}})json";
    auto r = cli({"check", "--snapshot", path, "--config", config, "--json"});
    EXPECT_EQ(r.code, 2);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["keys"][0]["state"], "error");
    EXPECT_EQ(doc["keys"][0]["findings"][0]["kind"], "unresolved_account");
    EXPECT_EQ(doc["keys"][0]["findings"][0]["principal"], "service_account_of:MSExchangeSA");
}

TEST(Cli, BadSnapshotIsOneLinePerProblemExit2) {
    const std::string path = ::testing::TempDir() + "/permwatch-bad-snapshot.json";
    std::ofstream(path) << R"json({"version":1,"keys":{"HKLM\\X":"D:(A;;KA;;;SY"}})json";
    auto r = cli({"check", "--snapshot", path, "--config", config});
    EXPECT_EQ(r.code, 2);
    EXPECT_TRUE(r.out.empty());
    EXPECT_NE(r.err.find("/keys/HKLM\\X"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
}

TEST(Cli, LiveCommandsNeedWindowsWhenThereIsNoLivePort) {
    for (const char* command : {"check", "repair", "export", "rollback", "install", "run"}) {
        auto r = cli({command, "--config", config});
        EXPECT_EQ(r.code, 2) << command;
        EXPECT_NE(r.err.find("needs the Windows registry"), std::string::npos) << r.err;
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1);
    }
    EXPECT_EQ(cli({"status"}).code, 4);
}

// The live port of a test: records the options it was given and answers
// with a fixed exit code.
struct RecordingLiveCommands : LiveCommands {
    explicit RecordingLiveCommands(int code) : code(code) {}
    std::optional<int> run(const CliOptions& o, std::ostream&, std::ostream&) override {
        seen = o;
        ++calls;
        return code;
    }
    int code;
    CliOptions seen;
    int calls = 0;
};

// The options as a command line: the command, then each option that is not
// its default, in the order CliOptions declares them. One string to compare,
// so an option that leaks into another command shows too.
std::string as_command_line(const CliOptions& o) {
    std::string s(command_name(o.command));
    if (o.config_path != default_config_path()) s += " --config " + o.config_path;
    if (o.snapshot) s += " --snapshot " + *o.snapshot;
    if (o.to_id) s += " --to " + *o.to_id;
    if (o.account) s += " --account " + *o.account;
    for (const std::string& k : o.keys) s += " --key " + k;
    if (o.json) s += " --json";
    if (o.dry_run) s += " --dry-run";
    if (o.console) s += " --console";
    if (o.configure_only) s += " --configure-only";
    if (o.cluster) s += " --cluster";
    if (o.group) s += " --group " + *o.group;
    return s;
}

// What reached the port for `args`, whose exit code came back.
std::string reached(const std::vector<std::string>& args) {
    RecordingLiveCommands live(0);
    const Run r = cli(args, &live);
    EXPECT_EQ(r.code, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(live.calls, 1) << args[0];
    return as_command_line(live.seen);
}

TEST(Cli, LiveCommandsGoToThePort) {
    RecordingLiveCommands live(7);
    auto r = cli({"repair", "--dry-run", "--json", "--config", "c.json"}, &live);
    EXPECT_EQ(r.code, 7);
    EXPECT_EQ(live.seen.command, Command::repair);
    EXPECT_TRUE(live.seen.dry_run);
    EXPECT_TRUE(live.seen.json);
    EXPECT_EQ(live.seen.config_path, "c.json");
}

// The MSI's custom action: `install --configure-only`,
// an option of install alone.
TEST(Cli, InstallConfigureOnlyReachesThePortAndNoOtherCommandTakesIt) {
    RecordingLiveCommands live(0);
    EXPECT_EQ(cli({"install", "--configure-only"}, &live).code, 0);
    EXPECT_EQ(live.seen.command, Command::install);
    EXPECT_TRUE(live.seen.configure_only);
    EXPECT_EQ(cli({"install"}, &live).code, 0);
    EXPECT_FALSE(live.seen.configure_only);
    for (const char* command : {"check", "repair", "uninstall", "run"}) {
        auto r = cli({command, "--configure-only"}, &live);
        EXPECT_EQ(r.code, 2) << command;
        EXPECT_NE(r.err.find("unknown option '--configure-only'"), std::string::npos) << r.err;
    }
    EXPECT_NE(cli({"--help"}).out.find("install --configure-only"), std::string::npos);
}

// status --cluster, check --cluster [--group G] (docs/reference.md "Command line").
TEST(Cli, ClusterOptionsReachThePort) {
    EXPECT_EQ(reached({"status", "--cluster", "--json"}), "status --json --cluster");
    EXPECT_EQ(reached({"check", "--cluster", "--group", "Exchange Group"}),
              "check --cluster --group Exchange Group");
    EXPECT_EQ(reached({"check"}), "check");
}

TEST(Cli, ClusterOptionMistakesAreOneLineExit2) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"check", "--group", "G"},
          std::vector<std::string>{"check", "--cluster", "--group"},
          std::vector<std::string>{"check", "--cluster", "--snapshot", "s.json"},
          std::vector<std::string>{"repair", "--cluster"},
          std::vector<std::string>{"status", "--group", "G"}}) {
        auto r = cli(args);
        EXPECT_EQ(r.code, 2) << args[0] << " " << args[1];
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
}

TEST(Cli, ClusterCommandsWithoutWindowsSayNoClusterExit4) {
    for (const char* command : {"status", "check"}) {
        auto r = cli({command, "--cluster"});
        EXPECT_EQ(r.code, 4) << command;
        EXPECT_NE(r.err.find("no cluster here"), std::string::npos) << r.err;
    }
    EXPECT_NE(cli({"--help"}).out.find("check --cluster [--group G]"), std::string::npos);
}

TEST(Cli, UsageErrors) {
    EXPECT_EQ(cli({}).code, 2);
    EXPECT_EQ(cli({"frobnicate"}).code, 2);
    EXPECT_EQ(cli({"check", "--bogus"}).code, 2);
    EXPECT_EQ(cli({"check", "--config"}).code, 2);
    EXPECT_EQ(cli({"--help"}).code, 0);
    auto v = cli({"--version"});
    EXPECT_EQ(v.code, 0);
    EXPECT_NE(v.out.find(PERMWATCH_VERSION), std::string::npos);
}

// Every command has its own --help: exit 0, on stdout, naming the command and
// each option it takes, and no option it does not.
TEST(Cli, EachCommandHasItsOwnHelp) {
    const std::map<std::string, std::vector<std::string>> options = {
        {"run", {"--console", "--config"}},
        {"install", {"--config", "--account", "--configure-only"}},
        {"uninstall", {}},
        {"check", {"--config", "--json", "--snapshot", "--cluster", "--group"}},
        {"repair", {"--config", "--dry-run", "--json"}},
        {"export", {"--key", "--config"}},
        {"validate", {"--config"}},
        {"status", {"--config", "--json", "--cluster"}},
        {"rollback", {"--config", "--to", "--key"}},
    };
    const std::vector<std::string> every = {
        "--console", "--config",   "--account", "--configure-only",
        "--json",    "--snapshot", "--cluster", "--group",
        "--dry-run", "--key",      "--to"};
    for (const auto& [command, takes] : options) {
        for (const char* help : {"--help", "-h"}) {
            auto r = cli({command, help});
            EXPECT_EQ(r.code, 0) << command << " " << help;
            EXPECT_TRUE(r.err.empty()) << r.err;
            EXPECT_NE(r.out.find("permwatch " + command), std::string::npos) << r.out;
            EXPECT_NE(r.out.find("exit codes:"), std::string::npos) << r.out;
            for (const std::string& option : every) {
                const bool listed = r.out.find(option + " ") != std::string::npos ||
                                    r.out.find(option + "\n") != std::string::npos;
                const bool taken = std::find(takes.begin(), takes.end(), option) != takes.end();
                EXPECT_EQ(listed, taken) << command << " --help and " << option << ":\n" << r.out;
            }
        }
    }
}

TEST(Cli, HelpAndUsage) {
    for (const char* help : {"--help", "-h", "help"}) {
        auto r = cli({help});
        EXPECT_EQ(r.code, 0) << help;
        EXPECT_EQ(r.out.rfind("usage: permwatch <command> [options]\n", 0), 0u) << r.out;
        EXPECT_TRUE(r.err.empty());
    }
    // No command at all: the usage, on stderr.
    auto none = cli({});
    EXPECT_TRUE(none.out.empty());
    EXPECT_EQ(none.err.rfind("usage: permwatch", 0), 0u) << none.err;
    EXPECT_EQ(cli({"--help"}).out, cli({"help"}).out);
}

// An option that another command takes is refused by this one: one line that
// names it, exit 2 (the usage exit code); the live port is never asked.
TEST(Cli, AnOptionOfAnotherCommandIsRefusedNamingIt) {
    const std::vector<std::vector<std::string>> cases = {
        {"status", "--dry-run"},       {"status", "--snapshot", "s.json"},
        {"status", "--group", "G"},    {"status", "--key", "HKLM\\X"},
        {"check", "--dry-run"},        {"check", "--console"},
        {"check", "--key", "HKLM\\X"}, {"repair", "--cluster"},
        {"repair", "--snapshot", "s"}, {"repair", "--console"},
        {"export", "--json"},          {"export", "--to", "1"},
        {"export", "--dry-run"},       {"validate", "--json"},
        {"validate", "--dry-run"},     {"run", "--json"},
        {"run", "--dry-run"},          {"install", "--json"},
        {"install", "--console"},      {"uninstall", "--config", "c.json"},
        {"uninstall", "--json"},       {"rollback", "--dry-run"},
        {"rollback", "--json"},        {"rollback", "--snapshot", "s"},
        {"install", "--to", "1"},      {"run", "--configure-only"},
    };
    for (const auto& args : cases) {
        RecordingLiveCommands live(0);
        auto r = cli(args, &live);
        EXPECT_EQ(r.code, 2) << args[0] << " " << args[1];
        EXPECT_TRUE(r.out.empty()) << r.out;
        EXPECT_EQ(r.err,
                  "permwatch: unknown option '" + args[1] + "' for " + args[0] + "; see --help\n");
        EXPECT_EQ(live.calls, 0) << args[0];
    }
}

TEST(Cli, WordsNoCommandTakes) {
    RecordingLiveCommands live(0);
    auto r = cli({"status", "check"}, &live);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "permwatch: unknown option 'check' for status; see --help\n");
    r = cli({"check", "--config", "c.json", "--", "x"}, &live);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "permwatch: unknown option 'x' for check; see --help\n");
    // Options are --name only, on Windows too: /json is a word, not an option.
    r = cli({"check", "/json"}, &live);
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err, "permwatch: unknown option '/json' for check; see --help\n");
    // The first word names the command.
    for (const char* first : {"frobnicate", "--json", "/help", ""}) {
        r = cli({first, "check"}, &live);
        EXPECT_EQ(r.code, 2) << first;
        EXPECT_EQ(r.err, "permwatch: unknown command '" + std::string(first) + "'; see --help\n");
    }
    // --version is the program's, not a command's.
    r = cli({"status", "--version"}, &live);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("'--version'"), std::string::npos) << r.err;
}

TEST(Cli, AnOptionWithoutItsValue) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"check", "--config"},
          std::vector<std::string>{"check", "--json", "--snapshot"},
          std::vector<std::string>{"export", "--key"}, std::vector<std::string>{"rollback", "--to"},
          std::vector<std::string>{"install", "--account"}}) {
        auto r = cli(args);
        EXPECT_EQ(r.code, 2) << args.back();
        EXPECT_EQ(r.err, "permwatch: " + args.back() + " needs a value\n");
    }
}

// Every combination the command line has: each reaches the port with what it says.
TEST(Cli, EachCommandsOptionsReachThePort) {
    EXPECT_EQ(reached({"export", "--key", "HKLM\\A", "--key", "HKLM\\B"}),
              "export --key HKLM\\A --key HKLM\\B");
    EXPECT_EQ(
        reached({"rollback", "--config", "c.json", "--to", "000000000007", "--key", "HKLM\\A"}),
        "rollback --config c.json --to 000000000007 --key HKLM\\A");
    EXPECT_EQ(reached({"install", "--config", "c.json", "--account", "DOMAIN\\svc"}),
              "install --config c.json --account DOMAIN\\svc");
    EXPECT_EQ(reached({"run", "--console", "--config", "c.json"}), "run --config c.json --console");
    EXPECT_EQ(reached({"run", "--config", "c.json"}), "run --config c.json");
    EXPECT_EQ(reached({"status", "--json", "--config", "c.json"}), "status --config c.json --json");
    EXPECT_EQ(reached({"uninstall"}), "uninstall");
    EXPECT_EQ(reached({"check", "--json"}), "check --json");
    // An option given twice keeps its last value; a flag given twice is set.
    EXPECT_EQ(reached({"repair", "--config", "a.json", "--config", "b.json", "--json", "--json"}),
              "repair --config b.json --json");
    // The value is the next word, whatever it looks like.
    EXPECT_EQ(reached({"repair", "--config", "--json"}), "repair --config --json");
}

// validate and check --snapshot never reach the port: core runs them.
TEST(Cli, OfflineCommandsStayInCore) {
    RecordingLiveCommands live(7);
    EXPECT_EQ(cli({"validate", "--config", config}, &live).code, 0);
    EXPECT_EQ(cli({"check", "--snapshot", repaired, "--config", config}, &live).code, 0);
    EXPECT_EQ(live.calls, 0);
}

TEST(Cli, MissingConfigFileIsOneLine) {
    auto r = cli({"validate", "--config", "/nonexistent/permwatch.json"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("/nonexistent/permwatch.json"), std::string::npos);
}

TEST(Cli, ExpandEnvironment) {
    EXPECT_EQ(expand_environment("%PERMWATCH_SURELY_UNSET_VAR%\\x"),
              "%PERMWATCH_SURELY_UNSET_VAR%\\x");
    EXPECT_EQ(expand_environment("100%"), "100%");
}

void set_env(const char* name, const char* value) {
#ifdef _WIN32
    _putenv_s(name, value);
#else
    setenv(name, value, 1);
#endif
}

// The environment stands in for one a user controls; the folder given to
// set_program_data_folder stands in for SHGetKnownFolderPath's answer.
TEST(Cli, ProgramDataIsTheKnownFolderNotTheEnvironment) {
    set_env("ProgramData", "C:\\Users\\mallory\\planted");
    set_program_data_folder("C:\\ProgramData");
    EXPECT_EQ(expand_environment("%ProgramData%\\PermWatch\\journal.jsonl"),
              "C:\\ProgramData\\PermWatch\\journal.jsonl");
    EXPECT_EQ(expand_environment("%PROGRAMDATA%\\x"), "C:\\ProgramData\\x");
    EXPECT_EQ(default_config_path(), "C:\\ProgramData\\PermWatch\\permwatch.json");
    set_program_data_folder(std::nullopt);
    EXPECT_EQ(expand_environment("%ProgramData%\\x"), "C:\\Users\\mallory\\planted\\x");
}

}  // namespace test_cli
}  // namespace permwatch
