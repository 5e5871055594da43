// Win32Cluster (service/cluster_adapter) against the FAKE clusapi.dll and
// clussim.exe of tests/fakes. The simulator stands in for a Windows Server
// failover cluster: Wine has no Cluster service and its clusapi.dll has no
// notification functions, and CI cannot run a cluster. clussim does what
// ClusSvc does at a failover (owner change, group pending, resource online
// pending, the registry checkpoint restore after a grace time, online or
// failed with event 1024), and its restore step checks what the real restore
// needs: the key grants the service account KEY_ALL_ACCESS (CI), and no other
// process holds a key inside the subtree (witness: the system handle list).
//
// Runs in cluster_tests (tests/fakes/CMakeLists.txt), with WINEDLLOVERRIDES=
// clusapi=n and the fake copied into System32 (fake_clusapi_environment.cpp):
// PermWatch loads clusapi.dll from System32 only.
#include <windows.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/common/foreign_sizes.hpp"

#include "service/cluster_adapter.hpp"
#include "service/win32_error.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_cluster_adapter {

using Kind = ClusterEvent::Kind;

// Events from the adapter's thread, waited for with a generous bound.
class Events {
public:
    void push(const ClusterEvent& e) {
        std::lock_guard lock(m_);
        list_.push_back(e);
        cv_.notify_all();
    }
    bool wait_for(Kind kind, std::chrono::seconds timeout = std::chrono::seconds(20)) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, timeout, [&] {
            for (const auto& e : list_)
                if (e.kind == kind) return true;
            return false;
        });
    }
    std::vector<ClusterEvent> all() {
        std::lock_guard lock(m_);
        return list_;
    }
    std::vector<Kind> kinds() {
        std::vector<Kind> out;
        for (const auto& e : all()) out.push_back(e.kind);
        return out;
    }
    void clear() {
        std::lock_guard lock(m_);
        list_.clear();
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<ClusterEvent> list_;
};

const char* kGroup = "Exchange Group";
const char* kResource = "Exchange Event Service";

class Cluster : public WineKeyTest {
protected:
    void SetUp() override {
        dir = exe_dir();
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        use_in_process_state_file();
        WineKeyTest::SetUp();
        checkpoint = path.substr(5);  // relative to HKLM
        account = current_user_sid();
        ASSERT_FALSE(account.empty());
        ASSERT_EQ(set_dacl(path, "D:(A;CI;KA;;;" + account + ")(A;CI;KA;;;SY)"), 0);
    }
    void TearDown() override {
        if (adapter) adapter->disconnect();
        if (!dir.empty() && std::filesystem::exists(dir / "clussim.exe")) clussim({"teardown"});
        WineKeyTest::TearDown();
    }

    SimRun setup(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"setup",    "--node",     "NODE1",   "--group",
                                         kGroup,     "--resource", kResource, "--checkpoint",
                                         checkpoint, "--account",  account};
        args.insert(args.end(), extra.begin(), extra.end());
        SimRun r = clussim(args);
        EXPECT_EQ(r.code, 0u) << r.out;
        return r;
    }

    // A new adapter whose error reports (on_error) are kept in `reports`.
    void make_reporting_adapter() {
        adapter = std::make_unique<win::Win32Cluster>();
        adapter->on_error([this](const std::string& line) {
            std::lock_guard lock(reports_mutex);
            reports.push_back(line);
        });
    }
    std::vector<std::string> reports;
    std::mutex reports_mutex;

    bool connect() {
        adapter = std::make_unique<win::Win32Cluster>();
        return adapter->connect([this](const ClusterEvent& e) { events.push(e); });
    }

    // The kinds of a failover here, in the order they came (others dropped).
    std::vector<Kind> failover_kinds() {
        std::vector<Kind> out;
        for (Kind k : events.kinds())
            if (k == Kind::group_moving_here || k == Kind::resource_online_pending ||
                k == Kind::resource_online || k == Kind::resource_failed)
                out.push_back(k);
        return out;
    }

    void expect_failover_events() {
        const SimRun r = clussim({"failover", "--to", "NODE1", "--grace-ms", "100"});
        EXPECT_EQ(r.code, 0u) << r.out;
        ASSERT_TRUE(events.wait_for(Kind::resource_online)) << r.out;
        EXPECT_EQ(failover_kinds(),
                  (std::vector<Kind>{Kind::group_moving_here, Kind::resource_online_pending,
                                     Kind::resource_online}));
        for (const auto& e : events.all()) {
            EXPECT_EQ(e.group, kGroup);
            EXPECT_EQ(e.node, "NODE1");
            if (e.kind != Kind::group_moving_here) {
                EXPECT_EQ(e.resource, kResource);
            }
        }
    }

    std::filesystem::path dir;
    std::string checkpoint;
    std::string account;
    Events events;
    std::unique_ptr<win::Win32Cluster> adapter;
};

