// The failover sequence with fake ports: a fake cluster plays the events, a
// fake registry holds the key. The real adapters are tested under Wine with
// the simulated cluster (tests/fakes/clusapi, clussim).
#include <gtest/gtest.h>

#include "core/engine/failover.hpp"
#include "core/security/key_path.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch {
namespace test_failover {

using namespace std::chrono_literals;
using Kind = ClusterEvent::Kind;

const std::string key = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES";
const std::string svc = "S-1-5-21-1-2-3-1105";
const std::string broken = "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
const std::string fixed = "O:BAG:SYD:(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;" + svc + ")";

Config config(const std::string& checkpoint = "\"auto\"") {
    auto loaded = load_config(R"json({"version":1,"debounce_ms":0,
      "flapping":{"max_repairs":1,"window_s":60,"backoff_s":300},
      "keys":[{"path":"HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES","checkpoint":)json" +
                              checkpoint + R"json(,"require":[
        {"principal":{"service_account_of":"MSExchangeSA"},"rights":["KEY_ALL_ACCESS"],"inherit":["container"]}]},
      {"path":"HKLM\\SOFTWARE\\Other","checkpoint":false,"require":[{"principal":"SY","rights":["KEY_READ"]}]}]})json");
    EXPECT_TRUE(loaded.config.has_value());
    return *loaded.config;
}

ClusterEvent ev(Kind kind, std::string group, std::string resource, std::string node) {
    ClusterEvent e;
    e.kind = kind;
    e.group = std::move(group);
    e.resource = std::move(resource);
    e.node = std::move(node);
    return e;
}

struct Rig {
    fakes::FakeRegistry registry;
    fakes::FakeAccounts accounts;
    fakes::FakeJournal journal;
    fakes::RecordingAlerts alerts;
    fakes::FakeClock clock;
    fakes::FakeCluster cluster;
    fakes::FakeHandles handles;
    Engine engine;
    FailoverCoordinator failover;

    explicit Rig(const std::string& checkpoint = "\"auto\"")
        : engine(config(checkpoint), {registry, accounts, journal, alerts, clock}),
          failover(engine, cluster, handles, alerts, clock) {
        accounts.services.emplace("MSExchangeSA", *Sid::parse(svc));
        registry.set(key, fixed);
        registry.set("HKLM\\SOFTWARE\\Other", "D:(A;;KA;;;SY)");
        cluster.known = {{"Exchange Event Service", "Exchange Group",
                          "HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeES"}};
        cluster.connect(nullptr);
        failover.connected();
    }
    ClusterEvent event(Kind kind) {
        return ev(kind, "Exchange Group",
                  kind == Kind::group_moving_here ? "" : "Exchange Event Service", "NODE1");
    }
};

TEST(Failover, SabotagedKeyIsRepairedBeforeHandlesAreReleased) {
    Rig rig;
    rig.registry.set(key, broken);  // sabotaged on the passive node
    std::string sddl_at_release;
    rig.handles.on_release = [&] { sddl_at_release = rig.registry.sddl(key); };
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    EXPECT_EQ(sddl_at_release, fixed);  // step 1 happened before step 2
    EXPECT_FALSE(rig.handles.held);
    EXPECT_EQ(rig.journal.entries.back().reason, "failover");
    EXPECT_EQ(rig.failover.counters().failovers_prepared, 1u);
    ASSERT_EQ(rig.alerts.count(EventId::failover_prepared), 1);
    EXPECT_EQ(rig.alerts.raised.back().strings[0], "Exchange Group");
    EXPECT_EQ(rig.alerts.raised.back().strings[1], key);
    // online-pending of the same group: checked again, still one failover.
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    EXPECT_EQ(rig.failover.counters().failovers_prepared, 1u);
    EXPECT_EQ(rig.handles.releases, 1);
    EXPECT_TRUE(rig.failover.handles_released());
    EXPECT_EQ(rig.failover.frozen_groups(), std::vector<std::string>{"Exchange Group"});
}

