// The failover sequence end to end under Wine: the real watchdog (engine,
// registry adapter, watcher, cluster adapter) against the simulated cluster.
// clussim's restore step stands in for ClusSvc's: it fails, as event 1024
// does, when the key does not grant the checkpoint's account full control with
// CI, or when any other process holds a handle inside the checkpointed subtree
// (found by listing every process's key handles). PermWatch holds nothing
// inside the subtree at any time: the key is opened per check and watched
// from its parent, so even a restore that no notification announces in time
// (a crash failover, a restart on the owning node) finds no handle of its.
#include <gtest/gtest.h>

#include <windows.h>
// psapi.h needs windows.h first
#include <psapi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/security/sddl.hpp"
#include "service/key_handle.hpp"
#include "service/watchdog.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/cluster/watchdog_cluster_test.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_failover_e2e {

using namespace std::chrono_literals;

class FailoverE2E : public WatchdogClusterTest {
protected:
    FailoverE2E() : WatchdogClusterTest(15s) {}
    void SetUp() override {
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        static const std::wstring state =
            (std::filesystem::temp_directory_path() /
             ("permwatch-failover-e2e-" + std::to_string(GetCurrentProcessId()) + ".state"))
                .wstring();
        SetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_STATE", state.c_str());
        WatchdogClusterTest::SetUp();
        // The checkpoint lies one level below the test's own key, which is
        // where PermWatch's watch from above sits: tests running beside this
        // one write below PermWatchTest, and their changes would otherwise
        // reach this watch too (each a brief open of the key for a check).
        own_parent = path;
        path = own_parent + "\\Checkpointed";
        ASSERT_TRUE(create_key(path)) << path;
        account = current_user_sid();  // stands in for the Exchange service account
        good = "D:(A;CI;KA;;;SY)(A;CI;KA;;;" + account + ")";
        broken = "D:(A;CI;KA;;;SY)";
        ASSERT_EQ(set_dacl(path, good), 0);
        // The checkpoint saved on the active node holds the good DACL.
        const SimRun r =
            clussim({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group",
                     "Exchange Group", "--owner", "NODE2", "--resource", "Exchange Event Service",
                     "--checkpoint", path.substr(5), "--account", account});
        ASSERT_EQ(r.code, 0u) << r.out;
    }
    void TearDown() override {
        stop();
        clussim({"teardown"});
        if (!own_parent.empty()) path = own_parent;
        WatchdogClusterTest::TearDown();
    }
    // `extra`: config members that replace the defaults below.
    void start(const nlohmann::json& extra = nlohmann::json::object()) {
        nlohmann::json j = cluster_test_policy(path, account, temp_dir);
        j["sweep_interval_s"] = 3600;  // no sweep: only the failover may repair
        j["debounce_ms"] = 0;
        for (const auto& [name, value] : extra.items()) j[name] = value;
        run_watchdog(j);
    }
    SimRun failover(const std::string& to = "NODE1") {
        return clussim({"failover", "--to", to, "--grace-ms", "300"});
    }
    // The group back to the other node, and this node's window closed.
    void move_away() {
        const SimRun r = clussim({"move-away", "--to", "NODE2"});
        ASSERT_EQ(r.code, 0u) << r.out;
    }

    std::string own_parent;
    std::string account, good, broken;
};

TEST_F(FailoverE2E, WithoutPermWatchTheRestoreFailsAsInKbQ192493) {
    ASSERT_EQ(set_dacl(path, broken), 0);  // Setup's mistake, on the passive node
    const SimRun r = failover();
    EXPECT_EQ(r.code, 1u) << r.out;
    EXPECT_NE(r.out.find("could not be restored"), std::string::npos) << r.out;
}

