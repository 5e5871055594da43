#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/policy/config.hpp"
#include "core/policy/json_pointer.hpp"
#include "core/security/key_path.hpp"
#include "core/security/security_descriptor.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_config {

using Json = nlohmann::ordered_json;
constexpr auto CI = ace_flags::container_inherit;
constexpr auto OI = ace_flags::object_inherit;
constexpr auto IO = ace_flags::inherit_only;
constexpr auto NP = ace_flags::no_propagate;

std::string source_file(const std::string& relative) {
    return std::string(PERMWATCH_SOURCE_DIR) + "/" + relative;
}

std::string read_text(const std::string& relative) {
    std::ifstream in(source_file(relative), std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << relative;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Json read_json(const std::string& relative) { return Json::parse(read_text(relative)); }

std::vector<std::string> pointers(const ConfigResult& r) {
    std::vector<std::string> out;
    for (const auto& p : r.problems) out.push_back(p.pointer);
    return out;
}

std::string dump_problems(const ConfigResult& r) {
    std::string out;
    for (const auto& p : r.problems) out += "  [" + p.pointer + "] " + p.message + "\n";
    return out;
}

// The smallest valid config; each rule test changes one thing in it.
Json base() {
    return Json::parse(R"({
      "version": 1,
      "keys": [ { "path": "HKLM\\SOFTWARE\\Example",
                  "require": [ { "principal": "SY", "rights": ["KEY_READ"] } ] } ]
    })");
}

ConfigResult load(const Json& doc) { return load_config(doc.dump()); }

ConfigResult load_with(const std::string& pointer, const Json& value) {
    Json doc = base();
    doc[Json::json_pointer(pointer)] = value;
    return load(doc);
}

ConfigResult load_without(const std::string& pointer) {
    Json doc = base();
    const Json::json_pointer p(pointer);
    Json& parent = doc[p.parent_pointer()];
    if (parent.is_array()) {
        parent.erase(std::stoul(p.back()));
    } else {
        parent.erase(p.back());
    }
    return load(doc);
}

// Exactly one problem, at `pointer`, that says what it found and what it
// expected. Returns its message for further checks.
std::string expect_one_problem(const ConfigResult& r, const std::string& pointer) {
    EXPECT_FALSE(r.config.has_value());
    EXPECT_EQ(pointers(r), std::vector<std::string>{pointer}) << dump_problems(r);
    if (r.problems.size() != 1) return {};
    const std::string& m = r.problems[0].message;
    EXPECT_TRUE(m.find("found") != std::string::npos || m.find("missing") != std::string::npos)
        << m;
    EXPECT_NE(m.find("expected"), std::string::npos) << m;
    return m;
}

Config expect_ok(const ConfigResult& r) {
    EXPECT_TRUE(r.problems.empty()) << dump_problems(r);
    EXPECT_TRUE(r.config.has_value());
    return r.config.value_or(Config{});
}

Requirement requirement(Principal p, AccessMask rights, std::uint8_t inherit) {
    Requirement r;
    r.principal = std::move(p);
    r.rights = rights;
    r.inherit = inherit;
    return r;
}

Principal service_account_of(std::string name) {
    return {.kind = Principal::Kind::service_account_of, .sid = {}, .name = std::move(name)};
}

Principal sid_principal(Sid sid) {
    return {.kind = Principal::Kind::sid, .sid = std::move(sid), .name = {}};
}

Principal account(std::string name) {
    return {.kind = Principal::Kind::account_name, .sid = {}, .name = std::move(name)};
}

// ---------------------------------------------------------------------------
// The shipped config and the examples

TEST(ConfigFiles, ShippedConfigLoadsAndEqualsTheContractExample) {
    Config expected;
    expected.version = 1;
    expected.mode = Mode::enforce;
    expected.sweep_interval_s = 60;
    expected.debounce_ms = 50;
    expected.flapping = Flapping{5, 60, 300};
    expected.pipe = "permwatch";
    expected.journal = "%ProgramData%\\PermWatch\\journal.jsonl";
    KeyPolicy key;
    key.path = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES";
    key.checkpoint = CheckpointMode::automatic;
    key.require = {
        requirement(service_account_of("MSExchangeSA"), rights::key_all_access, CI),
        requirement(service_account_of("ClusSvc"), rights::key_all_access, CI),
        requirement(sid_principal(Sid(5, {18})), rights::key_all_access, CI),
    };
    expected.keys = {key};

    const Config got = expect_ok(load_config(read_text("config/permwatch.json")));
    EXPECT_EQ(got, expected);
}

TEST(ConfigFiles, ShippedConfigSpellsOutEveryTopLevelFieldWithItsDefault) {
    const Json doc = read_json("config/permwatch.json");
    std::vector<std::string> names;
    for (auto it = doc.begin(); it != doc.end(); ++it) names.push_back(it.key());
    EXPECT_EQ(names, (std::vector<std::string>{"version", "mode", "sweep_interval_s", "debounce_ms",
                                               "flapping", "pipe", "journal", "keys"}));
    // Every top-level field except keys holds exactly the default.
    Config defaults;
    Config shipped = expect_ok(load_config(read_text("config/permwatch.json")));
    shipped.keys.clear();
    EXPECT_EQ(shipped, defaults);
}

TEST(ConfigFiles, MinimalExampleTakesEveryDefault) {
    const Config got = expect_ok(load_config(read_text("config/examples/minimal.json")));
    Config expected;
    KeyPolicy key;
    key.path = "HKLM\\SOFTWARE\\Example";
    key.require = {requirement(sid_principal(Sid(5, {18})), rights::key_read, 0)};
    expected.keys = {key};
    EXPECT_EQ(got, expected);
    EXPECT_EQ(got.keys[0].checkpoint, CheckpointMode::automatic);
    EXPECT_EQ(got.keys[0].require[0].inherit, 0);
}

TEST(ConfigFiles, SqlServerExampleUsesEveryPrincipalFormAndPartialFlapping) {
    const Config c = expect_ok(load_config(read_text("config/examples/sql-server-audit.json")));
    EXPECT_EQ(c.mode, Mode::audit);
    EXPECT_EQ(c.sweep_interval_s, 300);
    EXPECT_EQ(c.debounce_ms, 0);
    EXPECT_EQ(c.flapping, (Flapping{3, 60, 300}));
    EXPECT_EQ(c.pipe, "permwatch");
    EXPECT_EQ(c.journal, "D:\\PermWatch\\journal.jsonl");
    ASSERT_EQ(c.keys.size(), 2u);
    EXPECT_EQ(c.keys[0].path,
              "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL "
              "Server\\MSSQL15.SQL1\\MSSQLServer");
    EXPECT_EQ(c.keys[0].checkpoint, CheckpointMode::yes);
    EXPECT_EQ(c.keys[1].checkpoint, CheckpointMode::no);
    ASSERT_EQ(c.keys[0].require.size(), 3u);
    EXPECT_EQ(c.keys[0].require[0], requirement(service_account_of("MSSQL$SQL1"),
                                                rights::key_read | rights::key_set_value, CI | OI));
    EXPECT_EQ(c.keys[0].require[1],
              requirement(account("CONTOSO\\sql-admins"), rights::key_all_access, 0));
    EXPECT_EQ(c.keys[0].require[2],
              requirement(sid_principal(Sid(5, {32, 544})), rights::key_all_access, CI | IO));
    ASSERT_EQ(c.keys[1].require.size(), 1u);
    EXPECT_EQ(c.keys[1].require[0], requirement(account(".\\svc-example"),
                                                rights::read_control | rights::key_query_value, 0));
}

// The keys a SQL Server failover instance (SQL Server 2022,
// default instance: MSSQL16.MSSQLSERVER) checkpoints, each granting the
// service account that uses it and the Cluster service full control with CI.
TEST(ConfigFiles, SqlServerFciPackGrantsTheServiceAccountsAndTheClusterService) {
    const Config c = expect_ok(load_config(read_text("config/examples/sql-server-fci.json")));
    EXPECT_EQ(c.mode, Mode::enforce);
    const std::string instance =
        "HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\";
    std::vector<std::string> names;
    for (const KeyPolicy& key : c.keys) {
        ASSERT_EQ(key.path.rfind(instance, 0), 0u) << key.path;
        const std::string name = key.path.substr(instance.size());
        names.push_back(name);
        EXPECT_EQ(key.checkpoint, CheckpointMode::automatic) << name;
        ASSERT_EQ(key.require.size(), 3u) << name;
        const std::string service = name == "SQLServerAgent" ? "SQLSERVERAGENT" : "MSSQLSERVER";
        EXPECT_EQ(key.require[0],
                  requirement(service_account_of(service), rights::key_all_access, CI))
            << name;
        EXPECT_EQ(key.require[1],
                  requirement(service_account_of("ClusSvc"), rights::key_all_access, CI))
            << name;
        EXPECT_EQ(key.require[2],
                  requirement(sid_principal(Sid(5, {18})), rights::key_all_access, CI))
            << name;
    }
    EXPECT_EQ(names,
              (std::vector<std::string>{"MSSQLServer", "Replication", "Providers", "SQLServerSCP",
                                        "CPE", "Cluster", "SQLServerAgent"}));
}

TEST(ConfigFiles, EveryExampleExceptTheMistakesIsValid) {
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(source_file("config/examples"))) {
        if (entry.path().extension() != ".json") continue;
        const std::string name = entry.path().filename().string();
        if (name == "five-mistakes.json") continue;
        const ConfigResult r = load_config(read_text("config/examples/" + name));
        EXPECT_TRUE(r.config.has_value()) << name << "\n" << dump_problems(r);
        ++count;
    }
    EXPECT_GE(count, 2);
}

