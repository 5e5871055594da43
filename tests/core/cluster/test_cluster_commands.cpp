// status --cluster and check --cluster on a fake cluster (FakeClusterView
// stands in for service/cluster_database; the real adapter is tested under
// Wine against the fake clusapi.dll). Nodes publish through the real
// serializer; "now" is fixed, so ages are exact.
#include <gtest/gtest.h>

#include <sstream>

#include "core/cluster/cluster_commands.hpp"
#include "core/cluster/cluster_readiness.hpp"
#include "core/journal/journal.hpp"
#include "tests/core/cluster/node_summary_builders.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_cluster_commands {

using namespace std::chrono_literals;

const std::string kKey = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES";
const auto kNow = *parse_utc("2026-11-30T12:00:00.000Z");

NodeSummary summary(const std::string& node, KeyState state, std::chrono::seconds age,
                    const std::string& group = "EXCH") {
    NodeSummary s = test::summary_of(node, "1.0.0", format_utc(kNow - age));
    s.keys.push_back(test::checkpointed_key(kKey, state, "EXCH-RES", group));
    return s;
}

// A group as the cluster describes it: its owners, and its resources'
// checkpoints as the node running the check read them (one resource,
// <group>-RES, with `checkpoints` of them).
GroupOwners group(const std::string& name, std::vector<std::string> preferred = {},
                  std::vector<std::string> possible = {}, std::size_t checkpoints = 1) {
    GroupOwners g;
    g.group = name;
    g.preferred = std::move(preferred);
    g.possible = std::move(possible);
    g.resources = {name + "-RES"};
    g.checkpoint_count = checkpoints;
    return g;
}

struct Cluster {
    fakes::FakeClusterView view;
    Cluster() {
        view.node_list = {{"NODE1", "up"}, {"NODE2", "up"}};
        view.group_list = {group("EXCH", {"NODE1", "NODE2"})};
    }
    void publish(const NodeSummary& s) { view.publish(s.node, serialize_summary(s)); }
    // NODE1 and NODE2 each published their key, in these states, `age` ago.
    void publish_both(KeyState node1, KeyState node2, std::chrono::seconds age) {
        publish(summary("NODE1", node1, age));
        publish(summary("NODE2", node2, age));
    }
};

struct Out {
    int code;
    std::string out;
    std::string err;
};

Out check(Cluster& c, std::optional<std::string> group = std::nullopt, bool json = false) {
    std::ostringstream out, err;
    const int code = run_cluster_check(c.view, group, json, out, err, kNow);
    return {code, out.str(), err.str()};
}

Out status(Cluster& c, bool json = false) {
    std::ostringstream out, err;
    const int code = run_cluster_status(c.view, json, out, err, kNow);
    return {code, out.str(), err.str()};
}

// A text report of check --cluster that is not ready: exit 1, its first line
// names `nodes`, and it says each of `said` and none of `unsaid`.
void expect_not_ready(const Out& r, const std::string& nodes,
                      std::initializer_list<std::string> said,
                      std::initializer_list<std::string> unsaid = {}) {
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_EQ(r.out.rfind("not ready: " + nodes + "\n", 0), 0u) << r.out;
    for (const std::string& part : said) EXPECT_NE(r.out.find(part), std::string::npos) << r.out;
    for (const std::string& part : unsaid) EXPECT_EQ(r.out.find(part), std::string::npos) << r.out;
}

TEST(ClusterCheck, TwoCompliantFreshNodesAreReady) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 10s));
    c.publish(summary("NODE2", KeyState::repaired, 30s));
    const Out r = check(c, "EXCH");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("ready:", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("NODE1, NODE2"), std::string::npos) << r.out;
}

TEST(ClusterCheck, OneDriftedNodeIsNamedWithKeyAndReason) {
    Cluster c;
    c.publish_both(KeyState::compliant, KeyState::drift, 10s);
    expect_not_ready(check(c, "EXCH"), "NODE2", {kKey, "drift"}, {"NODE1"});
}