TEST_F(FailoverE2E, SabotagedKeyIsRepairedBeforeTheRestoreAndTheRestoreSucceeds) {
    start();
    // Sabotaged while PermWatch runs: Wine gives no DACL notification and the
    // sweep is an hour away, so only the failover can find it in time.
    ASSERT_EQ(set_dacl(path, broken), 0);
    EXPECT_GT(win::open_key_handles(), 0);  // the watch on the parent, outside the subtree
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(parse_sddl(dacl_sddl(path)).dacl, parse_sddl(good).dacl);
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::failover_prepared) >= 1; }));
    const auto s = status();
    EXPECT_EQ(s["cluster"]["failovers_prepared"], 1);
    EXPECT_EQ(s["cluster"]["node"], "NODE1");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["group"], "Exchange Group");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["resource"], "Exchange Event Service");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["source"], "control code");
    // After online the handles are back (the watcher re-armed).
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
    EXPECT_GE(alert_count(EventId::checkpoint_rechecked), 1);
    // Once per failover: the group's owner, state and resource indications
    // are one prepare, one event 3000 and one step 3.
    EXPECT_EQ(alert_count(EventId::failover_prepared), 1);
    EXPECT_EQ(alert_count(EventId::checkpoint_rechecked), 1);
    EXPECT_EQ(status()["cluster"]["rechecks"], 1);
}

TEST_F(FailoverE2E, ARestoreThatWritesABrokenAclIsRepairedAfterOnline) {
    // The checkpoint itself was saved broken on the other node.
    clussim({"teardown"});
    const SimRun setup =
        clussim({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group", "Exchange Group",
                 "--owner", "NODE2", "--resource", "Exchange Event Service", "--checkpoint",
                 path.substr(5), "--account", "S-1-5-18", "--restore-dacl", broken});
    ASSERT_EQ(setup.code, 0u) << setup.out;
    start();
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;  // SYSTEM, the restore's own account, has access
    // The restore wrote the broken DACL without notifications; step 3 fixes it.
    EXPECT_TRUE(
        eventually([&] { return parse_sddl(dacl_sddl(path)).dacl == parse_sddl(good).dacl; }));
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::checkpoint_rechecked) >= 1; }));
}

TEST_F(FailoverE2E, ConnectionDroppedMidFailoverResyncsAndMissesNothing) {
    start();
    ASSERT_EQ(set_dacl(path, broken), 0);
    const SimRun drop = clussim({"drop-connection"});
    ASSERT_EQ(drop.code, 0u) << drop.out;
    // Resync: event 3002, every key checked (and repaired), subscription rebuilt.
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::cluster_resync) >= 1; }));
    EXPECT_TRUE(
        eventually([&] { return parse_sddl(dacl_sddl(path)).dacl == parse_sddl(good).dacl; }));
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["available"] == true; }));
    ASSERT_EQ(set_dacl(path, broken), 0);
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;
}

// The measured loss: the connection dropped as the group started
// moving here (its notifications lost) and the cluster could not be reached
// for 150 ms of the 500 ms grace. The resync must find the move, repair, and
// let go of every handle before the restore.
TEST_F(FailoverE2E, ReconnectDuringAFailoverPreparesItBeforeReopeningAnything) {
    start();
    ASSERT_EQ(set_dacl(path, broken), 0);
    const SimRun r = clussim(
        {"failover", "--to", "NODE1", "--grace-ms", "500", "--drop-at-start", "--down-ms", "150"});
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(parse_sddl(dacl_sddl(path)).dacl, parse_sddl(good).dacl);
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::cluster_resync) >= 1; }));
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
    EXPECT_EQ(alert_count(EventId::failover_prepared), 1);
}