TEST_F(Cluster, StandaloneWhenNoClusterRuns) {
    clussim({"teardown"});
    ASSERT_FALSE(connect());
    EXPECT_FALSE(adapter->available());
    EXPECT_NE(adapter->why_unavailable().find("not running"), std::string::npos)
        << adapter->why_unavailable();
    EXPECT_TRUE(adapter->checkpoints().empty());
}

// A clusapi.dll planted beside the exe (the working directory of a service
// is System32, but PATH and the exe's folder are searched by LoadLibraryW)
// is never loaded: with System32's removed, connecting fails.
TEST_F(Cluster, NeverLoadsAClusapiFromOutsideSystem32) {
    setup();
    const auto planted = dir / "clusapi.dll";  // the fake, beside this exe
    ASSERT_TRUE(std::filesystem::exists(planted));
    const auto target = system32() / "clusapi.dll";
    const auto aside = system32() / "clusapi.dll.aside";
    ASSERT_TRUE(MoveFileExW(target.c_str(), aside.c_str(), MOVEFILE_REPLACE_EXISTING));
    const bool connected = connect();
    const std::string why = adapter->why_unavailable();
    adapter.reset();
    ASSERT_TRUE(MoveFileExW(aside.c_str(), target.c_str(), MOVEFILE_REPLACE_EXISTING));
    EXPECT_FALSE(connected);
    EXPECT_NE(why.find("loading clusapi.dll from the system folder"), std::string::npos) << why;
}

TEST_F(Cluster, ConnectLearnsNodeAndClusterName) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    EXPECT_TRUE(adapter->available());
    EXPECT_EQ(adapter->node_name(), "NODE1");
    EXPECT_EQ(adapter->cluster_name(), "PWCLUSTER");
    EXPECT_EQ(adapter->notify_api(), "V2");
}

TEST_F(Cluster, DiscoversCheckpointWithResourceAndGroup) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    EXPECT_EQ(adapter->checkpoints(), (std::vector<Checkpoint>{{kResource, kGroup, path}}));
}

TEST_F(Cluster, FailoverGivesMovingHereThenOnlinePendingThenOnline) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    expect_failover_events();
}

TEST_F(Cluster, V1FallbackGivesTheSameEvents) {
    setup();
    // The V1-only fake takes System32's place for this test.
    ASSERT_EQ(put_fake_in_system32(dir / "clusapi_v1" / "clusapi.dll"), 0u);
    const bool connected = connect();
    const std::string api = connected ? adapter->notify_api() : "";
    if (connected) expect_failover_events();
    adapter.reset();
    ASSERT_EQ(put_fake_in_system32(dir / "clusapi.dll"), 0u);
    ASSERT_TRUE(connected);
    EXPECT_EQ(api, "V1");
}

TEST_F(Cluster, DroppedConnectionIsLostThenReconnects) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    EXPECT_EQ(clussim({"drop-connection"}).code, 0u);
    ASSERT_TRUE(events.wait_for(Kind::connection_lost));
    EXPECT_FALSE(adapter->available());

    events.clear();
    ASSERT_TRUE(adapter->connect([this](const ClusterEvent& e) { events.push(e); }));
    EXPECT_TRUE(adapter->available());
    EXPECT_EQ(clussim({"drop-connection", "--reconnect"}).code, 0u);
    ASSERT_TRUE(events.wait_for(Kind::connection_lost));
    EXPECT_FALSE(adapter->available());
}