TEST(Failover, HandlesComeBackAndTheRestoredKeyIsCheckedAfterOnline) {
    Rig rig;
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    ASSERT_FALSE(rig.handles.held);
    rig.registry.set(key, broken);  // the restore wrote a checkpoint with a broken ACL
    rig.failover.on_event(rig.event(Kind::resource_online));
    EXPECT_TRUE(rig.handles.held);
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_EQ(rig.journal.entries.back().reason, "post_online");
    EXPECT_EQ(rig.alerts.count(EventId::checkpoint_rechecked), 1);
    EXPECT_EQ(rig.failover.counters().rechecks, 1u);
    // A resource that failed also ends the window.
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    rig.failover.on_event(rig.event(Kind::resource_failed));
    EXPECT_TRUE(rig.handles.held);
    EXPECT_EQ(rig.handles.reacquires, 2);
}

TEST(Failover, OtherGroupsAndUncheckpointedKeysAreLeftAlone) {
    Rig rig;
    rig.registry.set(key, broken);
    ClusterEvent other = ev(Kind::group_moving_here, "SQL Group", "", "NODE1");
    rig.failover.on_event(other);
    EXPECT_EQ(rig.registry.sddl(key), broken);
    EXPECT_TRUE(rig.handles.held);
    EXPECT_EQ(rig.failover.counters().failovers_prepared, 0u);
    EXPECT_FALSE(rig.failover.checkpoint_of(1).has_value());  // "checkpoint": false
    ASSERT_TRUE(rig.failover.checkpoint_of(0).has_value());
    EXPECT_EQ(rig.failover.checkpoint_of(0)->group, "Exchange Group");
}

TEST(Failover, RepairIgnoresAFlappingBackOff) {
    Rig rig;
    // max_repairs 1: the second repair within the window would back off.
    rig.registry.set(key, broken);
    rig.engine.sweep();
    rig.registry.set(key, broken);
    rig.engine.sweep();
    ASSERT_EQ(rig.engine.keys()[0].state, KeyState::flapping);
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    EXPECT_EQ(rig.registry.sddl(key), fixed);
}

TEST(Failover, RepairThatFailsDuringPrepareIsCountedAndRaised) {
    Rig rig;
    rig.registry.set(key, broken);
    rig.registry.next_write_result = {false, 5, "access denied"};
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    EXPECT_EQ(rig.failover.counters().prepare_failures, 1u);
    EXPECT_EQ(rig.alerts.count(EventId::repair_failed), 1);
    EXPECT_EQ(rig.engine.keys()[0].state, KeyState::error);
    EXPECT_FALSE(rig.handles.held);  // the restore must still not find our handles
}

TEST(Failover, ConnectionLostMidFailoverKeepsTheFreezeUntilTheResyncSaysItEnded) {
    Rig rig;
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    rig.registry.set(key, broken);  // the restore wrote a broken checkpoint meanwhile
    rig.registry.set("HKLM\\SOFTWARE\\Other", "D:");  // and another key drifted
    rig.failover.on_event(ev(Kind::connection_lost, "", "", ""));
    // Nothing is known yet: a restore may be in flight, so nothing is opened.
    EXPECT_FALSE(rig.handles.held);
    EXPECT_EQ(rig.registry.sddl(key), broken);
    EXPECT_EQ(rig.alerts.count(EventId::cluster_resync), 1);
    // Reconnected: the group is no longer pending here (it came online while
    // no one listened): step 3 now, and every other key checked once.
    const auto reads = rig.registry.reads;
    rig.failover.connected();
    EXPECT_TRUE(rig.handles.held);
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_EQ(rig.registry.sddl("HKLM\\SOFTWARE\\Other"), "D:(A;;KR;;;SY)");
    EXPECT_EQ(rig.failover.counters().resyncs, 1u);
    EXPECT_EQ(rig.failover.counters().rechecks, 1u);
    // Each key opened once: its check and repair go through one handle.
    EXPECT_EQ(rig.registry.reads - reads, 2);
    EXPECT_FALSE(rig.failover.handles_released());
    EXPECT_TRUE(rig.failover.frozen_groups().empty());
}