TEST(ConfigFiles, FiveMistakesReportsAllFiveInDocumentOrder) {
    const ConfigResult r = load_config(read_text("config/examples/five-mistakes.json"));
    EXPECT_FALSE(r.config.has_value());
    EXPECT_EQ(pointers(r), (std::vector<std::string>{
                               "/mode",
                               "/sweep_interval_s",
                               "/keys/0/path",
                               "/keys/0/require/0/rights/0",
                               "/keys/0/require/1/propagate",
                           }))
        << dump_problems(r);
    for (const auto& p : r.problems) EXPECT_NE(p.message.find("expected"), std::string::npos);
}

// ---------------------------------------------------------------------------
// JSON syntax and the document

TEST(ConfigSyntax, SyntaxErrorIsOneProblemWithLineAndColumn) {
    const ConfigResult r = load_config("{\n  \"version\": 1,\n  \"keys\": [,]\n}");
    ASSERT_EQ(pointers(r), std::vector<std::string>{""}) << dump_problems(r);
    EXPECT_FALSE(r.config.has_value());
    EXPECT_NE(r.problems[0].message.find("line 3, column 12"), std::string::npos)
        << r.problems[0].message;
    EXPECT_EQ(r.problems[0].message.find("[json.exception"), std::string::npos)
        << r.problems[0].message;
}

TEST(ConfigSyntax, EmptyAndTruncatedAndTrailingGarbage) {
    for (const char* text : {"", "   ", "{", "{\"version\": 1,", "{} x", "{}{}", "nul",
                             "{\"version\": 1 /* comment */}", "{\"a\":\"\xC3\"}"}) {
        const ConfigResult r = load_config(text);
        EXPECT_FALSE(r.config.has_value()) << text;
        EXPECT_EQ(pointers(r), std::vector<std::string>{""}) << text << dump_problems(r);
    }
}

TEST(ConfigSyntax, AUtf8ByteOrderMarkIsAccepted) {
    // Notepad on older Windows writes one; nlohmann skips it.
    expect_ok(load_config("\xEF\xBB\xBF" + base().dump()));
}

TEST(ConfigSyntax, DeepNestingIsOneProblemNotAStackOverflow) {
    const std::string deep =
        "{\"version\": 1, \"keys\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    const std::string m = expect_one_problem(load_config(deep), "");
    EXPECT_NE(m.find("64 levels"), std::string::npos) << m;
    // 64 levels are parsed (and then rejected for what they hold, with pointers).
    const std::string ok_depth = "{\"keys\": " + std::string(63, '[') + std::string(63, ']') + "}";
    const ConfigResult r = load_config(ok_depth);
    EXPECT_EQ(pointers(r), (std::vector<std::string>{"/keys/0", "/version"})) << dump_problems(r);
    // Brackets inside strings do not count.
    Json doc = base();
    doc["journal"] = std::string(1000, '[') + "\"{";
    expect_ok(load(doc));
}

TEST(ConfigSyntax, SyntaxMessagesStayAsciiWhateverTheFileHolds) {
    const ConfigResult r = load_config("{\"version\": 1, \"keys\": \xFF\xFE}");
    ASSERT_EQ(pointers(r), std::vector<std::string>{""});
    for (char c : r.problems[0].message) EXPECT_LT(static_cast<unsigned char>(c), 0x80);
    const ConfigResult big = load_config("{\"version\": 1" + std::string(5000, '9') + "x}");
    ASSERT_EQ(pointers(big), std::vector<std::string>{""});
    EXPECT_LT(big.problems[0].message.size(), 500u);
}

TEST(ConfigSyntax, TopLevelMustBeAnObject) {
    for (const char* text : {"[]", "1", "\"config\"", "null", "true"}) {
        expect_one_problem(load_config(text), "");
    }
}

TEST(ConfigSyntax, DuplicateMemberNamesAreReported) {
    const ConfigResult r = load_config(R"({"version": 1, "mode": "audit", "mode": "enforce",
        "keys": [ { "path": "HKLM\\A", "require": [
            { "principal": "SY", "rights": ["KEY_READ"], "rights": ["KEY_WRITE"] } ] } ] })");
    EXPECT_FALSE(r.config.has_value());
    EXPECT_EQ(pointers(r), (std::vector<std::string>{"/mode", "/keys/0/require/0/rights"}))
        << dump_problems(r);
}

TEST(ConfigSyntax, DuplicateDetectionTracksArrayIndexes) {
    const ConfigResult r = load_config(R"({"version": 1, "keys": [
        { "path": "HKLM\\A", "require": [ { "principal": "SY", "rights": ["KEY_READ"] } ] },
        { "path": "HKLM\\B", "require": [ [1, {"x": 1}], { "principal": "SY", "principal": "BA",
          "rights": ["KEY_READ"] } ] } ] })");
    EXPECT_FALSE(r.config.has_value());
    // The duplicate, then the loader's own problem with the nested array.
    EXPECT_EQ(pointers(r),
              (std::vector<std::string>{"/keys/1/require/1/principal", "/keys/1/require/0"}))
        << dump_problems(r);
}

TEST(ConfigSyntax, EveryProblemIsReportedNotOnlyTheFirst) {
    const ConfigResult r = load_config(R"({
      "version": 2, "mode": 1, "sweep_interval_s": "60", "debounce_ms": -1,
      "flapping": { "max_repairs": 0, "window_s": 0, "backoff_s": 0, "extra": 1 },
      "pipe": "", "journal": "", "unknown": null,
      "keys": [ { "path": "HKCU\\X", "checkpoint": "maybe", "require": [
          { "principal": "", "rights": [], "inherit": ["sideways"] } ] } ] })");
    EXPECT_EQ(pointers(r), (std::vector<std::string>{
                               "/version", "/mode", "/sweep_interval_s", "/debounce_ms",
                               "/flapping/max_repairs", "/flapping/window_s", "/flapping/backoff_s",
                               "/flapping/extra", "/pipe", "/journal", "/unknown", "/keys/0/path",
                               "/keys/0/checkpoint", "/keys/0/require/0/principal",
                               "/keys/0/require/0/rights", "/keys/0/require/0/inherit/0"}))
        << dump_problems(r);
}

TEST(ConfigSyntax, PointerTokensAreEscaped) {
    Json doc = base();
    doc["a/b~c"] = 1;
    doc["keys"][0]["x/y"] = 1;
    const ConfigResult r = load(doc);
    EXPECT_EQ(pointers(r), (std::vector<std::string>{"/keys/0/x~1y", "/a~1b~0c"}))
        << dump_problems(r);
}

// ---------------------------------------------------------------------------
// Top-level fields

TEST(ConfigVersion, RequiredAndExactlyTheInteger1) {
    expect_one_problem(load_without("/version"), "/version");
    for (const Json& bad : {Json("1"), Json(2), Json(0), Json(-1), Json(1.5), Json(true),
                            Json(nullptr), Json::array({1}), Json::object()}) {
        expect_one_problem(load_with("/version", bad), "/version");
    }
    // JSON Schema's "integer" includes 1.0; so does the loader.
    expect_ok(load_with("/version", 1.0));
}