TEST(ClusterCheck, JsonNamesEachNodeKeyAndReason) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::error, 10s));
    const Out r = check(c, std::nullopt, true);
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_FALSE(doc["ready"].get<bool>());
    ASSERT_EQ(doc["not_ready"].size(), 2u) << r.out;
    EXPECT_EQ(doc["not_ready"][0]["node"], "NODE1");
    EXPECT_EQ(doc["not_ready"][0]["key"], kKey);
    EXPECT_EQ(doc["not_ready"][0]["reason"], "error");
    EXPECT_EQ(doc["not_ready"][1]["node"], "NODE2");
    EXPECT_TRUE(doc["not_ready"][1]["key"].is_null());
    EXPECT_EQ(doc["not_ready"][1]["reason"], "no summary");
    EXPECT_EQ(doc["groups"][0]["group"], "EXCH");
    EXPECT_EQ(doc["groups"][0]["keys"][0], kKey);
}

TEST(ClusterCheck, StaleStoppedMissingAndUnreadableNodesAreNotReady) {
    Cluster c;
    c.view.node_list = {
        {"NODE1", "up"}, {"NODE2", "up"}, {"NODE3", "up"}, {"NODE4", "up"}, {"NODE5", "up"}};
    c.view.group_list = {group("EXCH")};  // no owners named: every node may own it
    c.publish(summary("NODE1", KeyState::compliant, 121s));  // 2 x 60 s is the limit
    NodeSummary stopped = summary("NODE2", KeyState::compliant, 5s);
    stopped.stopped = true;
    c.publish(stopped);
    // NODE3: nothing published.
    c.view.publish("NODE4", "{\"format\":1,\"node\":\"NODE4\"");
    c.view.summaries["NODE5"] = {PublishedText::Status::error, "", "value too large"};
    const Out r = check(c, "EXCH", true);
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    std::map<std::string, std::string> reason;
    for (const auto& p : doc["not_ready"]) reason[p["node"]] = p["reason"];
    EXPECT_EQ(reason["NODE1"], "stale heartbeat");
    EXPECT_EQ(reason["NODE2"], "not running");
    EXPECT_EQ(reason["NODE3"], "no summary");
    EXPECT_EQ(reason["NODE4"], "unreadable");
    EXPECT_EQ(reason["NODE5"], "unreadable");
}

TEST(ClusterCheck, HeartbeatJustInsideTwiceTheSweepIsFresh) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 119s));
    c.publish(summary("NODE2", KeyState::compliant, -30s));  // its clock runs 30 s ahead
    EXPECT_EQ(check(c, "EXCH").code, 0);
    c.publish(summary("NODE2", KeyState::compliant, -600s));  // far ahead: not trusted
    EXPECT_EQ(check(c, "EXCH").code, 1);
}

TEST(ClusterCheck, OnlyNodesThatMayOwnTheGroupCountAndDownNodesAreSkipped) {
    Cluster c;
    c.view.node_list = {{"NODE1", "up"}, {"NODE2", "up"}, {"NODE3", "up"}, {"NODE4", "down"}};
    // Preferred owners and the resources' possible owners, united.
    c.view.group_list = {group("EXCH", {"NODE1"}, {"node2", "NODE4"})};
    c.publish(summary("NODE1", KeyState::compliant, 1s));
    c.publish(summary("NODE2", KeyState::compliant, 1s));
    // NODE3 may not own EXCH: its drift does not matter to this move.
    c.publish(summary("NODE3", KeyState::drift, 1s));
    const Out r = check(c, "exch");  // group names: case-insensitive, as the cluster's
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find("skipped, down: NODE4"), std::string::npos) << r.out;
}