// While frozen, nothing in PermWatch opens the key: a sweep every second, a
// pipe "check" and a reload all fall inside the 2.5 s window, and the
// restore's witness (every process's key handles) still finds none.
TEST_F(FailoverE2E, SweepCheckAndReloadDuringTheWindowDoNotOpenTheKey) {
    start({{"sweep_interval_s", 1}});
    ASSERT_EQ(set_dacl(path, broken), 0);
    auto restore = std::async(std::launch::async, [&] {
        return clussim({"failover", "--to", "NODE1", "--grace-ms", "2500"});
    });
    ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == true; }));
    std::promise<void> done;
    watchdog->post([&] {
        watchdog->check_now();
        watchdog->reload();  // "test" is no file: rejected, the policy stays
        done.set_value();
    });
    done.get_future().get();
    const SimRun r = restore.get();
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_GE(status()["counters"]["deferred"].get<int>(), 2);
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
}

TEST_F(FailoverE2E, AGroupLeftPendingThawsAfterTheTimeoutWithEvent3003) {
    start({{"failover_timeout_s", 1}});
    const SimRun r = clussim({"failover", "--to", "NODE1", "--no-restore"});
    ASSERT_EQ(r.code, 0u) << r.out;
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == true; }));
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::failover_timed_out) == 1; }));
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
    EXPECT_EQ(status()["cluster"]["timeouts"], 1);
    EXPECT_FALSE(status()["keys"][0]["frozen"].get<bool>());
}

TEST_F(FailoverE2E, AGroupThatGoesToAnotherNodeEndsTheFreeze) {
    start();  // failover_timeout_s 120: only the move away can end it in time
    const SimRun r = clussim({"failover", "--to", "NODE1", "--no-restore"});
    ASSERT_EQ(r.code, 0u) << r.out;
    ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == true; }));
    move_away();
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
    EXPECT_EQ(alert_count(EventId::failover_timed_out), 0);
    EXPECT_GT(win::open_key_handles(), 0);  // the watch from above stays throughout
}

// Two threads that spin until destroyed: the "two busy loops on the cores"
// under which a slow PermWatch once lost restores it had no part in.
class BusyLoops {
public:
    BusyLoops() {
        for (auto& t : threads_) {
            t = std::thread([this] {
                while (!stop_.load(std::memory_order_relaxed)) {
                }
            });
        }
    }
    ~BusyLoops() {
        stop_ = true;
        for (auto& t : threads_) t.join();
    }

private:
    std::atomic<bool> stop_{false};
    std::thread threads_[2];
};

// Rounds of a test that scripts/bench.sh --quick runs longer: `name` from the
// environment, else `fallback`.
int rounds_from_env(const char* name, int fallback) {
    const char* text = std::getenv(name);
    const int n = text ? std::atoi(text) : 0;
    return n > 0 ? n : fallback;
}

// The parent of the checkpointed key, relative to HKLM: where the watch sits.
std::string parent_subkey(const std::string& path) { return path.substr(5, path.rfind('\\') - 5); }

TEST_F(FailoverE2E, NothingIsHeldInsideTheCheckpointAndItsParentIsWatched) {
    start();
    const auto s = status();
    EXPECT_FALSE(s["keys"][0]["held_open"].get<bool>());
    EXPECT_EQ(s["keys"][0]["watch"],
              "from HKLM\\" + parent_subkey(path) + " (checkpoint " + path + ")");
    const SimRun inside = clussim({"handles", "--key", path.substr(5)});
    EXPECT_NE(inside.out.find(" 0 handle(s) inside"), std::string::npos) << inside.out;
    const SimRun parent = clussim({"handles", "--key", parent_subkey(path)});
    EXPECT_EQ(parent.out.find(" 0 handle(s) inside"), std::string::npos) << parent.out;
}

