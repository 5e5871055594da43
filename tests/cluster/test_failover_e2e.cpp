// The failover sequence end to end under Wine: the real watchdog (engine,
// registry adapter, watcher, cluster adapter) against the simulated cluster.
// clussim's restore step stands in for ClusSvc's: it fails, as event 1024
// does, when the key does not grant the checkpoint's account full control with
// CI, or when any other process holds a handle inside the checkpointed subtree
// (found by listing every process's key handles). The watcher's handles sit
// inside the subtree, so a restore only succeeds if PermWatch let go of them.
#include <gtest/gtest.h>

#include <windows.h>
// psapi.h needs windows.h first
#include <psapi.h>

#include <chrono>
#include <fstream>
#include <future>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/sddl.hpp"
#include "service/key_handle.hpp"
#include "service/log_alerts.hpp"
#include "service/watchdog.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/fakes/fake_ports.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace {

using namespace std::chrono_literals;

class FailoverE2E : public WineKeyTest {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(exe_dir() / "clussim.exe")) {
            GTEST_SKIP() << "needs clussim.exe and the fake clusapi.dll beside the test";
        }
        ASSERT_TRUE(system32_clusapi_is_fake())
            << "System32\\clusapi.dll is not the fake: set WINEDLLOVERRIDES=clusapi=n";
        static const std::wstring state =
            (std::filesystem::temp_directory_path() /
             ("permwatch-failover-e2e-" + std::to_string(GetCurrentProcessId()) + ".state"))
                .wstring();
        SetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_STATE", state.c_str());
        WineKeyTest::SetUp();
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
        WineKeyTest::TearDown();
    }
    void start() {
        nlohmann::json j = {{"version", 1},
                            {"sweep_interval_s", 3600},  // no sweep: only the failover may repair
                            {"debounce_ms", 0},
                            {"journal", (temp_dir / "journal.jsonl").string()},
                            // A pipe of its own: ctest runs the test executables side by side,
                            // and the service test serves the default name.
                            {"pipe", "permwatch-test-" + std::to_string(GetCurrentProcessId())},
                            {"keys",
                             {{{"path", path},
                               {"require",
                                {{{"principal", account},
                                  {"rights", {"KEY_ALL_ACCESS"}},
                                  {"inherit", {"container"}}},
                                 {{"principal", "SY"},
                                  {"rights", {"KEY_ALL_ACCESS"}},
                                  {"inherit", {"container"}}}}}}}}};
        auto loaded = load_config(j.dump());
        ASSERT_TRUE(loaded.config.has_value());
        logger = win::make_logger(true, {});
        logger->set_level(spdlog::level::warn);
        watchdog = std::make_unique<win::Watchdog>(*loaded.config, "test", logger, alerts);
        thread = std::thread([this] { watchdog->run(); });
        ASSERT_TRUE(eventually([&] { return status()["cluster"]["available"] == true; }));
    }
    void stop() {
        if (!watchdog) return;
        watchdog->stop();
        thread.join();
        watchdog.reset();
    }
    nlohmann::ordered_json status() {
        std::promise<nlohmann::ordered_json> p;
        auto f = p.get_future();
        watchdog->post([&] { p.set_value(watchdog->status()); });
        return f.get();
    }
    int alert_count(EventId id) {
        std::promise<int> p;
        auto f = p.get_future();
        watchdog->post([&] { p.set_value(alerts.count(id)); });
        return f.get();
    }
    template <class Pred>
    bool eventually(Pred pred, std::chrono::milliseconds limit = 15s) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            if (pred()) return true;
            std::this_thread::sleep_for(20ms);
        }
        return pred();
    }
    SimRun failover(const std::string& to = "NODE1") {
        return clussim({"failover", "--to", to, "--grace-ms", "300"});
    }
    // The group back to the other node, and this node's window closed.
    void move_away() {
        const SimRun r = clussim({"move-away", "--to", "NODE2"});
        ASSERT_EQ(r.code, 0u) << r.out;
    }

    std::string account, good, broken;
    fakes::RecordingAlerts alerts;
    std::shared_ptr<spdlog::logger> logger;
    std::unique_ptr<win::Watchdog> watchdog;
    std::thread thread;
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
    EXPECT_GT(win::KeyHandle::open_count(), 0);  // the watcher holds the key
    const SimRun r = failover();
    EXPECT_EQ(r.code, 0u) << r.out;
    EXPECT_EQ(parse_sddl(dacl_sddl(path)).dacl, parse_sddl(good).dacl);
    EXPECT_TRUE(eventually([&] { return alert_count(EventId::failover_prepared) >= 1; }));
    const auto s = status();
    EXPECT_EQ(s["cluster"]["failovers_prepared"], 1);
    EXPECT_EQ(s["cluster"]["node"], "NODE1");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["group"], "Exchange Group");
    EXPECT_EQ(s["keys"][0]["checkpoint"]["resource"], "Exchange Event Service");
    // After online the handles are back (the watcher re-armed).
    EXPECT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }));
    EXPECT_GE(alert_count(EventId::checkpoint_rechecked), 1);
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
    const long handles_before = win::KeyHandle::open_count();
    std::size_t ws_early = 0;
    std::mt19937 rng(1024);
    int failed = 0;
    const int rounds = 200;
    for (int i = 0; i < rounds; ++i) {
        if (rng() % 2) {
            ASSERT_EQ(set_dacl(path, broken), 0);
        }
        const SimRun r = clussim({"failover", "--to", "NODE1", "--grace-ms", "30"});
        if (r.code != 0) {
            ++failed;
            ADD_FAILURE() << "round " << i << ": " << r.out;
        }
        // Wait for the window to close (handles back) before the next move.
        ASSERT_TRUE(eventually([&] { return status()["cluster"]["handles_released"] == false; }))
            << "round " << i;
        move_away();
        if (i == 19) ws_early = working_set();  // after warm-up
    }
    EXPECT_EQ(failed, 0);
    // Flat: no growth per failover beyond noise (a leak of even 1 KiB per
    // failover would show as 180 KiB; allow 4 MiB for allocator slack).
    const std::size_t ws_late = working_set();
    RecordProperty("working_set_early_kib", static_cast<int>(ws_early / 1024));
    RecordProperty("working_set_late_kib", static_cast<int>(ws_late / 1024));
    EXPECT_GT(ws_early, 0u);
    EXPECT_LT(ws_late, ws_early + 4 * 1024 * 1024);
    EXPECT_EQ(status()["cluster"]["failovers_prepared"], rounds);
    EXPECT_TRUE(eventually([&] { return win::KeyHandle::open_count() == handles_before; }));
    RecordProperty("failovers", rounds);
}

}  // namespace
}  // namespace permwatch::test