TEST(ConfigKeys, RequiredNonEmptyArray) {
    expect_one_problem(load_without("/keys"), "/keys");
    expect_one_problem(load_with("/keys", Json::array()), "/keys");
    expect_one_problem(load_with("/keys", Json::object()), "/keys");
    expect_one_problem(load_with("/keys", "HKLM\\X"), "/keys");
    expect_one_problem(load_with("/keys/0", "HKLM\\X"), "/keys/0");
    expect_one_problem(load_with("/keys/0", nullptr), "/keys/0");
}

TEST(ConfigMode, EnforceOrAudit) {
    EXPECT_EQ(expect_ok(load(base())).mode, Mode::enforce);
    EXPECT_EQ(expect_ok(load_with("/mode", "audit")).mode, Mode::audit);
    EXPECT_EQ(expect_ok(load_with("/mode", "enforce")).mode, Mode::enforce);
    for (const Json& bad : {Json("Enforce"), Json("AUDIT"), Json("repair"), Json(""), Json(1),
                            Json(nullptr), Json(true)}) {
        const std::string m = expect_one_problem(load_with("/mode", bad), "/mode");
        EXPECT_NE(m.find("\"enforce\" or \"audit\""), std::string::npos) << m;
    }
}

TEST(ConfigSweep, IntegerAtLeastOne) {
    EXPECT_EQ(expect_ok(load(base())).sweep_interval_s, 60);
    EXPECT_EQ(expect_ok(load_with("/sweep_interval_s", 1)).sweep_interval_s, 1);
    EXPECT_EQ(expect_ok(load_with("/sweep_interval_s", 2147483647)).sweep_interval_s, 2147483647);
    EXPECT_EQ(expect_ok(load_with("/sweep_interval_s", 120.0)).sweep_interval_s, 120);
    for (const Json& bad : {Json(0), Json(-5), Json("60"), Json(1.5), Json(2147483648LL),
                            Json(18446744073709551615ULL), Json(1e300), Json(nullptr)}) {
        const std::string m =
            expect_one_problem(load_with("/sweep_interval_s", bad), "/sweep_interval_s");
        EXPECT_NE(m.find("from 1 to 2147483647"), std::string::npos) << m;
    }
    // A number beyond double is the parser's problem (nlohmann throws
    // out_of_range, not parse_error); it must still be one problem, not a throw.
    const ConfigResult huge = load_config(R"({"version":1,"sweep_interval_s":1e400,"keys":[]})");
    EXPECT_EQ(pointers(huge), std::vector<std::string>{""}) << dump_problems(huge);
    EXPECT_NE(huge.problems.at(0).message.find("1e400"), std::string::npos);
}

TEST(ConfigDebounce, IntegerAtLeastZero) {
    EXPECT_EQ(expect_ok(load(base())).debounce_ms, 50);
    EXPECT_EQ(expect_ok(load_with("/debounce_ms", 0)).debounce_ms, 0);
    for (const Json& bad : {Json(-1), Json("50"), Json(0.5), Json(false)}) {
        expect_one_problem(load_with("/debounce_ms", bad), "/debounce_ms");
    }
}

TEST(ConfigFlapping, EachMemberIsAnIntegerAtLeastOneWithItsOwnDefault) {
    EXPECT_EQ(expect_ok(load(base())).flapping, (Flapping{5, 60, 300}));
    EXPECT_EQ(expect_ok(load_with("/flapping", Json::object())).flapping, (Flapping{5, 60, 300}));
    EXPECT_EQ(expect_ok(load_with("/flapping", {{"window_s", 10}})).flapping,
              (Flapping{5, 10, 300}));
    EXPECT_EQ(
        expect_ok(load_with("/flapping", {{"max_repairs", 1}, {"window_s", 1}, {"backoff_s", 1}}))
            .flapping,
        (Flapping{1, 1, 1}));
    for (const char* member : {"max_repairs", "window_s", "backoff_s"}) {
        const std::string p = std::string("/flapping/") + member;
        expect_one_problem(load_with(p, 0), p);
        expect_one_problem(load_with(p, -3), p);
        expect_one_problem(load_with(p, "5"), p);
        expect_one_problem(load_with(p, 2.5), p);
    }
    expect_one_problem(load_with("/flapping", Json::array({5, 60, 300})), "/flapping");
    expect_one_problem(load_with("/flapping", 5), "/flapping");
    expect_one_problem(load_with("/flapping/window", 60), "/flapping/window");
}

TEST(ConfigPipe, NonEmptyNameWithoutBackslash) {
    EXPECT_EQ(expect_ok(load(base())).pipe, "permwatch");
    EXPECT_EQ(expect_ok(load_with("/pipe", "permwatch-test_2.x")).pipe, "permwatch-test_2.x");
    EXPECT_EQ(expect_ok(load_with("/pipe", std::string(241, 'p'))).pipe, std::string(241, 'p'));
    const std::string m = expect_one_problem(load_with("/pipe", "\\\\.\\pipe\\permwatch"), "/pipe");
    EXPECT_NE(m.find("without backslashes"), std::string::npos) << m;
    for (const Json& bad : {Json(""), Json("a\\b"), Json("a\nb"), Json(std::string(242, 'p')),
                            Json(1), Json(nullptr), Json::array({"permwatch"})}) {
        expect_one_problem(load_with("/pipe", bad), "/pipe");
    }
}

TEST(ConfigJournal, NonEmptyString) {
    EXPECT_EQ(expect_ok(load(base())).journal, "%ProgramData%\\PermWatch\\journal.jsonl");
    EXPECT_EQ(expect_ok(load_with("/journal", "C:\\j.jsonl")).journal, "C:\\j.jsonl");
    for (const Json& bad : {Json(""), Json(1), Json(nullptr), Json::object()}) {
        expect_one_problem(load_with("/journal", bad), "/journal");
    }
}

TEST(ConfigUnknown, UnknownMembersAtEveryLevelNameTheAllowedOnes) {
    std::string m = expect_one_problem(load_with("/modee", "audit"), "/modee");
    EXPECT_NE(m.find("\"modee\""), std::string::npos) << m;
    EXPECT_NE(m.find("mode"), std::string::npos) << m;
    expect_one_problem(load_with("/keys/0/paths", "HKLM\\B"), "/keys/0/paths");
    expect_one_problem(load_with("/keys/0/require/0/deny", true), "/keys/0/require/0/deny");
    expect_one_problem(load_with("/flapping", {{"max_repairs", 5}, {"windows", 60}}),
                       "/flapping/windows");
    expect_one_problem(
        load_with("/keys/0/require/0/principal", {{"service_account_of", "X"}, {"node", "A"}}),
        "/keys/0/require/0/principal/node");
    // A known name in the wrong place is unknown there.
    expect_one_problem(load_with("/keys/0/mode", "audit"), "/keys/0/mode");
    expect_one_problem(load_with("/path", "HKLM\\A"), "/path");
}

// ---------------------------------------------------------------------------
// Keys

TEST(ConfigPath, RequiredString) {
    expect_one_problem(load_without("/keys/0/path"), "/keys/0/path");
    for (const Json& bad : {Json(1), Json(nullptr), Json::array({"HKLM", "A"})}) {
        expect_one_problem(load_with("/keys/0/path", bad), "/keys/0/path");
    }
}

TEST(ConfigPath, UnderHklmOnlyEitherSpellingAnyCase) {
    for (const char* good :
         {"HKLM\\SOFTWARE\\Example", "hklm\\software\\example", "HkLm\\A",
          "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES",
          "hkey_local_machine\\A", "HKLM\\A B\\c.d\\{e}\\MSSQL$X", "HKLM\\a/b"}) {
        const Config c = expect_ok(load_with("/keys/0/path", good));
        EXPECT_EQ(c.keys[0].path, good);  // echoed as written
    }
    for (const char* bad :
         {"HKCU\\Software\\X", "HKEY_CURRENT_USER\\X", "HKEY_USERS\\X", "HKCR\\X",
          "SOFTWARE\\Example", "\\HKLM\\A", " HKLM\\A", "HKLMX\\A", "HKLM/SOFTWARE", "HKLM",
          "HKEY_LOCAL_MACHINE", "HKLM\\", "HKEY_LOCAL_MACHINE\\", "HKLM\\\\A", "HKLM\\A\\",
          "HKLM\\A\\\\B", "HKLM\\A\\B\\", ""}) {
        expect_one_problem(load_with("/keys/0/path", bad), "/keys/0/path");
    }
}