// A crash failover: the owner node fails and the restore runs at once, before
// any notification reaches PermWatch (clussim --crash restores first, then
// posts the move); both cores busy. The key is compliant all along: only
// PermWatch's own handles could fail it. A PermWatch that holds the key and
// lets go when told of the move loses every round.
TEST_F(FailoverE2E, CrashFailoversWithNoGraceNeverFailOnAKeyThatWasRight) {
    start({{"sweep_interval_s", 1}});
    const BusyLoops busy;
    int failed = 0;
    const int rounds = rounds_from_env("PERMWATCH_CRASH_ROUNDS", 20);
    for (int i = 0; i < rounds; ++i) {
        const SimRun r = clussim({"failover", "--to", "NODE1", "--crash"});
        if (r.code != 0) {
            ++failed;
            ADD_FAILURE() << "round " << i << ": " << r.out;
        }
        ASSERT_TRUE(
            eventually([&] { return status()["cluster"]["handles_released"] == false; }, 60s))
            << "round " << i;
        move_away();
    }
    EXPECT_EQ(failed, 0);
    std::cout << "[ info ] crash failovers with no grace: " << rounds << " rounds, " << failed
              << " restores lost\n";
}

// A restart of the resource on the node that owns it: offline, online, the
// restore at once (before its notifications are posted), no owner change.
TEST_F(FailoverE2E, RestartsOnTheOwningNodeRestoreAtOnce) {
    clussim({"teardown"});
    const SimRun setup =
        clussim({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group", "Exchange Group",
                 "--owner", "NODE1", "--resource", "Exchange Event Service", "--checkpoint",
                 path.substr(5), "--account", account});
    ASSERT_EQ(setup.code, 0u) << setup.out;
    start({{"sweep_interval_s", 1}});
    const BusyLoops busy;
    for (int i = 0; i < 10; ++i) {
        const SimRun r = clussim({"restart"});
        EXPECT_EQ(r.code, 0u) << "round " << i << ": " << r.out;
        ASSERT_TRUE(
            eventually([&] { return status()["cluster"]["handles_released"] == false; }, 60s))
            << "round " << i;
    }
}

// While the group is elsewhere, the witness scans every 50 ms for 4 s while
// the sweep (every second) and change notifications keep PermWatch busy with
// the key: no scan finds a handle of PermWatch's inside the subtree.
TEST_F(FailoverE2E, TheWitnessFindsNothingHeldWhileTheGroupIsElsewhere) {
    start({{"sweep_interval_s", 1}});
    auto witness = std::async(std::launch::async, [&] {
        return clussim(
            {"handles", "--key", path.substr(5), "--watch-ms", "4000", "--every-ms", "50"});
    });
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE(set_value(path, L"Counter", static_cast<DWORD>(i)));  // a notification
        std::this_thread::sleep_for(150ms);
    }
    const SimRun r = witness.get();
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_NE(r.out.find("with handles"), std::string::npos) << r.out;  // it really scanned
    EXPECT_GE(status()["counters"]["notifications"].get<int>(), 1);     // the parent's watch fired
}

// Sabotaged while passive (Wine signals no DACL change: the 1 s sweep finds
// it), right again well before the next crash failover, which then succeeds.
TEST_F(FailoverE2E, AKeySabotagedWhilePassiveIsRightBeforeTheNextCrash) {
    // Every round is a repair: no flapping back-off may stop the bench's 100.
    start({{"sweep_interval_s", 1},
           {"flapping", {{"max_repairs", 100000}, {"window_s", 1}, {"backoff_s", 1}}}});
    const BusyLoops busy;
    std::vector<double> repaired_ms;
    const int rounds = rounds_from_env("PERMWATCH_SABOTAGE_ROUNDS", 3);
    for (int i = 0; i < rounds; ++i) {
        ASSERT_EQ(set_dacl(path, broken), 0);
        const auto t0 = std::chrono::steady_clock::now();
        // Polled every 5 ms: the figure's resolution.
        ASSERT_TRUE(test::eventually(
            [&] { return parse_sddl(dacl_sddl(path)).dacl == parse_sddl(good).dacl; }, 30s, 5ms))
            << "round " << i;
        repaired_ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
        const SimRun r = clussim({"failover", "--to", "NODE1", "--crash"});
        EXPECT_EQ(r.code, 0u) << "round " << i << ": " << r.out;
        ASSERT_TRUE(
            eventually([&] { return status()["cluster"]["handles_released"] == false; }, 60s));
        move_away();
    }
    std::sort(repaired_ms.begin(), repaired_ms.end());
    std::cout << "[ info ] sabotage while passive to repaired, sweep every 1000 ms: p50 "
              << repaired_ms[repaired_ms.size() / 2] << " ms, p99 "
              << repaired_ms[repaired_ms.size() * 99 / 100] << " ms over " << repaired_ms.size()
              << " rounds\n";
}

