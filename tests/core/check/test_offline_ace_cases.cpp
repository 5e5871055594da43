// The offline cases of object, callback and audit ACEs and of denies to the
// SIDs a service logon token carries: `check --snapshot` on the shipped
// snapshot config/snapshots/ace-kinds.json, one key per case. Before these
// were modelled the callback and object ACEs made the key unreadable (as
// SDDL and, live, as binary), and the denies to Users, LOCAL, This
// Organization, ALL SERVICES, the service's own SID and the account's group
// were not counted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/cli/cli.hpp"
#include "tests/core/test_support.hpp"

namespace permwatch {
namespace test_offline_ace_cases {

using test::source_path;

const std::string prefix = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\AceCases\\";

nlohmann::json check_cases() {
    std::ostringstream out, err;
    const int code = run_cli({"check", "--snapshot", source_path("config/snapshots/ace-kinds.json"),
                              "--config", source_path("config/examples/ace-kinds.json"), "--json"},
                             out, err, nullptr);
    EXPECT_EQ(code, 1) << err.str() << out.str();
    return nlohmann::json::parse(out.str());
}

const nlohmann::json& key(const nlohmann::json& doc, const std::string& name) {
    for (const auto& k : doc["keys"])
        if (k["path"] == prefix + name) return k;
    static const nlohmann::json none;
    ADD_FAILURE() << "no key " << name;
    return none;
}

TEST(OfflineAceCases, EveryDenyThatReachesTheServiceAccountIsFound) {
    const auto doc = check_cases();
    const struct {
        const char* key;
        const char* says;
    } cases[] = {
        {"CallbackDeny", "a conditional deny ACE for S-1-5-21-1-2-3-1105"},
        {"ObjectDeny", "an object deny ACE for S-1-5-21-1-2-3-1105"},
        {"UsersDeny", "Users (S-1-5-32-545)"},
        {"LocalDeny", "LOCAL (S-1-2-0)"},
        {"ThisOrganizationDeny", "This Organization (S-1-5-15)"},
        {"AllServicesDeny", "ALL SERVICES (S-1-5-80-0)"},
        {"ServiceSidDeny", "the service's own SID (S-1-5-80-1547383185-"},
        {"GroupDeny", "S-1-5-21-1-2-3-1200 (a group of the account)"},
    };
    for (const auto& c : cases) {
        const auto& k = key(doc, c.key);
        EXPECT_EQ(k["state"], "drift") << k.dump();
        ASSERT_EQ(k["findings"].size(), 1u) << k.dump();
        EXPECT_EQ(k["findings"][0]["kind"], "blocked_by_deny") << k.dump();
        EXPECT_NE(k["findings"][0]["message"].get<std::string>().find(c.says), std::string::npos)
            << k.dump();
        // A deny PermWatch does not own is left alone: nothing planned.
        EXPECT_TRUE(k["planned_sddl"].is_null()) << k.dump();
    }
}

TEST(OfflineAceCases, AConditionalAllowDoesNotGrantAndIsKeptByTheRepair) {
    const auto doc = check_cases();
    const auto& k = key(doc, "ConditionalAllowOnly");
    EXPECT_EQ(k["state"], "drift") << k.dump();
    ASSERT_EQ(k["findings"].size(), 1u) << k.dump();
    EXPECT_EQ(k["findings"][0]["kind"], "missing_rights");
    EXPECT_EQ(k["planned_sddl"],
              "O:BAG:SYD:(A;CI;KA;;;SY)(XA;CI;KA;;;S-1-5-21-1-2-3-1105;(#6172747800000000))"
              "(A;CI;KA;;;S-1-5-21-1-2-3-1105)")
        << k.dump();
}

TEST(OfflineAceCases, AnAuditAceInTheDaclIsShownAndChangesNothing) {
    const auto doc = check_cases();
    const auto& k = key(doc, "AuditAceInTheDacl");
    EXPECT_EQ(k["state"], "compliant") << k.dump();
    EXPECT_EQ(k["sddl"], "O:BAG:SYD:(A;CI;KA;;;SY)(A;CI;KA;;;S-1-5-21-1-2-3-1105)(AU;SA;KA;;;WD)");
}

}  // namespace test_offline_ace_cases
}  // namespace permwatch
