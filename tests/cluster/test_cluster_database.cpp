// The cluster database adapter (service/cluster_database) and the
// watchdog's publishing, against the FAKE clusapi.dll: it stands in for the
// Cluster service's database (Wine has no Cluster service; its own
// clusapi.dll stubs the registry calls). The fake keeps the database in the
// simulator's state file, as the real one is replicated to every node.
//
// These tests need the fake's cluster registry functions (GetClusterKey,
// ClusterReg*) and owner enumerations, which come with the multi-node
// simulator; with a fake that lacks them
// they skip and say so. The same code is tested natively through
// FakeClusterView (tests/core/test_cluster_commands.cpp).
#include <gtest/gtest.h>

#include <windows.h>

#include <chrono>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/cluster/cluster_commands.hpp"
#include "core/cluster/node_summary.hpp"
#include "core/journal/journal.hpp"
#include "core/policy/config.hpp"
#include "service/clusapi_library.hpp"
#include "service/clusapi_types.hpp"
#include "service/cluster_database.hpp"
#include "service/log_alerts.hpp"
#include "service/watchdog.hpp"
#include "service/win32_error.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/core/cluster/node_summary_builders.hpp"
#include "tests/fakes/fake_ports.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_cluster_database {

using namespace std::chrono_literals;

const char* kGroup = "Exchange Group";

bool fake_has_cluster_database() {
    HMODULE h = LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!h) return false;
    const bool has =
        GetProcAddress(h, "GetClusterKey") && GetProcAddress(h, "ClusterRegSetValue") &&
        GetProcAddress(h, "ClusterGroupOpenEnum") && GetProcAddress(h, "GetClusterNodeState");
    FreeLibrary(h);
    return has;
}

NodeSummary summary(const std::string& node, KeyState state, const std::string& key) {
    NodeSummary s =
        summary_of(node, PERMWATCH_VERSION, format_utc(std::chrono::system_clock::now()));
    s.keys.push_back(checkpointed_key(key, state, "Exchange Event Service", kGroup));
    return s;
}

class ClusterDatabase : public WineKeyTest {
protected:
    void SetUp() override {
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        if (!fake_has_cluster_database()) {
            GTEST_SKIP() << "this fake clusapi.dll has no cluster registry functions (they come "
                            "with the multi-node simulator, branch cluster-sim)";
        }
        use_in_process_state_file();
        WineKeyTest::SetUp();
        account = current_user_sid();
        ASSERT_EQ(set_dacl(path, "D:(A;CI;KA;;;SY)(A;CI;KA;;;" + account + ")"), 0);
        const SimRun r =
            clussim({"setup", "--node", "NODE1", "--other-node", "NODE2", "--group", kGroup,
                     "--owner", "NODE2", "--resource", "Exchange Event Service", "--checkpoint",
                     path.substr(5), "--account", account});
        ASSERT_EQ(r.code, 0u) << r.out;
        setup_out = r.out;
    }
    void TearDown() override {
        if (watchdog) {
            watchdog->stop();
            thread.join();
            watchdog.reset();
        }
        if (std::filesystem::exists(exe_dir() / "clussim.exe")) clussim({"teardown"});
        WineKeyTest::TearDown();
    }

    void start(int sweep_interval_s) {
        nlohmann::json j = cluster_test_policy(path, account, temp_dir);
        j["sweep_interval_s"] = sweep_interval_s;
        auto loaded = load_config(j.dump());
        ASSERT_TRUE(loaded.config.has_value());
        auto logger = win::make_logger(true, {});
        logger->set_level(spdlog::level::warn);
        watchdog = std::make_unique<win::Watchdog>(*loaded.config, "test", logger, alerts);
        thread = std::thread([this] { watchdog->run(); });
    }
    nlohmann::ordered_json status() {
        std::promise<nlohmann::ordered_json> p;
        auto f = p.get_future();
        watchdog->post([&] { p.set_value(to_json(watchdog->status())); });
        return f.get();
    }

