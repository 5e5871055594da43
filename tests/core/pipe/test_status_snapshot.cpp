// The status document: its shape is decided in one place (to_json of a
// StatusSnapshot); `status` and outside scripts read these members.
#include <gtest/gtest.h>

#include "core/pipe/status_snapshot.hpp"

namespace permwatch {
namespace test_status_snapshot {

StatusSnapshot sample() {
    StatusSnapshot s;
    s.version = "0.1.0";
    s.mode = "enforce";
    s.config = {"C:\\ProgramData\\PermWatch\\permwatch.json", 1, 60, 500, "C:\\j.jsonl", 120};
    StatusSnapshot::Key k;
    k.status.path = "HKLM\\SOFTWARE\\K";
    k.status.state = KeyState::repaired;
    k.status.last_check = "2026-12-06T20:00:00.000Z";
    k.status.repairs = 2;
    k.frozen = true;
    k.checkpoint = Checkpoint{"Res", "Group", "SOFTWARE\\K", CheckpointSource::regsync};
    k.watch = "subtree watch from HKLM\\SOFTWARE";
    k.held_open = false;
    s.keys.push_back(k);
    StatusSnapshot::Key plain;
    plain.status.path = "HKLM\\SOFTWARE\\Plain";
    s.keys.push_back(plain);
    s.cluster.available = true;
    s.cluster.node = "NODE1";
    s.cluster.counters.failovers_prepared = 3;
    s.cluster.frozen_groups = {"Group"};
    s.publish.writes = 4;
    s.counters.repairs = 2;
    s.journal.path = "C:\\j.jsonl";
    s.journal.last_flush_error = "disk full";
    s.open_key_handles = 7;
    s.loop_errors = 1;
    return s;
}

TEST(StatusSnapshot, TheDocumentHasEveryMemberInItsPlace) {
    const auto j = to_json(sample());
    std::vector<std::string> top;
    for (const auto& [name, value] : j.items()) top.push_back(name);
    EXPECT_EQ(top,
              (std::vector<std::string>{"version", "mode", "config", "keys", "cluster", "publish",
                                        "counters", "journal", "open_key_handles", "loop_errors"}));
    EXPECT_EQ(j["config"]["sweep_interval_s"], 60);
    EXPECT_EQ(j["config"]["failover_timeout_s"], 120);
    const auto& key = j["keys"][0];
    EXPECT_EQ(key["state"], "repaired");
    EXPECT_EQ(key["last_repair"], nullptr);  // never: null, not ""
    EXPECT_EQ(key["frozen"], true);
    EXPECT_EQ(key["checkpoint"]["source"], "RegSync");
    EXPECT_EQ(key["held_open"], false);
    EXPECT_EQ(j["keys"][1]["checkpoint"], nullptr);
    EXPECT_FALSE(j["keys"][1].contains("watch"));  // before the watcher starts
    EXPECT_EQ(j["cluster"]["node"], "NODE1");
    EXPECT_EQ(j["cluster"]["failovers_prepared"], 3);
    EXPECT_EQ(j["cluster"]["frozen_groups"][0], "Group");
    EXPECT_EQ(j["publish"]["last_error"], nullptr);
    EXPECT_EQ(j["counters"]["repairs"], 2);
    EXPECT_EQ(j["journal"]["last_flush_error"], "disk full");
    EXPECT_EQ(j["open_key_handles"], 7);
}

TEST(StatusSnapshot, ANodeWithoutAClusterShowsNoNodeName) {
    StatusSnapshot s = sample();
    s.cluster.available = false;
    EXPECT_EQ(to_json(s)["cluster"]["node"], nullptr);
}

}  // namespace test_status_snapshot
}  // namespace permwatch