// The RegSync fallback: CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS fails (the fake
// answers 1726), so the checkpoint is known only from this node's copy of the
// cluster database, HKLM\Cluster\Resources\<id>\RegSync, which clussim
// wrote as ClusSvc would. `status` says where it came from, and the failover
// is still prepared: the key is repaired before the simulated restore.
TEST_F(FailoverE2E, WhenTheControlCodeFailsRegSyncStillPreparesTheFailover) {
    const SimRun fails = clussim({"checkpoint-control", "--mode", "fails"});
    ASSERT_EQ(fails.code, 0u) << fails.out;
    start();
    auto s = status();
    EXPECT_EQ(s["keys"][0]["checkpoint"]["resource"], "Exchange Event Service");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["group"], "Exchange Group");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["source"], "RegSync");
    ASSERT_EQ(set_dacl(path, broken), 0);
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(parse_sddl(dacl_sddl(path)).dacl, parse_sddl(good).dacl);
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::failover_prepared) >= 1; }));
    EXPECT_EQ(status()["cluster"]["failovers_prepared"], 1);
}

// The slow and failing disk: run with tests/shims/fsync_shim.c preloaded
// (the ctest entry cluster_tests_slow_disk), which stands in for a disk whose
// flush stalls or fails; Wine's FlushFileBuffers calls fsync in this process.
class SlowDisk : public FailoverE2E {
protected:
    void SetUp() override {
        const char* control = std::getenv("PERMWATCH_FSYNC_SHIM");
        if (!control) GTEST_SKIP() << "run through ctest: needs tests/shims/fsync_shim.c preloaded";
        control_ = control;
        std::filesystem::remove(control_ + ".log");
        FailoverE2E::SetUp();
    }
    void TearDown() override {
        FailoverE2E::TearDown();
        shim("delay_ms=0 fail=0");
    }
    // The control file is a Linux path: write it with Linux's view of it.
    void shim(const std::string& what) { std::ofstream(unix_path(control_)) << what << "\n"; }
    int shim_calls() {
        std::ifstream log(unix_path(control_ + ".log"));
        int n = 0;
        for (std::string line; std::getline(log, line);) ++n;
        return n;
    }
    // Wine maps the Linux root to drive Z:.
    static std::string unix_path(const std::string& linux_path) { return "Z:" + linux_path; }
    std::string control_;
};

TEST_F(SlowDisk, EveryRestoreSucceedsWhileEachJournalFlushTakesTwoSeconds) {
    shim("delay_ms=2000");
    start();
    int seen_unflushed = 0;
    for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(set_dacl(path, broken), 0);
        const SimRun r = failover();  // 300 ms grace, far less than one flush
        EXPECT_EQ(r.code, 0u) << "round " << i << ": " << r.out;
        if (status()["journal"]["unflushed"].get<int>() > 0) ++seen_unflushed;
        ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
        move_away();
    }
    EXPECT_GT(seen_unflushed, 0);  // the repairs really did not wait for the disk
    EXPECT_GE(status()["journal"]["last_flush_ms"].get<double>(), 1000.0);
    // A stop waits for the last flush: lines still unflushed now are on disk
    // (the shim logged their fsync) once stop() has returned.
    ASSERT_EQ(set_dacl(path, broken), 0);
    ASSERT_EQ(failover().code, 0u);
    ASSERT_GT(status()["journal"]["unflushed"].get<int>(), 0);
    const int calls = shim_calls();
    stop();
    EXPECT_GT(shim_calls(), calls);
}