// A cluster that flaps (connects, loses its port, again and
// again) is resynced every time but raises at most 3 events 3002 in 10 minutes.
TEST(Failover, AFlappingClusterRaisesEvent3002AtMostThreeTimesInTenMinutes) {
    Rig rig;
    for (int i = 0; i < 100; ++i) {
        rig.failover.on_event(ev(Kind::connection_lost, "", "", ""));
        rig.failover.connected();
        rig.clock.advance(std::chrono::seconds(5));  // 100 losses in 500 s
    }
    EXPECT_EQ(rig.failover.counters().resyncs, 100u);
    EXPECT_EQ(rig.alerts.count(EventId::cluster_resync), 3);
    EXPECT_EQ(rig.failover.counters().resync_events_held_back, 97u);
    // Once the window has passed, the next loss is raised and says how many it stands for.
    rig.clock.advance(std::chrono::minutes(10));
    rig.failover.on_event(ev(Kind::connection_lost, "", "", ""));
    ASSERT_EQ(rig.alerts.count(EventId::cluster_resync), 4);
    const std::string& text = rig.alerts.raised.back().strings.at(0);
    EXPECT_NE(text.find("97 more times"), std::string::npos) << text;
}

TEST(Failover, ResyncPreparesAGroupAlreadyMovingHereBeforeItChecksAnythingElse) {
    Rig rig;
    rig.registry.set(key, broken);
    // The move began while the connection was down: no event will come.
    rig.failover.on_event(ev(Kind::connection_lost, "", "", ""));
    rig.cluster.pending = {rig.event(Kind::resource_online_pending)};
    std::vector<std::string> order;
    rig.registry.on_read = [&](const std::string& path) { order.push_back(path); };
    rig.handles.on_release = [&] { order.push_back("release"); };
    rig.failover.connected();
    ASSERT_GE(order.size(), 2u);
    EXPECT_EQ(order[0], key);        // (1) looked at and repaired first, in one open
    EXPECT_EQ(order[1], "release");  // (2) then let go, before anything else is read
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_FALSE(rig.handles.held);
    EXPECT_EQ(rig.failover.counters().failovers_prepared, 1u);
    EXPECT_EQ(rig.alerts.count(EventId::failover_prepared), 1);
}

TEST(Failover, FrozenKeysAreNotOpenedBySweepCheckOrReloadAndAreCheckedOnceAtThaw) {
    Rig rig;
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    ASSERT_TRUE(rig.engine.frozen(0));
    EXPECT_FALSE(rig.engine.frozen(1));  // not checkpointed: still guarded
    std::vector<std::string> opened;
    rig.registry.on_read = [&](const std::string& path) { opened.push_back(path); };
    rig.engine.sweep();
    rig.engine.check_key_now(0, "manual");  // a pipe "check"
    rig.engine.key_changed(0);
    rig.clock.advance(1s);
    rig.engine.run_due();
    rig.engine.replace_config(config());  // a reload: the key stays frozen
    EXPECT_TRUE(rig.engine.frozen(0));
    for (const auto& path : opened) EXPECT_NE(path, key);
    EXPECT_GE(rig.engine.counters().deferred, 4u);
    EXPECT_TRUE(rig.engine.frozen_keys()[0]);
    // Online: re-opened, then checked exactly once.
    opened.clear();
    rig.failover.on_event(rig.event(Kind::resource_online));
    EXPECT_EQ(std::count(opened.begin(), opened.end(), key), 1);
    EXPECT_FALSE(rig.engine.frozen(0));
    EXPECT_EQ(rig.alerts.count(EventId::checkpoint_rechecked), 1);
    // A second online for the same group is not a second step 3.
    rig.failover.on_event(rig.event(Kind::resource_online));
    EXPECT_EQ(rig.failover.counters().rechecks, 1u);
}

