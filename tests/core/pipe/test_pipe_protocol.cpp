#include <gtest/gtest.h>

#include "core/pipe/pipe_protocol.hpp"

namespace permwatch {
namespace test_pipe_protocol {

using json = nlohmann::json;

class FakeService : public StatusService {
public:
    int checks = 0, reloads = 0;
    std::optional<ConfigRefusal> reload_error;
    StatusSnapshot status() override {
        StatusSnapshot s;
        s.version = "0.1.0";
        s.mode = "enforce";
        return s;
    }
    std::vector<KeyReport> check_now() override {
        ++checks;
        KeyReport drift;
        drift.path = "HKLM\\SOFTWARE\\K";
        drift.state = KeyState::drift;
        return {drift};
    }
    std::optional<ConfigRefusal> reload() override {
        ++reloads;
        return reload_error;
    }
};

json ask(std::string_view line, bool admin, FakeService& s) {
    return json::parse(handle_pipe_request(
        line, [admin] { return admin; }, s));
}

// Asking is_admin impersonates the client: only a command for administrators
// asks, and status, bad lines and unknown commands never do.
TEST(PipeProtocol, OnlyCommandsForAdministratorsAskWhoTheClientIs) {
    FakeService s;
    int asked = 0;
    const IsAdmin counting = [&] {
        ++asked;
        return false;
    };
    for (const char* line : {R"({"cmd":"status"})", "not json", R"({"cmd":"nope"})", R"([1])"})
        handle_pipe_request(line, counting, s);
    EXPECT_EQ(asked, 0);
    handle_pipe_request(R"({"cmd":"check"})", counting, s);
    EXPECT_EQ(asked, 1);
    handle_pipe_request(R"({"cmd":"reload"})", counting, s);
    EXPECT_EQ(asked, 2);
    EXPECT_EQ(s.checks, 0);
    EXPECT_EQ(s.reloads, 0);
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
    s.reload_error = ConfigRefusal{"/mode: found \"fast\"", {{"/mode", "found \"fast\""}}};
    const auto rejected = ask(R"({"cmd":"reload"})", true, s);
    EXPECT_EQ(rejected["ok"], false);
    EXPECT_NE(rejected["error"].get<std::string>().find("/mode"), std::string::npos);
    // Each problem with its JSON pointer, for a client that shows where.
    ASSERT_EQ(rejected["problems"].size(), 1u);
    EXPECT_EQ(rejected["problems"][0]["pointer"], "/mode");
    EXPECT_EQ(rejected["problems"][0]["message"], "found \"fast\"");
    // A file refused before it was read has no problems to point at.
    s.reload_error = ConfigRefusal{"refusing config C:\\x: ...", {}};
    EXPECT_FALSE(ask(R"({"cmd":"reload"})", true, s).contains("problems"));
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

}  // namespace test_pipe_protocol
}  // namespace permwatch