TEST_F(Cluster, ResourceAddedAndDeletedAreRediscovered) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    const std::string second = path + "\\Second";
    ASSERT_TRUE(create_key(second));
    const SimRun add = clussim({"add-resource", "--resource", "Second Service", "--group", kGroup,
                                "--checkpoint", second.substr(5), "--account", account});
    ASSERT_EQ(add.code, 0u) << add.out;
    ASSERT_TRUE(events.wait_for(Kind::resources_changed));
    EXPECT_EQ(
        adapter->checkpoints(),
        (std::vector<Checkpoint>{{kResource, kGroup, path}, {"Second Service", kGroup, second}}));

    events.clear();
    ASSERT_EQ(clussim({"delete-resource", "--resource", "Second Service"}).code, 0u);
    ASSERT_TRUE(events.wait_for(Kind::resources_changed));
    EXPECT_EQ(adapter->checkpoints(), (std::vector<Checkpoint>{{kResource, kGroup, path}}));
}

// The largest buffer the adapter offered the fake since the last call.
ULONGLONG largest_offer(const SimRun& r) {
    const std::string tag = "largest buffer offered: ";
    const auto at = r.out.find(tag);
    return at == std::string::npos ? ~0ull : std::stoull(r.out.substr(at + tag.size()));
}

// A clusapi.dll that asks for absurd buffers (64 MiB for a
// name, a checkpoint list or a notification) is not followed: nothing is
// offered beyond PermWatch's caps (1 MiB for payloads, 4096 characters for
// names), each refusal is reported, an unreadable notification ends the
// session as a lost connection (the engine resyncs), and nothing ends the
// process. The fake records every buffer it is offered.
TEST_F(Cluster, HostileSizesAreNotFollowed) {
    setup();
    make_reporting_adapter();
    ASSERT_EQ(clussim({"hostile", "--mode", "sizes"}).code, 0u);
    ASSERT_TRUE(adapter->connect([this](const ClusterEvent& e) { events.push(e); }))
        << adapter->why_unavailable();
    EXPECT_TRUE(adapter->checkpoints().empty());  // the answers could not be read
    // Not taken for "no checkpoints": the resources could not be listed, so
    // every resource's checkpoints are unknown.
    const std::vector<UnreadCheckpoints> unread = adapter->unread_checkpoints();
    ASSERT_EQ(unread.size(), 1u);
    EXPECT_EQ(unread[0].resource, "*");
    EXPECT_EQ(unread[0].group, "");
    EXPECT_NE(unread[0].why.find("ClusterEnum asked for a name of 33554432 characters"),
              std::string::npos)
        << unread[0].why;
    // The notification thread asks, is told "64 MiB", gives up: a lost connection.
    ASSERT_TRUE(events.wait_for(Kind::connection_lost));
    const SimRun hostile = clussim({"hostile", "--mode", "off"});
    ASSERT_EQ(hostile.code, 0u) << hostile.out;
    const ULONGLONG offered = largest_offer(hostile);
    RecordProperty("largest_offer_bytes", std::to_string(offered));
    EXPECT_LE(offered, kMaxForeignPayloadBytes + 4) << hostile.out;
    {
        std::lock_guard lock(reports_mutex);
        auto said = [&](const std::string& what) {
            return std::any_of(reports.begin(), reports.end(), [&](const std::string& r) {
                return r.find(what) != std::string::npos;
            });
        };
        EXPECT_TRUE(said("ClusterEnum asked for a name of 33554432 characters"));
        EXPECT_TRUE(said("GetClusterNotifyV2 asked for 67108864 bytes"));
    }
    // Sane again: the same adapter reconnects and discovers the checkpoint.
    ASSERT_TRUE(adapter->connect([this](const ClusterEvent& e) { events.push(e); }))
        << adapter->why_unavailable();
    EXPECT_EQ(adapter->checkpoints(), (std::vector<Checkpoint>{{kResource, kGroup, path}}));
    EXPECT_TRUE(adapter->unread_checkpoints().empty());
}

