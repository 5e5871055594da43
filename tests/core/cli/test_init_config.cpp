// `permwatch init`'s config: it loads, and guards what "keys": "auto" would.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/cli/init_config.hpp"
#include "core/cluster/auto_keys.hpp"
#include "core/policy/config.hpp"
#include "tests/core/cluster/resource_facts_builders.hpp"

namespace permwatch {
namespace test_init_config {

using test::kDisk;
using test::kEs;
using test::kSql;

// The cluster of the Wine tests, three keys.
using Cluster = test::TwoGroups;

Config load(const std::string& text) {
    const ConfigResult r = load_config(text);
    EXPECT_TRUE(r.problems.empty()) << (r.problems.empty() ? "" : r.problems[0].message);
    return r.config.value_or(Config{});
}

TEST(InitConfig, TheWrittenConfigLoadsAndGuardsWhatAutoWould) {
    const Cluster c;
    const InitConfig init = make_init_config(c.checkpoints, c.resources, false, "PWCLUSTER",
                                             "NODE1", "2026-12-07T04:00:00.000Z");
    ASSERT_TRUE(init.errors.empty());
    EXPECT_EQ(init.keys, 3u);
    const Config written = load(init.text);
    Config rules;
    rules.auto_keys.enabled = true;
    const Config learned = with_auto_keys(rules, c.checkpoints, c.resources);
    ASSERT_EQ(written.keys.size(), learned.keys.size());
    for (std::size_t i = 0; i < written.keys.size(); ++i) {
        EXPECT_EQ(written.keys[i].path, learned.keys[i].path);
        EXPECT_EQ(written.keys[i].require, learned.keys[i].require) << written.keys[i].path;
        EXPECT_EQ(written.keys[i].checkpoint, CheckpointMode::yes);
        EXPECT_FALSE(written.keys[i].origin.has_value());  // explicit now
    }
    EXPECT_FALSE(written.auto_keys.enabled);
}

TEST(InitConfig, EachKeyAndRequirementSaysWhereItCameFrom) {
    const Cluster c;
    const InitConfig init = make_init_config(c.checkpoints, c.resources, false, "PWCLUSTER",
                                             "NODE1", "2026-12-07T04:00:00.000Z");
    const auto doc = nlohmann::json::parse(init.text);
    EXPECT_NE(doc["comment"].get<std::string>().find("cluster PWCLUSTER on node NODE1"),
              std::string::npos);
    EXPECT_EQ(doc["keys"][0]["comment"],
              "registry checkpoint of resource Exchange Event Service in group Exchange Group");
    EXPECT_EQ(doc["keys"][0]["require"][0]["principal"]["service_account_of"], "ClusSvc");
    EXPECT_NE(
        doc["keys"][0]["require"][1]["comment"].get<std::string>().find("service MSExchangeES"),
        std::string::npos);
    EXPECT_EQ(doc["keys"][0]["require"][1]["rights"], nlohmann::json::array({"KEY_ALL_ACCESS"}));
    EXPECT_EQ(doc["keys"][0]["require"][1]["inherit"], nlohmann::json::array({"container"}));
}

TEST(InitConfig, ThisNodesResourcesUnlessTheWholeCluster) {
    Cluster c;
    c.resources[1].possible_here = false;
    const InitConfig mine = make_init_config(c.checkpoints, c.resources, false, "C", "NODE1", "t");
    EXPECT_EQ(mine.keys, 2u);
    EXPECT_EQ(mine.text.find("MSSQL16"), std::string::npos);
    const InitConfig all = make_init_config(c.checkpoints, c.resources, true, "C", "NODE1", "t");
    EXPECT_EQ(all.keys, 3u);
    EXPECT_NE(all.text.find("every resource's checkpoints"), std::string::npos);
}

TEST(InitConfig, NoCheckpointIsAnErrorNotAnEmptyConfig) {
    const InitConfig none = make_init_config({}, {}, false, "C", "NODE1", "t");
    EXPECT_TRUE(none.text.empty());
    ASSERT_EQ(none.errors.size(), 1u);
    EXPECT_NE(none.errors[0].find("no key to write"), std::string::npos);
}

}  // namespace test_init_config
}  // namespace permwatch