TEST(ClusterCheck, AKeyTheOtherNodeDoesNotWatchIsNotReady) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 1s));
    NodeSummary other = summary("NODE2", KeyState::compliant, 1s);
    other.keys.clear();
    c.publish(other);
    const Out r = check(c, "EXCH", true);
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["not_ready"].size(), 1u);
    EXPECT_EQ(doc["not_ready"][0]["node"], "NODE2");
    EXPECT_EQ(doc["not_ready"][0]["reason"], "not watched");
}

TEST(ClusterCheck, UnattributedCheckpointKeysCountForEveryGroupOnTheirNode) {
    Cluster c;
    c.view.group_list = {group("EXCH"), group("SQL")};
    NodeSummary n1 = summary("NODE1", KeyState::drift, 1s, "");
    n1.keys[0].resource.clear();  // "checkpoint": true, no resource found
    c.publish(n1);
    c.publish(summary("NODE2", KeyState::compliant, 1s, "SQL"));
    const Out r = check(c, std::nullopt, true);
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["not_ready"].size(), 2u) << r.out;  // NODE1's drift, for both groups
    for (const auto& p : doc["not_ready"]) {
        EXPECT_EQ(p["node"], "NODE1");
        EXPECT_EQ(p["reason"], "drift");
    }
}

// A resource of the group whose checkpoints a node could not learn: its
// keys are not known there, so whether they are right cannot be said.
TEST(ClusterCheck, ANodeThatCouldNotLearnAResourcesCheckpointsIsNotReady) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 10s));
    NodeSummary n2 = summary("NODE2", KeyState::compliant, 10s);
    n2.checkpoints_unknown.push_back({"EXCH-DB", "EXCH", "The RPC server is unavailable. (1722)"});
    n2.checkpoints_unknown.push_back({"SQL-DB", "SQL", "Access is denied. (5)"});  // not EXCH's
    c.publish(n2);
    expect_not_ready(check(c, "EXCH"), "NODE2", {"checkpoints unknown", "EXCH-DB", "(1722)"},
                     {"SQL-DB"});

    const Out r = check(c, "EXCH", true);
    EXPECT_EQ(r.code, 1);
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["not_ready"].size(), 1u) << r.out;
    const auto& p = doc["not_ready"][0];
    EXPECT_EQ(p["node"], "NODE2");
    EXPECT_EQ(p["group"], "EXCH");
    EXPECT_TRUE(p["key"].is_null());
    EXPECT_EQ(p["reason"], "checkpoints unknown");
    EXPECT_EQ(p["resource"], "EXCH-DB");
    EXPECT_FALSE(doc["groups"][0]["ready"].get<bool>());
    EXPECT_FALSE(doc["groups"][0]["no_checkpointed_keys"].get<bool>());
}

// Nobody could read the checkpoints, so nobody published a key for the
// group: that is missing knowledge, never "ready: 0 checkpointed keys".
TEST(ClusterCheck, CheckpointsNoNodeCouldLearnAreNotReadyRatherThanNoKeys) {
    Cluster c;
    for (const char* node : {"NODE1", "NODE2"}) {
        NodeSummary s = summary(node, KeyState::compliant, 10s);
        s.keys.clear();
        // The group was not learned either: it may be any group's resource.
        s.checkpoints_unknown.push_back({"EXCH-RES", "", "Access is denied. (5)"});
        c.publish(s);
    }
    expect_not_ready(check(c, "EXCH"), "NODE1, NODE2", {}, {"checkpointed keys"});
}