// A NUL would cut the name Win32 sees short of the one the
// policy names; a control character would break a log line in two.
TEST(ConfigPath, ControlCharactersAndNulAreRejectedWithThePointerAsOneLine) {
    const std::vector<std::string> bad = {std::string("HKLM\\SOFTWARE\\Ex") + '\0' + "ample",
                                          std::string("HKLM\\SOFTWARE\\Example") + '\0',
                                          "HKLM\\SOFTWARE\\Ex\nample",
                                          "HKLM\\SOFTWARE\\Ex\rample",
                                          "HKLM\\SOFTWARE\\Ex\tample",
                                          "HKLM\\SOFTWARE\\Ex\x1b"
                                          "ample",
                                          "HKLM\\SOFTWARE\\Ex\x7f"
                                          "ample"};
    for (const std::string& s : bad) {
        const std::string m = expect_one_problem(load_with("/keys/0/path", s), "/keys/0/path");
        EXPECT_NE(m.find("control characters or NUL"), std::string::npos) << m;
        EXPECT_EQ(m.find_first_of(std::string("\n\r\0", 3)), std::string::npos) << m;
    }
    // The second key's path is the one named.
    Json doc = base();
    Json second = doc["keys"][0];
    second["path"] = std::string("HKLM\\SOFTWARE\\Two") + '\0';
    doc["keys"].push_back(second);
    expect_one_problem(load(doc), "/keys/1/path");
}

TEST(ConfigPath, ControlCharactersInJournalAndAccountNamesAreRejected) {
    for (const std::string& s :
         {std::string("C:\\j") + '\0' + ".jsonl", std::string("C:\\j\n.jsonl")}) {
        const std::string m = expect_one_problem(load_with("/journal", s), "/journal");
        EXPECT_NE(m.find("control characters or NUL"), std::string::npos) << m;
        EXPECT_EQ(m.find_first_of(std::string("\n\r\0", 3)), std::string::npos) << m;
    }
    for (const std::string& s :
         {std::string("CONTOSO\\bo") + '\0' + "b", std::string("CONTOSO\\bo\tb")}) {
        const std::string m = expect_one_problem(load_with("/keys/0/require/0/principal", s),
                                                 "/keys/0/require/0/principal");
        EXPECT_NE(m.find("control characters or NUL"), std::string::npos) << m;
    }
}

TEST(ConfigPath, TwoEntriesForTheSameKeyAreRejectedAtTheSecond) {
    Json doc = base();
    Json second = doc["keys"][0];
    second["path"] = "hkey_local_machine\\software\\EXAMPLE";
    Json third = doc["keys"][0];
    third["path"] = "HKLM\\SOFTWARE\\Other";
    doc["keys"].push_back(third);
    doc["keys"].push_back(second);
    const std::string m = expect_one_problem(load(doc), "/keys/2/path");
    EXPECT_NE(m.find("/keys/0/path"), std::string::npos) << m;
}

TEST(ConfigPath, DuplicateIsFoundEvenWhenTheKeysHaveOtherProblems) {
    Json doc = base();
    Json second = doc["keys"][0];
    second["require"] = Json::array();
    doc["keys"].push_back(second);
    const ConfigResult r = load(doc);
    EXPECT_EQ(pointers(r), (std::vector<std::string>{"/keys/1/require", "/keys/1/path"}))
        << dump_problems(r);
}

TEST(ConfigCheckpoint, AutoOrBoolean) {
    EXPECT_EQ(expect_ok(load(base())).keys[0].checkpoint, CheckpointMode::automatic);
    EXPECT_EQ(expect_ok(load_with("/keys/0/checkpoint", "auto")).keys[0].checkpoint,
              CheckpointMode::automatic);
    EXPECT_EQ(expect_ok(load_with("/keys/0/checkpoint", true)).keys[0].checkpoint,
              CheckpointMode::yes);
    EXPECT_EQ(expect_ok(load_with("/keys/0/checkpoint", false)).keys[0].checkpoint,
              CheckpointMode::no);
    for (const Json& bad : {Json("Auto"), Json("true"), Json("yes"), Json(1), Json(0),
                            Json(nullptr), Json::array()}) {
        expect_one_problem(load_with("/keys/0/checkpoint", bad), "/keys/0/checkpoint");
    }
}

TEST(ConfigRequire, RequiredNonEmptyArrayOfObjects) {
    expect_one_problem(load_without("/keys/0/require"), "/keys/0/require");
    expect_one_problem(load_with("/keys/0/require", Json::array()), "/keys/0/require");
    expect_one_problem(load_with("/keys/0/require", Json::object()), "/keys/0/require");
    expect_one_problem(load_with("/keys/0/require/0", "SY"), "/keys/0/require/0");
    expect_one_problem(load_with("/keys/0/require/0", Json::array()), "/keys/0/require/0");
}

TEST(ConfigRequire, MissingPathAndRequireAreBothReported) {
    const ConfigResult r = load_with("/keys/0", Json::object());
    EXPECT_EQ(pointers(r), (std::vector<std::string>{"/keys/0/path", "/keys/0/require"}));
}

// ---------------------------------------------------------------------------
// Principals

const std::string kPrincipal = "/keys/0/require/0/principal";

Principal principal_of(const Json& value) {
    const Config c = expect_ok(load_with(kPrincipal, value));
    return c.keys.empty() ? Principal{} : c.keys[0].require[0].principal;
}

TEST(ConfigPrincipal, Required) { expect_one_problem(load_without(kPrincipal), kPrincipal); }

TEST(ConfigPrincipal, SidStrings) {
    EXPECT_EQ(principal_of("S-1-5-18"), sid_principal(Sid(5, {18})));
    EXPECT_EQ(principal_of("S-1-5-21-1-2-3-1105"), sid_principal(Sid(5, {21, 1, 2, 3, 1105})));
    EXPECT_EQ(principal_of("S-1-5-21-4294967295-1-2-500"),
              sid_principal(Sid(5, {21, 4294967295u, 1, 2, 500})));
    for (const char* bad : {"S-1-5-", "S-1-", "S-1-5-x", "S-2-5-18", "S-1-5-21-4294967296",
                            "S-1-5--18", "s-1-5-18", "S-1-5-18-1-1-1-1-1-1-1-1-1-1-1-1-1-1-1"}) {
        const std::string m = expect_one_problem(load_with(kPrincipal, bad), kPrincipal);
        EXPECT_NE(m.find("SID"), std::string::npos) << bad << ": " << m;
    }
}

TEST(ConfigPrincipal, SddlAliases) {
    EXPECT_EQ(principal_of("SY"), sid_principal(Sid(5, {18})));
    EXPECT_EQ(principal_of("BA"), sid_principal(Sid(5, {32, 544})));
    EXPECT_EQ(principal_of("WD"), sid_principal(Sid(1, {0})));
    expect_one_problem(load_with(kPrincipal, "ZZ"), kPrincipal);
    // Domain-relative aliases need a domain PermWatch does not know.
    std::string m = expect_one_problem(load_with(kPrincipal, "DA"), kPrincipal);
    EXPECT_NE(m.find("domain"), std::string::npos) << m;
    m = expect_one_problem(load_with(kPrincipal, "sy"), kPrincipal);
    EXPECT_NE(m.find("\"SY\""), std::string::npos) << m;
}

TEST(ConfigPrincipal, DomainBackslashName) {
    EXPECT_EQ(principal_of("CONTOSO\\svc-exchange"), account("CONTOSO\\svc-exchange"));
    EXPECT_EQ(principal_of("NT AUTHORITY\\SYSTEM"), account("NT AUTHORITY\\SYSTEM"));
    EXPECT_EQ(principal_of(".\\root"), account(".\\root"));
    EXPECT_EQ(principal_of("NT SERVICE\\MSSQL$SQL1"), account("NT SERVICE\\MSSQL$SQL1"));
    for (const char* bad : {"\\name", "DOMAIN\\", "\\", "A\\B\\C", "DOMAIN\\\\name"}) {
        expect_one_problem(load_with(kPrincipal, bad), kPrincipal);
    }
}

TEST(ConfigPrincipal, BareNamesAreRefused) {
    // LookupAccountName would search several places for a bare name; a policy
    // about access must say which account it means.
    for (const char* bad : {"Administrators", "LocalSystem", "root", "svc"}) {
        const std::string m = expect_one_problem(load_with(kPrincipal, bad), kPrincipal);
        EXPECT_NE(m.find(".\\\\"), std::string::npos) << m;
    }
}