TEST(Failover, EveryIndicationOfOneMoveIsOneFailoverAndOneEvent) {
    Rig rig;
    rig.registry.set(key, broken);
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    rig.failover.on_event(rig.event(Kind::group_moving_here));  // owner, then state
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    EXPECT_EQ(rig.alerts.count(EventId::failover_prepared), 1);
    EXPECT_EQ(rig.journal.entries.size(), 1u);
    EXPECT_EQ(rig.failover.counters().failovers_prepared, 1u);
    rig.failover.on_event(rig.event(Kind::resource_online));
    rig.failover.on_event(rig.event(Kind::resource_online_pending));  // the next move
    EXPECT_EQ(rig.alerts.count(EventId::failover_prepared), 2);
}

TEST(Failover, PrepareTimeRunsFromTheFirstIndication) {
    Rig rig;
    ClusterEvent e = rig.event(Kind::group_moving_here);
    e.received = rig.clock.now();
    rig.clock.advance(40ms);  // queued behind other work
    rig.failover.on_event(e);
    EXPECT_GE(rig.failover.counters().last_prepare_ms, 40.0);
    EXPECT_EQ(rig.alerts.raised.back().strings[2], "40.0");
}

TEST(Failover, GroupOwnedByAnotherNodeEndsTheFreeze) {
    Rig rig;
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    ASSERT_FALSE(rig.handles.held);
    rig.failover.on_event(ev(Kind::group_elsewhere, "SQL Group", "", "NODE2"));  // not ours
    EXPECT_FALSE(rig.handles.held);
    rig.registry.set(key, broken);
    rig.failover.on_event(ev(Kind::group_elsewhere, "Exchange Group", "", "NODE2"));
    EXPECT_TRUE(rig.handles.held);
    EXPECT_FALSE(rig.engine.frozen(0));
    EXPECT_EQ(rig.registry.sddl(key), fixed);  // checked (and repaired) at thaw
    EXPECT_EQ(rig.journal.entries.back().reason, "drift");
}

TEST(Failover, FreezeEndsAfterTheTimeoutWithEvent3003) {
    Rig rig;
    rig.failover.on_event(rig.event(Kind::resource_online_pending));
    ASSERT_TRUE(rig.failover.next_due().has_value());
    EXPECT_EQ(*rig.failover.next_due() - rig.clock.now(), 120s);  // the default
    rig.clock.advance(119s);
    rig.failover.run_due();
    EXPECT_FALSE(rig.handles.held);
    rig.clock.advance(1s);
    rig.registry.set(key, broken);
    rig.failover.run_due();
    EXPECT_TRUE(rig.handles.held);
    EXPECT_EQ(rig.alerts.count(EventId::failover_timed_out), 1);
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_EQ(rig.failover.counters().timeouts, 1u);
    EXPECT_FALSE(rig.failover.next_due().has_value());
}

TEST(Failover, CheckpointTrueWithoutDiscoveryIsPreparedForAnyFailover) {
    Rig rig("true");
    rig.cluster.known.clear();
    rig.failover.on_event(ev(Kind::resources_changed, "", "", ""));
    rig.registry.set(key, broken);
    rig.failover.on_event(ev(Kind::group_moving_here, "Any Group", "", "NODE1"));
    EXPECT_EQ(rig.registry.sddl(key), fixed);
}

TEST(Failover, InsideCheckpoint) {
    EXPECT_TRUE(inside_checkpoint("HKLM\\A\\B", "HKLM\\A\\B"));
    EXPECT_TRUE(inside_checkpoint("HKLM\\A\\B\\C", "hkey_local_machine\\a\\b"));
    EXPECT_FALSE(inside_checkpoint("HKLM\\A\\BC", "HKLM\\A\\B"));
    EXPECT_FALSE(inside_checkpoint("HKLM\\A", "HKLM\\A\\B"));
}

}  // namespace test_failover
}  // namespace permwatch

