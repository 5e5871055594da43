// "keys": "auto": which keys the checkpoints make, what each requires and
// why, and how the engine treats a learned key that does not exist yet.
#include <gtest/gtest.h>

#include "core/cluster/auto_keys.hpp"
#include "core/engine/engine.hpp"
#include "tests/core/cluster/resource_facts_builders.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_auto_keys {

constexpr auto CI = ace_flags::container_inherit;
using test::kDisk;
using test::kEs;
using test::kSql;
const std::string kEsParams = kEs + "\\Parameters";

Config auto_config(const std::string& extra = "") {
    const ConfigResult r = load_config(R"({"version": 1, )" + extra + R"("keys": "auto"})");
    EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems[0].message);
    return r.config.value_or(Config{});
}

Requirement service(const std::string& name, AccessMask rights) {
    Requirement r;
    r.principal.kind = Principal::Kind::service_account_of;
    r.principal.name = name;
    r.rights = rights;
    r.inherit = CI;
    return r;
}

// The test cluster of the Wine tests, with the Exchange resource's second
// checkpoint: four keys.
struct TwoGroups : test::TwoGroups {
    TwoGroups() : test::TwoGroups({kEsParams}) {}
};

TEST(AutoKeys, EachCheckpointBecomesAKeyWithWhatItsRestoreNeeds) {
    const TwoGroups cluster;
    const Config c = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    const Requirement clussvc = service("ClusSvc", rights::key_all_access);
    EXPECT_EQ(c.keys[0].path, kEs);
    EXPECT_EQ(c.keys[0].checkpoint, CheckpointMode::yes);
    EXPECT_EQ(c.keys[0].require,
              (std::vector<Requirement>{clussvc, service("MSExchangeES", rights::key_all_access)}));
    EXPECT_EQ(c.keys[1].path, kEsParams);
    EXPECT_EQ(c.keys[1].require, c.keys[0].require);
    EXPECT_EQ(c.keys[2].require,
              (std::vector<Requirement>{clussvc, service("MSSQLSERVER", rights::key_all_access)}));
    // Another type: the cluster account only.
    EXPECT_EQ(c.keys[3].require, (std::vector<Requirement>{clussvc}));
    ASSERT_TRUE(c.keys[3].origin.has_value());
    EXPECT_EQ(c.keys[3].origin->resource, "Contoso Disk");
    EXPECT_EQ(c.keys[3].origin->group, "SQL Group");
    EXPECT_EQ(c.keys[3].origin->problem, "");
    // Every requirement says why it is there.
    for (const KeyPolicy& k : c.keys) {
        ASSERT_TRUE(k.origin.has_value());
        ASSERT_EQ(k.origin->because.size(), k.require.size()) << k.path;
    }
    EXPECT_NE(c.keys[0].origin->because[0].find("Cluster service's logon account restores"),
              std::string::npos);
    EXPECT_NE(c.keys[0].origin->because[1].find("service MSExchangeES"), std::string::npos);
    EXPECT_NE(c.keys[0].origin->because[1].find("auto_rights"), std::string::npos);
}

TEST(AutoKeys, AutoRightsSetWhatAGenericServicesAccountGets) {
    const TwoGroups cluster;
    const Config c = with_auto_keys(auto_config(R"("auto_rights": ["KEY_READ"], )"),
                                    cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    EXPECT_EQ(c.keys[0].require[1], service("MSExchangeES", rights::key_read));
    // The cluster account's full control does not follow auto_rights.
    EXPECT_EQ(c.keys[0].require[0], service("ClusSvc", rights::key_all_access));
}

TEST(AutoKeys, ARuleByResourceTypeAddsItsRequirements) {
    const TwoGroups cluster;
    const Config c =
        with_auto_keys(auto_config(R"("auto_rules": [{"resource_type": "physical disk", "require": [
            {"principal": "BA", "rights": ["KEY_READ"], "inherit": ["container"]}]}], )"),
                       cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    ASSERT_EQ(c.keys[3].require.size(), 2u);
    EXPECT_EQ(c.keys[3].require[1].principal.sid.str(), "S-1-5-32-544");
    EXPECT_EQ(c.keys[3].origin->because[1], "auto_rules for resource type physical disk");
    EXPECT_EQ(c.keys[0].require.size(), 2u);  // a Generic Service: no rule of its type
}

TEST(AutoKeys, AnExplicitKeyOfTheSamePathWinsAndKeepsItsPlace) {
    const TwoGroups cluster;
    const ConfigResult r = load_config(R"({"version": 1, "keys": ["auto",
        {"path": "HKEY_LOCAL_MACHINE\\SOFTWARE\\contoso\\DISK",
         "require": [{"principal": "SY", "rights": ["KEY_READ"]}]}]})");
    ASSERT_TRUE(r.config.has_value());
    const Config c = with_auto_keys(*r.config, cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    EXPECT_EQ(c.keys[0].path, "HKEY_LOCAL_MACHINE\\SOFTWARE\\contoso\\DISK");
    EXPECT_FALSE(c.keys[0].origin.has_value());
    ASSERT_EQ(c.keys[0].require.size(), 1u);
    for (std::size_t i = 1; i < c.keys.size(); ++i) EXPECT_NE(c.keys[i].path, kDisk);
}