    int check(std::string& out) {
        win::Win32ClusterView view;
        std::ostringstream o, e;
        const int code = run_cluster_check(view, std::string(kGroup), /*json=*/true, o, e,
                                           std::chrono::system_clock::now());
        out = o.str() + e.str();
        return code;
    }

    template <class Pred>
    bool eventually(Pred pred, std::chrono::milliseconds limit = 30s) {
        return test::eventually(pred, limit);
    }

    std::string account;
    std::string setup_out;  // what clussim setup said (the resource's id among it)
    fakes::RecordingAlerts alerts;
    std::unique_ptr<win::Watchdog> watchdog;
    std::thread thread;
};

TEST_F(ClusterDatabase, AWrittenSummaryIsReadBackAndJudged) {
    win::Win32SummaryStore store;
    ASSERT_EQ(store.write("NODE1", serialize_summary(summary("NODE1", KeyState::compliant, path))),
              std::nullopt);
    win::Win32ClusterView view;
    std::string why;
    ASSERT_EQ(view.open(why), ClusterViewPort::Open::ok) << why;
    const auto nodes = view.nodes();
    ASSERT_EQ(nodes.size(), 2u);
    EXPECT_EQ(nodes[0].name, "NODE1");
    const PublishedText text = view.read_summary("NODE1");
    ASSERT_EQ(text.status, PublishedText::Status::found) << text.error;
    EXPECT_TRUE(parse_summary(text.text, "NODE1").summary);
    EXPECT_EQ(view.read_summary("NODE2").status, PublishedText::Status::none);

    // NODE2 has published nothing: not ready, and named.
    std::string out;
    EXPECT_EQ(check(out), 1) << out;
    EXPECT_NE(out.find("\"no summary\""), std::string::npos) << out;
    // NODE2 publishes a drifted key: named with the key.
    ASSERT_EQ(store.write("NODE2", serialize_summary(summary("NODE2", KeyState::drift, path))),
              std::nullopt);
    EXPECT_EQ(check(out), 1) << out;
    const auto doc = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1));
    ASSERT_EQ(doc["not_ready"].size(), 1u) << out;
    EXPECT_EQ(doc["not_ready"][0]["node"], "NODE2");
    EXPECT_EQ(doc["not_ready"][0]["key"], path);
    EXPECT_EQ(doc["not_ready"][0]["reason"], "drift");
    // Repaired there: ready.
    ASSERT_EQ(store.write("NODE2", serialize_summary(summary("NODE2", KeyState::repaired, path))),
              std::nullopt);
    EXPECT_EQ(check(out), 0) << out;
}

// Writes node's "Summary" value straight into the cluster database, as
// anyone who can write it could: through clusapi, not Win32SummaryStore.
void write_value(const std::wstring& node, DWORD type, const BYTE* data, DWORD size) {
    std::string why;
    const auto api = win::ClusapiLibrary::load(why);
    ASSERT_TRUE(api) << why;
    const win::ClusterObject cluster(api->OpenCluster(nullptr), {api->CloseCluster});
    ASSERT_TRUE(cluster);
    const win::ClusterKey root(api->GetClusterKey(cluster.get(), KEY_ALL_ACCESS),
                               {api->ClusterRegCloseKey});
    ASSERT_TRUE(root);
    HKEY raw = nullptr;
    DWORD disposition = 0;
    const std::wstring path = L"PermWatch\\Nodes\\" + node;
    ASSERT_EQ(api->ClusterRegCreateKey(root.get(), path.c_str(), 0, KEY_ALL_ACCESS, nullptr, &raw,
                                       &disposition),
              ERROR_SUCCESS);
    const win::ClusterKey key(raw, {api->ClusterRegCloseKey});
    ASSERT_EQ(api->ClusterRegSetValue(key.get(), win::kSummaryValue, type, data, size), 0u);
}

void write_text(const std::wstring& node, const std::wstring& text) {
    write_value(node, REG_SZ, reinterpret_cast<const BYTE*>(text.c_str()),
                static_cast<DWORD>((text.size() + 1) * sizeof(wchar_t)));
}