namespace permwatch {
namespace test_failover {

// Two resources of two groups claim overlapping roots: the key belongs to the
// inner one (longest prefix), and a failover of either group prepares it,
// because restoring the outer root rewrites the inner one too.
TEST(Failover, OverlappingRootsOfTwoGroupsArePreparedByEither) {
    for (const char* group : {"Exchange Group", "Services Group"}) {
        SCOPED_TRACE(group);
        Rig rig;
        rig.cluster.known = {
            {"Services Checkpoint", "Services Group", "HKLM\\SYSTEM\\CurrentControlSet\\Services"},
            {"Exchange Event Service", "Exchange Group", key}};
        rig.failover.connected();
        const auto owner = rig.failover.checkpoint_of(0);
        ASSERT_TRUE(owner.has_value());
        EXPECT_EQ(owner->resource, "Exchange Event Service");
        rig.registry.set(key, broken);
        rig.failover.on_event(ev(Kind::group_moving_here, group, "", "NODE1"));
        EXPECT_EQ(rig.registry.sddl(key), fixed);
        EXPECT_TRUE(rig.engine.frozen(0));
        EXPECT_FALSE(rig.engine.frozen(1));  // "checkpoint": false
        EXPECT_EQ(rig.failover.counters().failovers_prepared, 1u);
    }
}

TEST(Failover, ResourcesWhoseCheckpointsCouldNotBeReadAreKept) {
    Rig rig;
    rig.cluster.unread = {{"SQL Server", "SQL Group", "error 5"}};
    rig.failover.connected();
    ASSERT_EQ(rig.failover.unread_checkpoints().size(), 1u);
    EXPECT_EQ(rig.failover.unread_checkpoints()[0].resource, "SQL Server");
}

// The Cluster service restores each resource's checkpoints as that resource
// comes online, one after another: a group's first online (an IP address, or
// another resource with checkpoints) must not end the wait for a later
// resource's restore, or that key is opened during the restore and never
// checked after it.
TEST(Failover, EachResourcesRestoreIsWaitedForAndCheckedAfterItsOwnOnline) {
    Rig rig;
    // Two resources of the group checkpoint the key: both restores write it.
    rig.cluster.known = {{"Exchange Event Service", "Exchange Group", key},
                         {"Exchange Agent", "Exchange Group", key}};
    rig.failover.connected();
    rig.failover.on_event(rig.event(Kind::group_moving_here));
    ASSERT_TRUE(rig.engine.frozen(0));
    // A resource without checkpoints comes online first: nothing thaws.
    rig.failover.on_event(ev(Kind::resource_online, "Exchange Group", "Exchange IP", "NODE1"));
    EXPECT_TRUE(rig.engine.frozen(0));
    EXPECT_EQ(rig.failover.counters().rechecks, 0u);
    // The service's own online: the agent's restore of the key is still to
    // come, so the key stays frozen.
    rig.failover.on_event(rig.event(Kind::resource_online));
    EXPECT_TRUE(rig.engine.frozen(0));
    EXPECT_EQ(rig.failover.frozen_groups(), std::vector<std::string>{"Exchange Group"});
    EXPECT_EQ(rig.failover.counters().rechecks, 0u);
    // The agent's online: thawed, and the key its restore wrote is checked.
    rig.registry.set(key, broken);
    rig.failover.on_event(ev(Kind::resource_online, "Exchange Group", "Exchange Agent", "NODE1"));
    EXPECT_FALSE(rig.engine.frozen(0));
    EXPECT_TRUE(rig.failover.frozen_groups().empty());
    EXPECT_EQ(rig.registry.sddl(key), fixed);
    EXPECT_EQ(rig.journal.entries.back().reason, "post_online");
    EXPECT_EQ(rig.failover.counters().rechecks, 1u);
    EXPECT_EQ(rig.alerts.count(EventId::checkpoint_rechecked), 1);
}

}  // namespace test_failover
}  // namespace permwatch