TEST_F(SlowDisk, AFailedFlushRaisesEvent2004AndIsRetriedUntilItLands) {
    shim("fail=1");
    start();
    ASSERT_EQ(set_dacl(path, broken), 0);
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;  // the repair did not wait for the failing disk
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::journal_flush_failed) >= 1; }));
    auto journal = status()["journal"];
    EXPECT_GE(journal["flush_failures"].get<int>(), 1);
    EXPECT_GE(journal["unflushed"].get<int>(), 1);
    EXPECT_FALSE(journal["last_flush_error"].is_null());
    shim("fail=0");  // the disk is back: the retry lands
    EXPECT_TRUE(eventually([&] { return status()["journal"]["unflushed"] == 0; }));
    EXPECT_TRUE(status()["journal"]["last_flush_error"].is_null());
}

// Soak: failovers back and forth, the key sabotaged at random points; no
// restore may fail, and PermWatch's own count of open key handles stays flat
// (Wine's GetProcessHandleCount reports 0, so it cannot serve).
std::size_t working_set() {
    PROCESS_MEMORY_COUNTERS pmc{};
    GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof pmc);
    return pmc.WorkingSetSize;
}

TEST_F(FailoverE2E, SoakOfFailoversBackAndForth) {
    start();
    const long handles_before = win::open_key_handles();
    std::size_t ws_early = 0;
    std::mt19937 rng(1024);
    std::vector<double> prepare_ms;  // first indication -> repaired and released
    int failed = 0;
    const int rounds = 100;
    for (int i = 0; i < rounds; ++i) {
        if (rng() % 2) {
            ASSERT_EQ(set_dacl(path, broken), 0);
        }
        // clussim's default 500 ms grace: the fake's notify port polls every
        // 10 ms, ctest runs another Wine test beside this one and the cores
        // may be busy. At 30 ms the issue lost 4 of 200 restores under
        // ctest -j2; at 150 ms 1 of 200 was lost here with two busy loops
        // and two compilers on the 2 cores (docs/testing.md (j)).
        const SimRun r = clussim({"failover", "--to", "NODE1", "--grace-ms", "500"});
        if (r.code != 0) {
            ++failed;
            ADD_FAILURE() << "round " << i << ": " << r.out;
        }
        // Wait for the window to close (handles back) before the next move.
        ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }))
            << "round " << i;
        prepare_ms.push_back(status()["cluster"]["last_prepare_ms"].get<double>());
        move_away();
        if (i == 19) ws_early = working_set();  // after warm-up
    }
    EXPECT_EQ(failed, 0);
    // Flat: no growth per failover beyond noise (a leak of even 1 KiB per
    // failover would show as 80 KiB; allow 4 MiB for allocator slack).
    const std::size_t ws_late = working_set();
    RecordProperty("working_set_early_kib", static_cast<int>(ws_early / 1024));
    RecordProperty("working_set_late_kib", static_cast<int>(ws_late / 1024));
    EXPECT_GT(ws_early, 0u);
    EXPECT_LT(ws_late, ws_early + 4 * 1024 * 1024);
    EXPECT_EQ(status()["cluster"]["failovers_prepared"], rounds);
    EXPECT_TRUE(eventually([&] { return win::open_key_handles() == handles_before; }));
    RecordProperty("failovers", rounds);
    std::sort(prepare_ms.begin(), prepare_ms.end());
    std::cout << "[ info ] prepare, first indication to repaired and released: p50 "
              << prepare_ms[prepare_ms.size() / 2] << " ms, p99 "
              << prepare_ms[prepare_ms.size() * 99 / 100] << " ms, max " << prepare_ms.back()
              << " ms over " << prepare_ms.size() << " failovers\n";
}

}  // namespace test_failover_e2e
}  // namespace permwatch::test