// Anyone who can write the cluster database can put anything there: a value
// that is not a string, or not a summary, is unreadable and not ready.
TEST_F(ClusterDatabase, AValueThatIsNotASummaryIsUnreadable) {
    const BYTE junk[] = {1, 2, 3, 4, 5};
    write_value(L"NODE1", REG_BINARY, junk, sizeof junk);
    write_text(L"NODE2", L"\x1b[2J{\"format\":1}");

    std::string out;
    EXPECT_EQ(check(out), 1) << out;
    const auto doc = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1));
    ASSERT_GE(doc["not_ready"].size(), 1u) << out;
    for (const auto& p : doc["not_ready"]) EXPECT_EQ(p["reason"], "unreadable") << out;
    EXPECT_EQ(out.find('\x1b'), std::string::npos) << "no escape character reaches the output";
}

// A summary whose text is not valid UTF-16 is refused, not repaired: with
// U+FFFD in place of the unpaired surrogate it would parse and be believed,
// and a fresh, compliant NODE2 would make the group "ready" (it did, before
// narrow() refused such text).
TEST_F(ClusterDatabase, ASummaryWithAnUnpairedSurrogateIsUnreadableNotReady) {
    win::Win32SummaryStore store;
    ASSERT_EQ(store.write("NODE1", serialize_summary(summary("NODE1", KeyState::compliant, path))),
              std::nullopt);
    const std::wstring good =
        win::widen(serialize_summary(summary("NODE2", KeyState::compliant, path)));
    const std::wstring version = L"\"version\":\"";
    const std::size_t at = good.find(version);
    ASSERT_NE(at, std::wstring::npos);
    std::wstring bad = good;
    bad.insert(at + version.size(), 1, static_cast<wchar_t>(0xD800));

    // First the same summary without the surrogate: ready, so what follows
    // is the surrogate's doing.
    write_text(L"NODE2", good);
    std::string out;
    EXPECT_EQ(check(out), 0) << out;
    write_text(L"NODE2", bad);

    EXPECT_EQ(check(out), 1) << out;
    const auto doc = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1));
    ASSERT_EQ(doc["ready"], false) << out;
    ASSERT_EQ(doc["not_ready"].size(), 1u) << out;
    EXPECT_EQ(doc["not_ready"][0]["node"], "NODE2") << out;
    EXPECT_EQ(doc["not_ready"][0]["reason"], "unreadable") << out;

    win::Win32ClusterView view;
    std::ostringstream o, e;
    run_cluster_status(view, /*json=*/true, o, e, std::chrono::system_clock::now());
    const std::string status = o.str() + e.str();
    EXPECT_EQ(status.find("\xEF\xBF\xBD"), std::string::npos) << "no U+FFFD: " << status;
    EXPECT_NE(status.find("NODE2"), std::string::npos) << status;
}

// check --cluster asks the cluster itself for the group's checkpoints, as
// the watchdog learns them: the control code, then this node's RegSync
// copy. Only when neither answers is the group not ready, on "this node".
TEST_F(ClusterDatabase, CheckpointsTheCheckingNodeCannotReadAreNotReady) {
    win::Win32SummaryStore store;
    for (const char* node : {"NODE1", "NODE2"}) {
        ASSERT_EQ(store.write(node, serialize_summary(summary(node, KeyState::compliant, path))),
                  std::nullopt);
    }
    std::string out;
    ASSERT_EQ(check(out), 0) << out;
    auto doc = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1));
    EXPECT_EQ(doc["groups"][0]["resources"][0], "Exchange Event Service") << out;
    EXPECT_EQ(doc["groups"][0]["cluster_checkpoints"], 1) << out;

    // The control code fails (error 1726): the RegSync copy clussim wrote answers.
    ASSERT_EQ(clussim({"checkpoint-control", "--mode", "fails"}).code, 0u);
    EXPECT_EQ(check(out), 0) << out;

    // Without the RegSync copy nothing answers. Setup said "resource '...' id
    // <id>: RegSync copy written to ...".
    const std::string tag = "' id ";
    const auto at = setup_out.find(tag);
    ASSERT_NE(at, std::string::npos) << setup_out;
    const auto end = setup_out.find(':', at);
    const std::wstring id = win::widen(setup_out.substr(at + tag.size(), end - at - tag.size()));
    HKEY resources = nullptr;
    ASSERT_EQ(RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Cluster\\Resources", 0,
                            KEY_ALL_ACCESS | KEY_WOW64_64KEY, &resources),
              ERROR_SUCCESS);
    EXPECT_EQ(RegDeleteTreeW(resources, id.c_str()), ERROR_SUCCESS) << win::narrow(id);
    RegCloseKey(resources);
    EXPECT_EQ(check(out), 1) << out;
    doc = nlohmann::json::parse(out.substr(0, out.rfind('}') + 1));
    ASSERT_EQ(doc["not_ready"].size(), 1u) << out;
    EXPECT_EQ(doc["not_ready"][0]["node"], "this node");
    EXPECT_EQ(doc["not_ready"][0]["reason"], "checkpoints unknown");
    EXPECT_EQ(doc["not_ready"][0]["resource"], "Exchange Event Service");
    EXPECT_NE(doc["not_ready"][0]["detail"].get<std::string>().find("(1726)"), std::string::npos)
        << out;
    EXPECT_TRUE(doc["groups"][0]["cluster_checkpoints"].is_null()) << out;
    ASSERT_EQ(clussim({"checkpoint-control", "--mode", "works"}).code, 0u);
}