TEST(ConfigPrincipal, ServiceAccountOf) {
    EXPECT_EQ(principal_of({{"service_account_of", "MSExchangeSA"}}),
              service_account_of("MSExchangeSA"));
    EXPECT_EQ(principal_of({{"service_account_of", "MSSQL$SQL1"}}),
              service_account_of("MSSQL$SQL1"));
    const std::string member = kPrincipal + "/service_account_of";
    expect_one_problem(load_with(kPrincipal, Json::object()), member);
    for (const Json& bad : {Json(""), Json(5), Json(nullptr), Json("A\\B"), Json("a/b"),
                            Json(std::string(257, 's')), Json::array({"X"})}) {
        expect_one_problem(load_with(kPrincipal, {{"service_account_of", bad}}), member);
    }
    expect_one_problem(load_with(kPrincipal, {{"service_account_of", "X"}, {"domain", "Y"}}),
                       kPrincipal + "/domain");
}

TEST(ConfigPrincipal, ServiceAccountOfMisspelledReportsBothPointers) {
    const ConfigResult r = load_with(kPrincipal, {{"service", "X"}});
    EXPECT_EQ(pointers(r), (std::vector<std::string>{kPrincipal + "/service",
                                                     kPrincipal + "/service_account_of"}));
}

TEST(ConfigPrincipal, OtherTypes) {
    for (const Json& bad :
         {Json(""), Json(18), Json(nullptr), Json(true), Json::array({"S-1-5-18"})}) {
        expect_one_problem(load_with(kPrincipal, bad), kPrincipal);
    }
}

TEST(ConfigPrincipal, TextNamesThePrincipalAsFindingsDo) {
    EXPECT_EQ(service_account_of("MSExchangeSA").text(), "service_account_of:MSExchangeSA");
    EXPECT_EQ(account("CONTOSO\\bob").text(), "CONTOSO\\bob");
    EXPECT_EQ(sid_principal(Sid(5, {18})).text(), "S-1-5-18");
    EXPECT_EQ(principal_of("BA").text(), "S-1-5-32-544");
}

// ---------------------------------------------------------------------------
// Rights and inheritance

const std::string kRights = "/keys/0/require/0/rights";

TEST(ConfigRights, RequiredNonEmptyArray) {
    expect_one_problem(load_without(kRights), kRights);
    expect_one_problem(load_with(kRights, Json::array()), kRights);
    expect_one_problem(load_with(kRights, "KEY_READ"), kRights);
    expect_one_problem(load_with(kRights, 0x20019), kRights);
}

TEST(ConfigRights, NamesAndHexMasksAreOredTogether) {
    const auto rights_of = [](const Json& v) {
        const Config c = expect_ok(load_with(kRights, v));
        return c.keys.empty() ? AccessMask{0} : c.keys[0].require[0].rights;
    };
    EXPECT_EQ(rights_of({"KEY_ALL_ACCESS"}), rights::key_all_access);
    EXPECT_EQ(rights_of({"KEY_READ", "WRITE_DAC"}), rights::key_read | rights::write_dac);
    EXPECT_EQ(rights_of({"0x20019"}), rights::key_read);
    EXPECT_EQ(rights_of({"0x1", "0x2", "KEY_NOTIFY"}), 0x13u);
    EXPECT_EQ(rights_of({"KEY_READ", "KEY_READ"}), rights::key_read);
    // Generic rights are kept as configured; evaluation maps them.
    EXPECT_EQ(rights_of({"GENERIC_READ"}), rights::generic_read);
}

TEST(ConfigRights, EachBadEntryHasItsOwnPointer) {
    const ConfigResult r =
        load_with(kRights, {"KEY_READ", "KEY_REED", 5, "0x", "0x100000000", "key_write", "0X1"});
    EXPECT_EQ(pointers(r),
              (std::vector<std::string>{kRights + "/1", kRights + "/2", kRights + "/3",
                                        kRights + "/4", kRights + "/5", kRights + "/6"}))
        << dump_problems(r);
    ASSERT_EQ(r.problems.size(), 6u);
    EXPECT_NE(r.problems[4].message.find("\"KEY_WRITE\""), std::string::npos)
        << r.problems[4].message;
    EXPECT_NE(r.problems[5].message.find("lower-case x"), std::string::npos)
        << r.problems[5].message;
}

TEST(ConfigRights, RightsThatAddUpToNothingAreRefused) {
    expect_one_problem(load_with(kRights, {"0x0"}), kRights);
    expect_one_problem(load_with(kRights, {"0x0", "0x00000000"}), kRights);
}

const std::string kInherit = "/keys/0/require/0/inherit";

TEST(ConfigInherit, DefaultsToTheKeyItselfOnly) {
    EXPECT_EQ(expect_ok(load(base())).keys[0].require[0].inherit, 0);
    EXPECT_EQ(expect_ok(load_with(kInherit, Json::array())).keys[0].require[0].inherit, 0);
}

TEST(ConfigInherit, NamesMapToAceFlags) {
    const auto flags_of = [](const Json& v) {
        const Config c = expect_ok(load_with(kInherit, v));
        return c.keys.empty() ? std::uint8_t{0xFF} : c.keys[0].require[0].inherit;
    };
    EXPECT_EQ(flags_of({"container"}), CI);
    EXPECT_EQ(flags_of({"object"}), OI);
    EXPECT_EQ(flags_of({"container", "inherit_only"}), CI | IO);
    EXPECT_EQ(flags_of({"object", "no_propagate"}), OI | NP);
    EXPECT_EQ(flags_of({"no_propagate", "inherit_only", "object", "container"}), CI | OI | IO | NP);
}

TEST(ConfigInherit, BadEntries) {
    expect_one_problem(load_with(kInherit, "container"), kInherit);
    expect_one_problem(load_with(kInherit, Json::object()), kInherit);
    expect_one_problem(load_with(kInherit, {"container", "children"}), kInherit + "/1");
    expect_one_problem(load_with(kInherit, {"CI"}), kInherit + "/0");
    expect_one_problem(load_with(kInherit, {"Container"}), kInherit + "/0");
    expect_one_problem(load_with(kInherit, {"container", 2}), kInherit + "/1");
    expect_one_problem(load_with(kInherit, {"container", "object", "container"}), kInherit + "/2");
}

TEST(ConfigInherit, InheritOnlyOrNoPropagateNeedContainerOrObject) {
    expect_one_problem(load_with(kInherit, {"inherit_only"}), kInherit);
    expect_one_problem(load_with(kInherit, {"no_propagate"}), kInherit);
    expect_one_problem(load_with(kInherit, {"inherit_only", "no_propagate"}), kInherit);
}

// ---------------------------------------------------------------------------
// Helpers declared in config.hpp

TEST(ConfigPaths, NormalizeKeyPath) {
    EXPECT_EQ(normalize_key_path("HKLM\\SOFTWARE\\X"), "HKLM\\SOFTWARE\\X");
    EXPECT_EQ(normalize_key_path("hklm\\SOFTWARE\\X"), "HKLM\\SOFTWARE\\X");
    EXPECT_EQ(normalize_key_path("HKEY_LOCAL_MACHINE\\SOFTWARE\\x"), "HKLM\\SOFTWARE\\x");
    EXPECT_EQ(normalize_key_path("Hkey_Local_Machine\\a"), "HKLM\\a");
    EXPECT_EQ(normalize_key_path("HKLM\\"), "HKLM\\");
    EXPECT_EQ(normalize_key_path("HKLM"), std::nullopt);
    EXPECT_EQ(normalize_key_path("HKCU\\X"), std::nullopt);
    EXPECT_EQ(normalize_key_path("HKLMX\\X"), std::nullopt);
    EXPECT_EQ(normalize_key_path(""), std::nullopt);
}

TEST(ConfigPaths, SameKeyPath) {
    test::expect_path_comparison(
        same_key_path,
        {{"HKLM\\SOFTWARE\\X", "HKEY_LOCAL_MACHINE\\software\\x"}, {"hklm\\A\\B", "HKLM\\a\\b"}},
        {{"HKLM\\A\\B", "HKLM\\A"}, {"HKLM\\A", "HKLM\\AB"}, {"HKLM\\A", "HKCU\\A"}});
}

TEST(ConfigMode, ToString) {
    EXPECT_EQ(to_string(Mode::enforce), "enforce");
    EXPECT_EQ(to_string(Mode::audit), "audit");
}

