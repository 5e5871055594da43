// "keys": "auto" and its settings, as the loader reads them.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/policy/config.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_config_auto {

std::string load_file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string problems_of(const ConfigResult& r) {
    std::string out;
    for (const auto& p : r.problems) out += p.pointer + ": " + p.message + "\n";
    return out;
}

Config ok(const std::string& text) {
    const ConfigResult r = load_config(text);
    EXPECT_TRUE(r.problems.empty()) << problems_of(r);
    return r.config.value_or(Config{});
}

ConfigProblem one_problem(const std::string& text) {
    const ConfigResult r = load_config(text);
    EXPECT_EQ(r.problems.size(), 1u) << problems_of(r);
    EXPECT_FALSE(r.config.has_value());
    return r.problems.empty() ? ConfigProblem{} : r.problems[0];
}

TEST(ConfigAuto, AutoAloneNamesNoKeyAndTakesTheDefaults) {
    const Config c = ok(R"({"version": 1, "keys": "auto"})");
    EXPECT_TRUE(c.auto_keys.enabled);
    EXPECT_TRUE(c.keys.empty());
    EXPECT_EQ(c.auto_keys.service_rights, rights::key_all_access);
    EXPECT_TRUE(c.auto_keys.rules.empty());
}

TEST(ConfigAuto, AutoAmongExplicitKeysKeepsThemInOrder) {
    const Config c = ok(R"({"version": 1, "keys": [
        {"path": "HKLM\\SOFTWARE\\A", "require": [{"principal": "SY", "rights": ["KEY_READ"]}]},
        "auto",
        {"path": "HKLM\\SOFTWARE\\B", "require": [{"principal": "SY", "rights": ["KEY_READ"]}]}]})");
    EXPECT_TRUE(c.auto_keys.enabled);
    ASSERT_EQ(c.keys.size(), 2u);
    EXPECT_EQ(c.keys[0].path, "HKLM\\SOFTWARE\\A");
    EXPECT_EQ(c.keys[1].path, "HKLM\\SOFTWARE\\B");
    EXPECT_FALSE(c.keys[0].origin.has_value());
}

TEST(ConfigAuto, AnExplicitListHasNoAutoKeys) {
    const Config c = ok(R"({"version": 1, "keys": [
        {"path": "HKLM\\SOFTWARE\\A", "require": [{"principal": "SY", "rights": ["KEY_READ"]}]}]})");
    EXPECT_FALSE(c.auto_keys.enabled);
}

TEST(ConfigAuto, AutoRightsAndRulesAreRead) {
    const Config c = ok(load_file_text(test::source_path("config/examples/auto-mixed.json")));
    EXPECT_TRUE(c.auto_keys.enabled);
    EXPECT_EQ(c.auto_keys.service_rights, rights::key_read | rights::key_write);
    ASSERT_EQ(c.auto_keys.rules.size(), 1u);
    EXPECT_EQ(c.auto_keys.rules[0].resource_type, "Generic Application");
    ASSERT_EQ(c.auto_keys.rules[0].require.size(), 1u);
    EXPECT_EQ(c.auto_keys.rules[0].require[0].principal.sid.str(), "S-1-5-32-544");
    ASSERT_EQ(c.keys.size(), 1u);
}

TEST(ConfigAuto, EachMistakeIsOneLineAtItsPointer) {
    struct Case {
        const char* text;
        const char* pointer;
        const char* words;
    };
    for (const Case& k : {
             Case{R"({"version": 1, "keys": "all"})", "/keys", "expected \"auto\""},
             Case{R"({"version": 1, "keys": ["auto", "auto"]})", "/keys/1", "a second time"},
             Case{R"({"version": 1, "keys": ["Auto"]})", "/keys/0", "\"auto\" or an object"},
             Case{R"({"version": 1, "keys": "auto", "auto_rights": []})", "/auto_rights",
                  "non-empty array of right names"},
             Case{R"({"version": 1, "keys": "auto", "auto_rights": ["KEY_REED"]})",
                  "/auto_rights/0", "unknown right"},
             Case{R"({"version": 1, "keys": "auto", "auto_rules": {}})", "/auto_rules",
                  "expected an array of rules"},
             Case{R"({"version": 1, "keys": "auto", "auto_rules": [{"require":
                   [{"principal": "SY", "rights": ["KEY_READ"]}]}]})",
                  "/auto_rules/0/resource_type", "missing"},
             Case{R"({"version": 1, "keys": "auto", "auto_rules": [
                   {"resource_type": "X", "require": [{"principal": "SY", "rights": ["KEY_READ"]}]},
                   {"resource_type": "x", "require": [{"principal": "SY", "rights": ["KEY_READ"]}]}]})",
                  "/auto_rules/1/resource_type", "the same type as /auto_rules/0/resource_type"},
             Case{R"({"version": 1, "keys": "auto", "auto_rules": [
                   {"resource_type": "X", "require": [{"principal": "SY", "rights": ["KEY_READ"]}],
                    "extra": 1}]})",
                  "/auto_rules/0/extra", "expected one of: resource_type, require"},
             Case{R"({"version": 1, "auto_rights": ["KEY_READ"], "keys": [
                   {"path": "HKLM\\SOFTWARE\\A", "require": [{"principal": "SY",
                    "rights": ["KEY_READ"]}]}]})",
                  "/keys", "has no \"auto\""},
         }) {
        const ConfigProblem p = one_problem(k.text);
        EXPECT_EQ(p.pointer, k.pointer) << k.text;
        EXPECT_NE(p.message.find(k.words), std::string::npos) << k.text << "\n" << p.message;
        EXPECT_EQ(p.message.find('\n'), std::string::npos);
    }
}

}  // namespace test_config_auto
}  // namespace permwatch