// What the node running the check could not read itself counts too (when
// the other nodes run a PermWatch that does not publish checkpoints_unknown,
// it is all there is to go by).
TEST(ClusterCheck, CheckpointsThisNodeCouldNotReadAreNotReady) {
    Cluster c;
    c.publish_both(KeyState::compliant, KeyState::compliant, 10s);
    c.view.group_list[0].unreadable.push_back(
        {"EXCH-RES", "EXCH", "CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS: error (1726)"});
    expect_not_ready(check(c, "EXCH"), "this node", {"checkpoints unknown", "EXCH-RES", "(1726)"});

    const Out r = check(c, "EXCH", true);
    const auto doc = nlohmann::json::parse(r.out);
    ASSERT_EQ(doc["not_ready"].size(), 1u) << r.out;
    EXPECT_EQ(doc["not_ready"][0]["node"], std::string(kThisNode));
    EXPECT_EQ(doc["not_ready"][0]["reason"], "checkpoints unknown");
    EXPECT_EQ(doc["not_ready"][0]["resource"], "EXCH-RES");
    EXPECT_TRUE(doc["groups"][0]["cluster_checkpoints"].is_null()) << r.out;
}

// The cluster reports no registry checkpoint for the group's resources and
// none is unknown: there is nothing to check but its nodes, and it is said.
TEST(ClusterCheck, AGroupWithoutCheckpointsIsReadyWithNoCheckpointedKeys) {
    Cluster c;
    c.view.group_list.push_back(group("FILES", {"NODE1", "NODE2"}, {}, 0));
    c.publish_both(KeyState::compliant, KeyState::compliant, 10s);
    Out r = check(c, "FILES");
    EXPECT_EQ(r.code, 0) << r.out;
    EXPECT_EQ(r.out,
              "ready: 1 group, 0 checkpointed keys compliant and fresh on NODE1, NODE2\n"
              "group FILES: no checkpointed keys (the cluster reports no registry checkpoints "
              "for its resource)\n");

    r = check(c, "FILES", true);
    auto doc = nlohmann::json::parse(r.out);
    EXPECT_TRUE(doc["ready"].get<bool>());
    EXPECT_TRUE(doc["groups"][0]["no_checkpointed_keys"].get<bool>());
    EXPECT_EQ(doc["groups"][0]["cluster_checkpoints"], 0);
    EXPECT_EQ(doc["groups"][0]["resources"][0], "FILES-RES");
    EXPECT_TRUE(doc["groups"][0]["keys"].empty());

    // The whole cluster: EXCH has its key, FILES none.
    r = check(c, std::nullopt, true);
    EXPECT_EQ(r.code, 0) << r.out;
    doc = nlohmann::json::parse(r.out);
    EXPECT_FALSE(doc["groups"][0]["no_checkpointed_keys"].get<bool>());
    EXPECT_EQ(doc["groups"][0]["cluster_checkpoints"], 1);
    EXPECT_TRUE(doc["groups"][1]["no_checkpointed_keys"].get<bool>());
}

TEST(ClusterCheck, UnknownGroupIsAnError) {
    Cluster c;
    const Out r = check(c, "NOPE");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("no group 'NOPE'"), std::string::npos) << r.err;
}

TEST(ClusterCheck, NoClusterIsExit4AndAFailedReadExit2) {
    Cluster c;
    c.view.open_result = ClusterViewPort::Open::no_cluster;
    c.view.why = "the Cluster service is not running on this node";
    Out r = check(c);
    EXPECT_EQ(r.code, 4);
    EXPECT_NE(r.err.find("no cluster here"), std::string::npos);
    EXPECT_EQ(status(c).code, 4);
    c.view.open_result = ClusterViewPort::Open::ok;
    c.view.fail_enumeration = true;
    r = check(c);
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("access denied"), std::string::npos) << r.err;
    EXPECT_EQ(status(c).code, 2);
}