// ---------------------------------------------------------------------------
// The schema. No JSON Schema library is available, so this walks the
// keywords config/permwatch.schema.json uses; an unknown keyword fails the
// test, so the schema cannot grow a rule this walker silently ignores.

class SchemaWalker {
public:
    explicit SchemaWalker(const Json& root) : root_(root) {}

    // Pointers of the places that break the schema; empty when valid.
    std::set<std::string> errors(const Json& value) {
        std::set<std::string> out;
        check(root_, value, "", out);
        return out;
    }

    const Json& resolve(const Json& s) const {
        if (s.is_object() && s.contains("$ref")) {
            const std::string ref = s["$ref"];
            EXPECT_TRUE(ref.starts_with("#/")) << ref;
            return root_[Json::json_pointer(ref.substr(1))];
        }
        return s;
    }

private:
    static bool is_integer(const Json& v) {
        if (v.is_number_integer()) return true;
        if (!v.is_number_float()) return false;
        const double d = v.get<double>();
        return std::isfinite(d) && std::floor(d) == d;
    }

    static bool type_is(const std::string& t, const Json& v) {
        if (t == "object") return v.is_object();
        if (t == "array") return v.is_array();
        if (t == "string") return v.is_string();
        if (t == "boolean") return v.is_boolean();
        if (t == "null") return v.is_null();
        if (t == "number") return v.is_number();
        if (t == "integer") return is_integer(v);
        ADD_FAILURE() << "unknown type " << t;
        return false;
    }

    static std::size_t code_points(const std::string& s) {
        return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) {
            return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        }));
    }

    bool valid(const Json& schema, const Json& v) {
        std::set<std::string> e;
        check(schema, v, "", e);
        return e.empty();
    }

    void check(const Json& schema_ref, const Json& v, const std::string& p,
               std::set<std::string>& out) {
        static const std::set<std::string> kKnown = {"$schema",     "$id",
                                                     "$ref",        "$defs",
                                                     "title",       "description",
                                                     "default",     "type",
                                                     "enum",        "const",
                                                     "minimum",     "maximum",
                                                     "minLength",   "maxLength",
                                                     "pattern",     "minItems",
                                                     "uniqueItems", "items",
                                                     "contains",    "required",
                                                     "properties",  "additionalProperties",
                                                     "anyOf",       "oneOf",
                                                     "if",          "then",
                                                     "else"};
        const Json& s = resolve(schema_ref);
        for (auto it = s.begin(); it != s.end(); ++it) {
            EXPECT_TRUE(kKnown.count(it.key()))
                << "schema keyword the walker does not know: " << it.key();
        }
        auto fail = [&](const std::string& at) { out.insert(at); };
        if (s.contains("type")) {
            const Json& t = s["type"];
            bool ok = false;
            if (t.is_string()) {
                ok = type_is(t.get<std::string>(), v);
            } else {
                for (const auto& one : t) ok = ok || type_is(one.get<std::string>(), v);
            }
            if (!ok) return fail(p);
        }
        if (s.contains("enum") &&
            std::find(s["enum"].begin(), s["enum"].end(), v) == s["enum"].end()) {
            fail(p);
        }
        if (s.contains("const") && s["const"] != v) fail(p);
        if (v.is_number()) {
            if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) fail(p);
            if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) fail(p);
        }
        if (v.is_string()) {
            const auto& str = v.get_ref<const std::string&>();
            if (s.contains("minLength") && code_points(str) < s["minLength"].get<std::size_t>())
                fail(p);
            if (s.contains("maxLength") && code_points(str) > s["maxLength"].get<std::size_t>())
                fail(p);
            if (s.contains("pattern") && !std::regex_search(str, regex(s["pattern"]))) {
                fail(p);
            }
        }
        if (v.is_array()) {
            if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) fail(p);
            if (s.value("uniqueItems", false)) {
                for (std::size_t i = 0; i < v.size(); ++i) {
                    for (std::size_t j = 0; j < i; ++j) {
                        if (v[i] == v[j]) fail(p + "/" + std::to_string(i));
                    }
                }
            }
            if (s.contains("contains") && std::none_of(v.begin(), v.end(), [&](const Json& e) {
                    return valid(s["contains"], e);
                })) {
                fail(p);
            }
            if (s.contains("items")) {
                for (std::size_t i = 0; i < v.size(); ++i) {
                    check(s["items"], v[i], p + "/" + std::to_string(i), out);
                }
            }
        }
        if (v.is_object()) {
            for (const auto& name : s.value("required", Json::array())) {
                if (!v.contains(name.get<std::string>())) fail(p + "/" + name.get<std::string>());
            }
            const Json props = s.value("properties", Json::object());
            for (auto it = v.begin(); it != v.end(); ++it) {
                const std::string cp = json_pointer_child(p, it.key());
                if (props.contains(it.key())) {
                    check(props[it.key()], it.value(), cp, out);
                } else if (s.contains("additionalProperties") && !s["additionalProperties"]) {
                    fail(cp);
                }
            }
        }
        if (s.contains("anyOf") && std::none_of(s["anyOf"].begin(), s["anyOf"].end(),
                                                [&](const Json& sub) { return valid(sub, v); })) {
            fail(p);
        }
        if (s.contains("oneOf") &&
            std::count_if(s["oneOf"].begin(), s["oneOf"].end(),
                          [&](const Json& sub) { return valid(sub, v); }) != 1) {
            fail(p);
        }
        if (s.contains("if")) {
            const bool holds = valid(s["if"], v);
            if (holds && s.contains("then")) check(s["then"], v, p, out);
            if (!holds && s.contains("else")) check(s["else"], v, p, out);
        }
    }

    const std::regex& regex(const Json& pattern) {
        const std::string text = pattern.get<std::string>();
        auto it = regexes_.find(text);
        if (it == regexes_.end()) {
            it = regexes_.emplace(text, std::regex(text, std::regex::ECMAScript)).first;
        }
        return it->second;
    }

    const Json& root_;
    std::map<std::string, std::regex> regexes_;
};

class ConfigSchema : public ::testing::Test {
protected:
    Json schema = read_json("config/permwatch.schema.json");
    SchemaWalker walker{schema};

    const Json& at(const std::string& pointer) {
        return walker.resolve(schema[Json::json_pointer(pointer)]);
    }

    static std::set<std::string> property_names(const Json& s) {
        std::set<std::string> out;
        for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
            out.insert(it.key());
        }
        return out;
    }

    // The loader's own list: the "expected one of: a, b" of an unknown member.
    static std::set<std::string> loader_names(const std::string& object_pointer) {
        const std::string unknown = object_pointer + "/zz_unknown";
        const ConfigResult r = load_with(unknown, 1);
        std::set<std::string> out;
        for (const auto& problem : r.problems) {
            if (problem.pointer != unknown) continue;
            const std::string marker = "expected one of: ";
            const auto at = problem.message.find(marker);
            if (at == std::string::npos) break;
            std::stringstream list(problem.message.substr(at + marker.size()));
            std::string name;
            while (std::getline(list, name, ',')) {
                name.erase(0, name.find_first_not_of(' '));
                out.insert(name);
            }
        }
        return out;
    }
};

TEST_F(ConfigSchema, IsDraft202012WithTheContractsRequiredMembers) {
    EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    EXPECT_EQ(schema["required"], Json::array({"version", "keys"}));
    EXPECT_EQ(at("/$defs/key")["required"], Json::array({"path", "require"}));
    EXPECT_EQ(at("/$defs/requirement")["required"], Json::array({"principal", "rights"}));
    for (const char* p : {"", "/properties/flapping", "/$defs/key", "/$defs/requirement",
                          "/$defs/principal/oneOf/1"}) {
        EXPECT_EQ(at(p)["additionalProperties"], false) << p;
    }
}

TEST_F(ConfigSchema, ShippedConfigAndValidExamplesPass) {
    EXPECT_EQ(walker.errors(read_json("config/permwatch.json")), std::set<std::string>{});
    EXPECT_EQ(walker.errors(read_json("config/examples/minimal.json")), std::set<std::string>{});
    EXPECT_EQ(walker.errors(read_json("config/examples/sql-server-audit.json")),
              std::set<std::string>{});
    EXPECT_EQ(walker.errors(read_json("config/examples/sql-server-fci.json")),
              std::set<std::string>{});
    EXPECT_EQ(walker.errors(read_json("config/examples/auto.json")), std::set<std::string>{});
    EXPECT_EQ(walker.errors(read_json("config/examples/auto-mixed.json")), std::set<std::string>{});
}