TEST(AutoKeys, AResourceThisNodeMayNotOwnIsLeftAlone) {
    TwoGroups cluster;
    cluster.resources[1].possible_here = false;
    const Config c = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 3u);
    for (const KeyPolicy& k : c.keys) EXPECT_NE(k.path, kSql);
}

TEST(AutoKeys, TwoResourcesCheckpointingOneKeyMakeOneKeyWithBothAccounts) {
    TwoGroups cluster;
    cluster.checkpoints.push_back({"SQL Server", "SQL Group", kEs});
    const Config c = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    EXPECT_EQ(c.keys[0].origin->resource, "Exchange Event Service, SQL Server");
    EXPECT_EQ(c.keys[0].origin->group, "Exchange Group, SQL Group");
    EXPECT_EQ(c.keys[0].require,
              (std::vector<Requirement>{service("ClusSvc", rights::key_all_access),
                                        service("MSExchangeES", rights::key_all_access),
                                        service("MSSQLSERVER", rights::key_all_access)}));
}

TEST(AutoKeys, AServiceNameThatCouldNotBeReadLeavesTheClusterAccountAndSaysWhy) {
    TwoGroups cluster;
    cluster.resources[0].service_name.clear();
    cluster.resources[0].problem =
        "its private properties were refused: at byte 4: the name runs past the end";
    const Config c = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    EXPECT_EQ(c.keys[0].require,
              (std::vector<Requirement>{service("ClusSvc", rights::key_all_access)}));
    EXPECT_NE(c.keys[0].origin->problem.find("is not known (its private properties were refused"),
              std::string::npos)
        << c.keys[0].origin->problem;
}

TEST(AutoKeys, ACheckpointWithoutFactsIsGuardedForTheClusterAccount) {
    TwoGroups cluster;
    cluster.resources.clear();
    const Config c = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    ASSERT_EQ(c.keys.size(), 4u);
    EXPECT_EQ(c.keys[2].require,
              (std::vector<Requirement>{service("ClusSvc", rights::key_all_access)}));
    EXPECT_NE(c.keys[2].origin->problem.find("the type of resource SQL Server is not known"),
              std::string::npos);
}

TEST(AutoKeys, MadeAnewEachTimeAndNothingWithoutAuto) {
    TwoGroups cluster;
    const Config once = with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources);
    EXPECT_EQ(with_auto_keys(once, cluster.checkpoints, cluster.resources), once);
    // A resource deleted: its keys go.
    cluster.checkpoints.pop_back();
    const Config after = with_auto_keys(once, cluster.checkpoints, cluster.resources);
    EXPECT_EQ(after.keys.size(), 3u);
    EXPECT_EQ(learned_key_changes(once.keys, after.keys), (std::vector<std::string>{"- " + kDisk}));
    EXPECT_EQ(learned_key_changes(after.keys, once.keys),
              (std::vector<std::string>{"+ " + kDisk + " (checkpoint of Contoso Disk)"}));
    EXPECT_EQ(learned_keys(after).size(), 3u);
    Config off = once;
    off.auto_keys.enabled = false;
    EXPECT_TRUE(with_auto_keys(off, cluster.checkpoints, cluster.resources).keys.empty());
}

// A learned checkpoint that is not on this node yet is "absent", not an
// error and not drift: the restore creates it. Once it exists it is checked
// (and repaired) like any key.
TEST(AutoKeys, ALearnedKeyThatDoesNotExistIsAbsentUntilItDoes) {
    using namespace fakes;
    const TwoGroups cluster;
    FakeRegistry registry;
    FakeAccounts accounts;
    FakeJournal journal;
    RecordingAlerts alerts;
    FakeClock clock;
    accounts.services.emplace("ClusSvc", *Sid::parse("S-1-5-18"));
    accounts.services.emplace("MSExchangeES", *Sid::parse("S-1-5-21-1-2-3-1105"));
    accounts.services.emplace("MSSQLSERVER", *Sid::parse("S-1-5-21-1-2-3-1106"));
    Engine engine(with_auto_keys(auto_config(), cluster.checkpoints, cluster.resources),
                  {registry, accounts, journal, alerts, clock});
    engine.check_all();
    ASSERT_EQ(engine.keys().size(), 4u);
    for (const KeyStatus& k : engine.keys()) {
        EXPECT_EQ(k.state, KeyState::absent) << k.path;
        EXPECT_TRUE(k.findings.empty());
    }
    EXPECT_TRUE(alerts.raised.empty());
    registry.set(kEs, "O:BAG:SYD:(A;CI;KA;;;SY)");
    engine.sweep();
    EXPECT_EQ(engine.keys()[0].state, KeyState::repaired);
    EXPECT_EQ(registry.sddl(kEs), "O:BAG:SYD:(A;CI;KA;;;SY)(A;CI;KA;;;S-1-5-21-1-2-3-1105)");
    EXPECT_EQ(engine.keys()[1].state, KeyState::absent);
    EXPECT_EQ(to_string(KeyState::absent), "absent");
}

}  // namespace test_auto_keys
}  // namespace permwatch
