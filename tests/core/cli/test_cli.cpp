// The offline commands end to end, through run_cli, on the shipped files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cli/cli.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace {

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
        return code;
    }
    int code;
    CliOptions seen;
};

TEST(Cli, LiveCommandsGoToThePort) {
    RecordingLiveCommands live(7);
    auto r = cli({"repair", "--dry-run", "--json", "--config", "c.json"}, &live);
    EXPECT_EQ(r.code, 7);
    EXPECT_EQ(live.seen.command, "repair");
    EXPECT_TRUE(live.seen.dry_run);
    EXPECT_TRUE(live.seen.json);
    EXPECT_EQ(live.seen.config_path, "c.json");
}

// The MSI's custom action: `install --configure-only`,
// an option of install alone.
TEST(Cli, InstallConfigureOnlyReachesThePortAndNoOtherCommandTakesIt) {
    RecordingLiveCommands live(0);
    EXPECT_EQ(cli({"install", "--configure-only"}, &live).code, 0);
    EXPECT_EQ(live.seen.command, "install");
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
    RecordingLiveCommands live(0);
    EXPECT_EQ(cli({"status", "--cluster", "--json"}, &live).code, 0);
    EXPECT_EQ(live.seen.command, "status");
    EXPECT_TRUE(live.seen.cluster);
    EXPECT_TRUE(live.seen.json);
    EXPECT_FALSE(live.seen.group);
    EXPECT_EQ(cli({"check", "--cluster", "--group", "Exchange Group"}, &live).code, 0);
    EXPECT_EQ(live.seen.command, "check");
    EXPECT_TRUE(live.seen.cluster);
    EXPECT_EQ(live.seen.group, "Exchange Group");
    EXPECT_EQ(cli({"check"}, &live).code, 0);
    EXPECT_FALSE(live.seen.cluster);
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

}  // namespace
}  // namespace permwatch