TEST_F(ConfigSchema, AutoKeysMistakesFailAtTheSamePointersAsTheLoader) {
    for (const char* text : {
             R"({"version": 1, "keys": "all"})",
             R"({"version": 1, "keys": ["auto", 7]})",
             R"({"version": 1, "keys": ["Auto"]})",
             R"({"version": 1, "keys": "auto", "auto_rights": []})",
             R"({"version": 1, "keys": "auto", "auto_rights": ["KEY_REED"]})",
             R"({"version": 1, "keys": "auto", "auto_rules": [{"resource_type": ""}]})",
             R"({"version": 1, "keys": "auto", "auto_rules": [{"require": [], "x": 1}]})",
         }) {
        const ConfigResult r = load_config(text);
        const std::vector<std::string> loader = pointers(r);
        EXPECT_FALSE(loader.empty()) << text;
        EXPECT_EQ(walker.errors(Json::parse(text)),
                  std::set<std::string>(loader.begin(), loader.end()))
            << text << "\n"
            << dump_problems(r);
    }
}

TEST_F(ConfigSchema, FiveMistakesFailAtTheSamePointersAsTheLoader) {
    const ConfigResult r = load_config(read_text("config/examples/five-mistakes.json"));
    const std::vector<std::string> loader = pointers(r);
    EXPECT_EQ(walker.errors(read_json("config/examples/five-mistakes.json")),
              std::set<std::string>(loader.begin(), loader.end()));
}

TEST_F(ConfigSchema, LoaderAndSchemaAllowTheSameMemberNamesAtEveryLevel) {
    EXPECT_EQ(loader_names(""), property_names(at("")));
    EXPECT_EQ(loader_names("/flapping"), property_names(at("/properties/flapping")));
    EXPECT_EQ(loader_names("/keys/0"), property_names(at("/$defs/key")));
    EXPECT_EQ(loader_names("/keys/0/require/0"), property_names(at("/$defs/requirement")));
    Json doc = base();
    doc["keys"][0]["require"][0]["principal"] = {{"service_account_of", "X"}, {"zz", 1}};
    const ConfigResult r = load(doc);
    ASSERT_EQ(r.problems.size(), 1u);
    EXPECT_NE(r.problems[0].message.find("expected one of: service_account_of"), std::string::npos);
    EXPECT_EQ(property_names(at("/$defs/principal/oneOf/1")),
              std::set<std::string>{"service_account_of"});
}

TEST_F(ConfigSchema, EnumsAgreeWithTheLoader) {
    for (const auto& m : at("/properties/mode")["enum"]) expect_ok(load_with("/mode", m));
    EXPECT_EQ(at("/properties/mode")["enum"], Json::array({"enforce", "audit"}));
    for (const auto& c : at("/$defs/key/properties/checkpoint")["enum"]) {
        expect_ok(load_with("/keys/0/checkpoint", c));
    }
    EXPECT_EQ(at("/$defs/key/properties/checkpoint")["enum"], Json::array({"auto", true, false}));
    const Json& inherit = at("/$defs/requirement/properties/inherit/items")["enum"];
    EXPECT_EQ(inherit, Json::array({"container", "object", "inherit_only", "no_propagate"}));
    for (const auto& f : inherit) {
        expect_ok(load_with(kInherit,
                            f == "container" ? Json::array({f}) : Json::array({"container", f})));
    }
    // Right names: the schema's list is exactly the list the loader takes.
    const Json& names = at("/$defs/right/anyOf/0")["enum"];
    EXPECT_EQ(names.size(), 19u);
    for (const auto& n : names) {
        EXPECT_TRUE(parse_right_name(n.get<std::string>()).has_value()) << n;
        expect_ok(load_with(kRights, Json::array({n})));
    }
}

TEST_F(ConfigSchema, DefaultsAgreeWithTheConfigStruct) {
    const Config d;
    const Json& p = at("/properties");
    EXPECT_EQ(p["mode"]["default"], std::string(to_string(d.mode)));
    EXPECT_EQ(p["sweep_interval_s"]["default"], d.sweep_interval_s);
    EXPECT_EQ(p["debounce_ms"]["default"], d.debounce_ms);
    EXPECT_EQ(p["pipe"]["default"], d.pipe);
    EXPECT_EQ(p["journal"]["default"], d.journal);
    EXPECT_EQ(p["journal_max_bytes"]["default"], d.journal_max_bytes);
    EXPECT_EQ(d.journal_max_bytes, 10 * 1024 * 1024);  // 10 MiB
    const Json& f = p["flapping"];
    EXPECT_EQ(f["default"]["max_repairs"], d.flapping.max_repairs);
    EXPECT_EQ(f["default"]["window_s"], d.flapping.window_s);
    EXPECT_EQ(f["default"]["backoff_s"], d.flapping.backoff_s);
    EXPECT_EQ(f["properties"]["max_repairs"]["default"], d.flapping.max_repairs);
    EXPECT_EQ(f["properties"]["window_s"]["default"], d.flapping.window_s);
    EXPECT_EQ(f["properties"]["backoff_s"]["default"], d.flapping.backoff_s);
    EXPECT_EQ(at("/$defs/key/properties/checkpoint")["default"], "auto");
    EXPECT_EQ(at("/$defs/requirement/properties/inherit")["default"], Json::array());
}

// journal_max_bytes: an integer from 4 KiB to 1 TiB, in
// the loader and in the schema alike.
TEST_F(ConfigSchema, JournalMaxBytesBoundsAgreeWithTheLoader) {
    const Json& max = at("/properties/journal_max_bytes");
    EXPECT_EQ(max["minimum"], 4096);
    EXPECT_EQ(max["maximum"], std::int64_t{1} << 40);
    EXPECT_EQ(expect_ok(load_with("/journal_max_bytes", 4096)).journal_max_bytes, 4096);
    EXPECT_EQ(expect_ok(load_with("/journal_max_bytes", std::int64_t{1} << 40)).journal_max_bytes,
              std::int64_t{1} << 40);
    for (const Json& bad : {Json(4095), Json((std::int64_t{1} << 40) + 1), Json(0), Json(-1),
                            Json("10485760"), Json(4096.5)}) {
        const ConfigResult r = load_with("/journal_max_bytes", bad);
        EXPECT_FALSE(r.config) << bad;
        ASSERT_EQ(pointers(r), std::vector<std::string>{"/journal_max_bytes"}) << bad;
        Json doc = base();
        doc["journal_max_bytes"] = bad;
        EXPECT_EQ(walker.errors(doc), std::set<std::string>{"/journal_max_bytes"}) << bad;
    }
}

bool matches(const Json& schema_node, const std::string& s) {
    return std::regex_search(s, std::regex(schema_node["pattern"].get<std::string>()));
}

TEST_F(ConfigSchema, PathPatternAgreesWithTheLoader) {
    const Json& path = at("/$defs/key/properties/path");
    for (const char* s :
         {"HKLM\\A", "hklm\\a\\b", "HKEY_LOCAL_MACHINE\\SYSTEM\\X", "HKLM\\a b\\c", "HKLM",
          "HKLM\\", "HKLM\\\\A", "HKLM\\A\\", "HKCU\\A", "HKLMX\\A", " HKLM\\A", "HKLM/A",
          "hkey_local_machine\\x\\y\\z", "HKEY_LOCAL_MACHINE\\"}) {
        EXPECT_EQ(matches(path, s), load_with("/keys/0/path", s).config.has_value()) << s;
    }
    for (const std::string& s : {std::string("HKLM\\A") + '\0' + "B", std::string("HKLM\\A\nB"),
                                 std::string("HKLM\\A\x7f")}) {
        EXPECT_FALSE(matches(path, s)) << s;
        EXPECT_FALSE(load_with("/keys/0/path", s).config.has_value()) << s;
    }
    const Json& journal = at("/properties/journal");
    for (const std::string& s :
         {std::string("C:\\j.jsonl"), std::string("C:\\j") + '\0', std::string("C:\\j\t")}) {
        EXPECT_EQ(matches(journal, s), load_with("/journal", s).config.has_value()) << s;
    }
}