TEST(ClusterStatus, OneRowPerNodeWithHeartbeatAge) {
    Cluster c;
    c.view.node_list = {{"NODE1", "up"}, {"NODE2", "up"}, {"NODE3", "down"}};
    NodeSummary n1 = summary("NODE1", KeyState::repaired, 12s);
    n1.keys[0].last_repair = "2026-11-30T11:59:00.000Z";
    c.publish(n1);
    c.publish(summary("NODE2", KeyState::drift, 300s));
    const Out r = status(c);
    EXPECT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::vector<std::string> rows;
    while (std::getline(lines, line)) rows.push_back(line);
    ASSERT_EQ(rows.size(), 5u) << r.out;
    EXPECT_EQ(rows[0], "cluster CLUS1, 3 nodes");
    EXPECT_EQ(rows[1].rfind("NODE", 0), 0u);
    EXPECT_NE(rows[2].find("running (heartbeat 12 s ago)"), std::string::npos) << rows[2];
    EXPECT_NE(rows[2].find("1/0/0"), std::string::npos) << rows[2];
    EXPECT_NE(rows[2].find("2026-11-30T11:59:00.000Z"), std::string::npos) << rows[2];
    EXPECT_NE(rows[3].find("stale (heartbeat 300 s ago)"), std::string::npos) << rows[3];
    EXPECT_NE(rows[3].find("0/1/0"), std::string::npos) << rows[3];
    EXPECT_NE(rows[4].find("down"), std::string::npos) << rows[4];
    EXPECT_NE(rows[4].find("no summary"), std::string::npos) << rows[4];
}

TEST(ClusterStatus, Json) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 12s));
    c.view.publish("NODE2", "\x1b[2J");
    const Out r = status(c, true);
    EXPECT_EQ(r.code, 0);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["cluster"], "CLUS1");
    ASSERT_EQ(doc["nodes"].size(), 2u);
    EXPECT_EQ(doc["nodes"][0]["permwatch"], "running");
    EXPECT_TRUE(doc["nodes"][0]["running"].get<bool>());
    EXPECT_DOUBLE_EQ(doc["nodes"][0]["heartbeat_age_s"].get<double>(), 12.0);
    EXPECT_EQ(doc["nodes"][0]["keys"]["compliant"], 1);
    EXPECT_TRUE(doc["nodes"][0]["last_repair"].is_null());
    EXPECT_EQ(doc["nodes"][1]["permwatch"], "unreadable");
    EXPECT_FALSE(doc["nodes"][1]["running"].get<bool>());
}

TEST(ClusterStatus, ShowsWhichResourcesCheckpointsAreUnknownOnEachNode) {
    Cluster c;
    c.publish(summary("NODE1", KeyState::compliant, 12s));
    NodeSummary n2 = summary("NODE2", KeyState::compliant, 12s);
    n2.checkpoints_unknown.push_back({"EXCH-DB", "EXCH", "Access is denied. (5)"});
    n2.checkpoints_unknown.push_back({"Orphan", "", ""});
    c.publish(n2);
    Out r = status(c);
    EXPECT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string line;
    std::vector<std::string> rows;
    while (std::getline(lines, line)) rows.push_back(line);
    ASSERT_EQ(rows.size(), 6u) << r.out;  // the table as before, then one line each
    EXPECT_NE(rows[3].find("running (heartbeat 12 s ago)"), std::string::npos) << rows[3];
    EXPECT_EQ(rows[4],
              "NODE2: checkpoints unknown: resource EXCH-DB, group EXCH: Access is "
              "denied. (5)");
    EXPECT_EQ(rows[5], "NODE2: checkpoints unknown: resource Orphan, group not known");

    r = status(c, true);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_TRUE(doc["nodes"][0]["checkpoints_unknown"].empty());
    ASSERT_EQ(doc["nodes"][1]["checkpoints_unknown"].size(), 2u) << r.out;
    EXPECT_EQ(doc["nodes"][1]["checkpoints_unknown"][0]["resource"], "EXCH-DB");
    EXPECT_EQ(doc["nodes"][1]["checkpoints_unknown"][0]["group"], "EXCH");
    EXPECT_EQ(doc["nodes"][1]["checkpoints_unknown"][0]["why"], "Access is denied. (5)");
    EXPECT_EQ(doc["nodes"][1]["checkpoints_unknown"][1]["group"], "");
}

}  // namespace test_cluster_commands
}  // namespace permwatch
