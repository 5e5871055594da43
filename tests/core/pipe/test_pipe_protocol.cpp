#include <gtest/gtest.h>

#include "core/pipe/pipe_protocol.hpp"

namespace permwatch {
namespace {

using json = nlohmann::json;

class FakeService : public StatusService {
public:
    int checks = 0, reloads = 0;
    std::optional<std::string> reload_error;
    nlohmann::ordered_json status() override {
        return {{"version", "0.1.0"}, {"mode", "enforce"}, {"keys", json::array()}};
    }
    nlohmann::ordered_json check_now() override {
        ++checks;
        return {{"ok", false}, {"keys", json::array()}};
    }
    std::optional<std::string> reload() override {
        ++reloads;
        return reload_error;
    }
};

json ask(std::string_view line, bool admin, FakeService& s) {
    return json::parse(handle_pipe_request(line, admin, s));
}

TEST(PipeProtocol, StatusForAnyone) {
    FakeService s;
    const auto r = ask(R"({"cmd":"status"})", false, s);
    EXPECT_EQ(r["ok"], true);
    EXPECT_EQ(r["version"], "0.1.0");
    EXPECT_TRUE(r["keys"].is_array());
}

TEST(PipeProtocol, CheckAndReloadForAdministratorsOnly) {
    FakeService s;
    EXPECT_EQ(ask(R"({"cmd":"check"})", false, s)["ok"], false);
    EXPECT_EQ(ask(R"({"cmd":"reload"})", false, s)["ok"], false);
    EXPECT_EQ(s.checks + s.reloads, 0);
    const auto check = ask(R"({"cmd":"check"})", true, s);
    EXPECT_EQ(check["ok"], false);  // the check's own verdict: drift
    EXPECT_TRUE(check.contains("keys"));
    EXPECT_EQ(s.checks, 1);
    EXPECT_EQ(ask(R"({"cmd":"reload"})", true, s)["ok"], true);
    s.reload_error = "/mode: found \"fast\"";
    const auto rejected = ask(R"({"cmd":"reload"})", true, s);
    EXPECT_EQ(rejected["ok"], false);
    EXPECT_NE(rejected["error"].get<std::string>().find("/mode"), std::string::npos);
}

TEST(PipeProtocol, BadRequestsGetErrors) {
    FakeService s;
    for (const char* line : {"", "{", "[]", "42", R"({"cmd":5})", R"({"verb":"status"})",
                             R"({"cmd":"shutdown"})", "\xff\xfe"}) {
        const auto r = ask(line, true, s);
        EXPECT_EQ(r["ok"], false) << line;
        EXPECT_TRUE(r["error"].is_string()) << line;
    }
    const std::string huge(max_request_bytes + 1, ' ');
    EXPECT_EQ(ask(huge, true, s)["error"], "request too long");
}

}  // namespace
}  // namespace permwatch