// The watchdog publishes its summary when the cluster connects, and a clean
// stop marks it stopped.
TEST_F(ClusterDatabase, TheWatchdogPublishesAndMarksItselfStoppedOnAStop) {
    start(3600);
    win::Win32ClusterView view;
    std::string why;
    ASSERT_EQ(view.open(why), ClusterViewPort::Open::ok) << why;
    std::optional<NodeSummary> seen;
    ASSERT_TRUE(eventually([&] {
        const PublishedText t = view.read_summary("NODE1");
        if (t.status != PublishedText::Status::found) return false;
        seen = parse_summary(t.text, "NODE1").summary;
        return seen.has_value();
    }));
    EXPECT_FALSE(seen->stopped);
    EXPECT_EQ(seen->sweep_interval_s, 3600);
    ASSERT_EQ(seen->keys.size(), 1u);
    EXPECT_EQ(seen->keys[0].path, path);
    EXPECT_EQ(seen->keys[0].state, KeyState::compliant);
    EXPECT_TRUE(seen->keys[0].checkpointed);
    EXPECT_EQ(seen->keys[0].group, kGroup);

    watchdog->stop();
    thread.join();
    watchdog.reset();
    const PublishedText t = view.read_summary("NODE1");
    ASSERT_EQ(t.status, PublishedText::Status::found) << t.error;
    const auto last = parse_summary(t.text, "NODE1").summary;
    ASSERT_TRUE(last);
    EXPECT_TRUE(last->stopped);
}

// The publish rate: a sweep every second asks for a heartbeat every second,
// and at most one write goes out every 5 s. Over 16 s that is at most 4
// writes (one at the connection, then one per 5 s); a loaded machine only
// makes fewer. The numbers are printed for the record.
TEST_F(ClusterDatabase, ASweepEverySecondIsWrittenAtMostOnceEveryFiveSeconds) {
    start(1);
    ASSERT_TRUE(eventually([&] { return status()["publish"]["writes"].get<int>() >= 1; }))
        << status()["publish"].dump();
    const auto t0 = std::chrono::steady_clock::now();
    const int writes0 = status()["publish"]["writes"].get<int>();
    std::this_thread::sleep_for(16s);
    const auto p = status()["publish"];
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const int writes = p["writes"].get<int>() - writes0;
    std::cout << "publish over " << seconds << " s with a 1 s sweep: " << writes << " writes; "
              << p.dump() << "\n";
    EXPECT_LE(writes, static_cast<int>(seconds / 5) + 1);
    EXPECT_GE(p["requests"].get<int>(), p["published"].get<int>());
    EXPECT_EQ(p["failures"], 0) << p.dump();
}

}  // namespace test_cluster_database
}  // namespace permwatch::test