// The engine's callback throwing on the notification thread
// (in the service: a post to the watchdog that fails) does not end the
// process: the thread reports it and ends the session as a lost connection.
TEST_F(Cluster, ACallbackThatThrowsEndsTheSessionNotTheProcess) {
    setup();
    make_reporting_adapter();
    ASSERT_TRUE(adapter->connect([this](const ClusterEvent& e) {
        events.push(e);
        if (e.kind == Kind::group_moving_here) throw std::runtime_error("engine unavailable");
    })) << adapter->why_unavailable();
    const SimRun r = clussim({"failover", "--to", "NODE1", "--grace-ms", "100"});
    EXPECT_EQ(r.code, 0u) << r.out;
    ASSERT_TRUE(events.wait_for(Kind::connection_lost)) << r.out;
    EXPECT_FALSE(adapter->available());
    std::lock_guard lock(reports_mutex);
    ASSERT_FALSE(reports.empty());
    EXPECT_NE(reports[0].find("engine unavailable"), std::string::npos) << reports[0];
}

TEST_F(Cluster, RestoreFailsWhileAHandleIsOpenInsideTheSubtree) {
    setup();
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    ASSERT_TRUE(create_key(path + "\\Sub"));
    HKEY held = nullptr;
    ASSERT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(path + "\\Sub").c_str(), 0,
                            KEY_READ | KEY_WOW64_64KEY, &held),
              ERROR_SUCCESS);
    const SimRun failed = clussim({"failover", "--to", "NODE1", "--grace-ms", "50"});
    std::fputs(failed.out.c_str(), stdout);  // the simulator's story, for the log
    EXPECT_EQ(failed.code, 1u) << failed.out;
    EXPECT_NE(failed.out.find("event 1024: The registry checkpoint for cluster resource '" +
                              std::string(kResource) + "' could not be restored"),
              std::string::npos)
        << failed.out;
    EXPECT_NE(failed.out.find("handle(s) are open inside the subtree"), std::string::npos)
        << failed.out;
    EXPECT_NE(failed.out.find("\\Sub"), std::string::npos) << failed.out;  // the witness line
    ASSERT_TRUE(events.wait_for(Kind::resource_failed));

    RegCloseKey(held);
    ASSERT_EQ(clussim({"move-away"}).code, 0u);
    const SimRun ok = clussim({"failover", "--to", "NODE1", "--grace-ms", "50"});
    EXPECT_EQ(ok.code, 0u) << ok.out;
    EXPECT_NE(ok.out.find("witness: no other process holds a key"), std::string::npos) << ok.out;
    ASSERT_TRUE(events.wait_for(Kind::resource_online));
}

TEST_F(Cluster, RestoreFailsWhenTheDaclLacksTheAccount) {
    ASSERT_EQ(set_dacl(path, "D:(A;CI;KR;;;" + account + ")(A;CI;KA;;;SY)"), 0);
    setup();
    const SimRun failed = clussim({"failover", "--to", "NODE1", "--grace-ms", "0"});
    EXPECT_EQ(failed.code, 1u) << failed.out;
    EXPECT_NE(failed.out.find("does not grant KEY_ALL_ACCESS with CI to " + account),
              std::string::npos)
        << failed.out;

    ASSERT_EQ(set_dacl(path, "D:(A;CI;KA;;;" + account + ")"), 0);
    ASSERT_EQ(clussim({"move-away"}).code, 0u);
    const SimRun ok = clussim({"failover", "--to", "NODE1", "--grace-ms", "0"});
    EXPECT_EQ(ok.code, 0u) << ok.out;
}

TEST_F(Cluster, RestoreRewritesTheKeyWithTheCheckpointDacl) {
    // A checkpoint saved with a broken ACL: the restore writes it back over a
    // key that was right (what PermWatch must re-check after resource online).
    setup({"--restore-dacl", "D:(A;CI;KR;;;BU)(A;CI;KA;;;" + account + ")"});
    ASSERT_TRUE(connect()) << adapter->why_unavailable();
    const SimRun ok = clussim({"failover", "--to", "NODE1", "--grace-ms", "0"});
    EXPECT_EQ(ok.code, 0u) << ok.out;
    ASSERT_TRUE(events.wait_for(Kind::resource_online));
    EXPECT_EQ(dacl_sddl(path), "D:(A;CI;KR;;;BU)(A;CI;KA;;;" + account + ")");
}

}  // namespace test_cluster_adapter
}  // namespace permwatch::test