TEST_F(ConfigSchema, HexPatternAgreesWithParseRightName) {
    const Json& hex = at("/$defs/right/anyOf/1");
    for (const char* s : {"0x0", "0x1", "0xF003F", "0xffffffff", "0x000F003F", "0x", "0x100000000",
                          "0X1", "0xg", "1", "0x1 ", "x1"}) {
        EXPECT_EQ(matches(hex, s), parse_right_name(s).has_value()) << s;
    }
}

TEST_F(ConfigSchema, PipeAndServiceNamePatternsAgreeWithTheLoader) {
    const Json& pipe = at("/properties/pipe");
    for (const std::string s : {"permwatch", "a\\b", "a\nb", "pipe/x", "\x7f"}) {
        EXPECT_EQ(matches(pipe, s), load_with("/pipe", s).config.has_value()) << s;
    }
    const Json& svc = at("/$defs/principal/oneOf/1/properties/service_account_of");
    for (const std::string s : {"MSExchangeSA", "MSSQL$SQL1", "a\\b", "a/b", "a\tb"}) {
        EXPECT_EQ(matches(svc, s),
                  load_with(kPrincipal, {{"service_account_of", s}}).config.has_value())
            << s;
    }
}

TEST_F(ConfigSchema, PrincipalPatternsAcceptWhatTheLoaderAccepts) {
    const Json& strings = at("/$defs/principal/oneOf/0");
    for (const char* s : {"S-1-5-18", "S-1-5-21-1-2-3-1105", "SY", "BA", "CONTOSO\\bob", ".\\root",
                          "S-1-5-0x20-544", "S-1-0x000000000005-18"}) {
        EXPECT_TRUE(load_with(kPrincipal, s).config.has_value()) << s;
        EXPECT_TRUE(std::any_of(strings["anyOf"].begin(), strings["anyOf"].end(),
                                [&](const Json& alt) { return matches(alt, s); }))
            << s;
    }
    for (const char* s : {"Administrators", "sy", "A\\B\\C", "\\x", "x\\", "S-1-5-018", ""}) {
        EXPECT_FALSE(load_with(kPrincipal, s).config.has_value()) << s;
        EXPECT_FALSE(std::any_of(strings["anyOf"].begin(), strings["anyOf"].end(),
                                 [&](const Json& alt) { return matches(alt, s); }))
            << s;
    }
}

// ---------------------------------------------------------------------------
// Bounded, seeded mutation: the loader never crashes, never returns both or
// neither, and every pointer is one (RFC 6901 form, "" or "/...").

void expect_well_formed(const ConfigResult& r, const std::string& input) {
    ASSERT_NE(r.config.has_value(), !r.problems.empty()) << input;
    for (const auto& p : r.problems) {
        ASSERT_TRUE(p.pointer.empty() || p.pointer.front() == '/') << p.pointer << "\n" << input;
        ASSERT_FALSE(p.message.empty()) << input;
        // A pointer token never holds an unescaped "~" (only "~0" or "~1").
        for (std::size_t i = 0; i < p.pointer.size(); ++i) {
            if (p.pointer[i] == '~') {
                ASSERT_TRUE(i + 1 < p.pointer.size() &&
                            (p.pointer[i + 1] == '0' || p.pointer[i + 1] == '1'))
                    << p.pointer;
            }
        }
    }
}

TEST(ConfigMutation, RandomByteEditsOfTheShippedText) {
    const std::string original = read_text("config/permwatch.json");
    std::mt19937 rng(0xC0FFEE);
    const std::string alphabet = "{}[]\",:\\ 0123456789-.eE+truefalsnuxKEY_SHLM/~\n\t\x01\xC3\xFF";
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string text = original;
        const int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits && !text.empty(); ++e) {
            const std::size_t at = rng() % text.size();
            const char c =
                (rng() % 2) ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xFF);
            switch (rng() % 3) {
                case 0:
                    text[at] = c;
                    break;
                case 1:
                    text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
                    break;
                default:
                    text.erase(at, 1 + rng() % 8);
                    break;
            }
        }
        const ConfigResult r = load_config(text);
        expect_well_formed(r, text);
        if (r.config) ++accepted;
    }
    // Some edits land in whitespace or string contents; most break something.
    EXPECT_GT(accepted, 0);
    EXPECT_LT(accepted, 3000);
}

// Every node of a document, as JSON pointers.
void collect(const Json& v, const std::string& p, std::vector<std::string>& out) {
    out.push_back(p);
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) {
            std::string t;
            for (char c : it.key()) t += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
            collect(it.value(), p + "/" + t, out);
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) collect(v[i], p + "/" + std::to_string(i), out);
    }
}

Json random_value(std::mt19937& rng) {
    static const std::vector<Json> pool = {nullptr,
                                           true,
                                           false,
                                           0,
                                           1,
                                           -1,
                                           2,
                                           60,
                                           2147483648LL,
                                           1.5,
                                           60.0,
                                           1e300,
                                           "",
                                           "auto",
                                           "enforce",
                                           "audit",
                                           "KEY_READ",
                                           "KEY_ALL_ACCESS",
                                           "0x1F",
                                           "0x",
                                           "S-1-5-18",
                                           "S-1-5-",
                                           "SY",
                                           "DA",
                                           "ZZ",
                                           "x\\y",
                                           "HKLM\\A",
                                           "HKLM\\",
                                           "HKCU\\A",
                                           "container",
                                           "inherit_only",
                                           "a/b~c",
                                           Json::array(),
                                           Json::array({"container"}),
                                           Json::array({"KEY_READ"}),
                                           Json::object(),
                                           Json{{"service_account_of", "X"}},
                                           Json{{"service_account_of", ""}},
                                           Json{{"path", "HKLM\\B"}, {"require", Json::array()}}};
    return pool[rng() % pool.size()];
}

TEST(ConfigMutation, RandomTreeEditsOfTheShippedConfig) {
    const Json original = read_json("config/permwatch.json");
    const Json schema = read_json("config/permwatch.schema.json");
    SchemaWalker walker(schema);
    static const std::vector<std::string> names = {
        "version", "mode",    "keys",       "path",     "require",     "principal",
        "rights",  "inherit", "checkpoint", "flapping", "max_repairs", "service_account_of",
        "pipe",    "extra",   "a/b"};
    std::mt19937 rng(1192493);  // KB Q192493
    int accepted = 0;
    for (int i = 0; i < 2500; ++i) {
        Json doc = original;
        const int edits = 1 + static_cast<int>(rng() % 3);
        for (int e = 0; e < edits; ++e) {
            std::vector<std::string> nodes;
            collect(doc, "", nodes);
            const Json::json_pointer p(nodes[rng() % nodes.size()]);
            Json& node = doc[p];
            switch (rng() % 4) {
                case 0:  // delete it
                    if (!p.empty()) {
                        Json& parent = doc[p.parent_pointer()];
                        if (parent.is_array()) {
                            parent.erase(std::stoul(p.back()));
                        } else {
                            parent.erase(p.back());
                        }
                    }
                    break;
                case 1:  // change its type or value
                    node = random_value(rng);
                    break;
                case 2:  // add a member or an element
                    if (node.is_object()) {
                        node[names[rng() % names.size()]] = random_value(rng);
                    } else if (node.is_array()) {
                        node.push_back(node.empty() ? random_value(rng) : node[0]);
                    }
                    break;
                default:  // duplicate a key entry, so paths collide
                    if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array() ||
                        doc["keys"].empty()) {
                        break;
                    }
                    doc["keys"].push_back(doc["keys"][0]);
                    break;
            }
        }
        const std::string text = doc.dump();
        const ConfigResult r = load_config(text);
        expect_well_formed(r, text);
        if (HasFatalFailure()) return;
        // Every pointer names the node, or (for a missing member) its parent.
        for (const auto& problem : r.problems) {
            const Json::json_pointer p(problem.pointer);
            EXPECT_TRUE(doc.contains(p) || (!p.empty() && doc.contains(p.parent_pointer())))
                << problem.pointer << "\n"
                << text;
        }
        // The schema is never stricter than the loader: what the loader takes,
        // the schema takes. (The loader is stricter: unknown aliases, rights
        // adding up to 0x0, the same key twice.)
        if (r.config) {
            ++accepted;
            EXPECT_EQ(walker.errors(doc), std::set<std::string>{}) << text;
        }
    }
    // Both outcomes occur often enough for the cross-check to mean something.
    EXPECT_GT(accepted, 100);
    EXPECT_LT(accepted, 2400);
    std::cout << "tree mutations accepted: " << accepted << " of 2500\n";
}

}  // namespace test_config
}  // namespace permwatch
