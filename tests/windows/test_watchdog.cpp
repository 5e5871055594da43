// The whole watchdog (engine, real adapters, watcher, timers) on its own
// thread under Wine, as `run --console` and the service run it.
//
// Stand-in: REG_NOTIFY_CHANGE_SECURITY never fires under Wine
// (docs/testing.md (c)), so a DACL changed behind PermWatch's back is found by
// the sweep, set to 1 s here; a value change reaches it through the watcher.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/security/sddl.hpp"
#include "process_test_support.hpp"
#include "service/file_journal.hpp"
#include "service/key_handle.hpp"
#include "service/log_alerts.hpp"
#include "tests/fakes/fake_ports.hpp"
#include "watchdog_test_support.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_watchdog {

using namespace std::chrono_literals;

const char* const kBroken = "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)";
const char* const kFixed = "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)";

class WatchdogTest : public test::WineKeyTest {
protected:
    std::string config_path() const { return (temp_dir / "permwatch.json").string(); }
    void write_config(const std::string& mode, int sweep_s = 1) {
        nlohmann::json j = {
            {"version", 1},
            {"mode", mode},
            {"sweep_interval_s", sweep_s},
            {"debounce_ms", 20},
            {"journal", (temp_dir / "journal.jsonl").string()},
            // A pipe of its own: ctest runs the test executables side by side,
            // and the service test serves the default name.
            {"pipe", "permwatch-test-" + std::to_string(GetCurrentProcessId())},
            {"keys",
             {{{"path", path},
               {"require",
                {{{"principal", "BA"}, {"rights", {"KEY_ALL_ACCESS"}}, {"inherit", {"container"}}},
                 {{"principal", "SY"},
                  {"rights", {"KEY_ALL_ACCESS"}},
                  {"inherit", {"container"}}}}}}}}};
        std::ofstream(config_path()) << j.dump(2);
    }
    void start() {
        auto config = load_config([&] {
            std::ifstream in(config_path());
            return std::string(std::istreambuf_iterator<char>(in), {});
        }());
        ASSERT_TRUE(config.config.has_value());
        watchdog.start(*config.config, config_path());
    }
    void TearDown() override {
        watchdog.stop();
        WineKeyTest::TearDown();
    }
    template <class F>
    auto on_watchdog(F f) {
        return watchdog.on_watchdog(f);
    }
    // Bounded wait for a condition that the watchdog makes true.
    template <class Pred>
    bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
        return test::eventually(pred, limit);
    }

    test::RunningWatchdog watchdog;
    fakes::RecordingAlerts& alerts = watchdog.alerts;
};

TEST_F(WatchdogTest, RepairsAtStartThenAfterSabotageFoundByTheSweep) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    write_config("enforce");
    start();
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
    const auto status = on_watchdog([&] { return to_json(watchdog->status()); });
    EXPECT_EQ(status["keys"][0]["state"], "repaired");
    EXPECT_EQ(status["counters"]["repairs"], 2);
    EXPECT_EQ(status["mode"], "enforce");
}

TEST_F(WatchdogTest, ValueChangeReachesTheEngineThroughTheWatcher) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    write_config("enforce", 3600);  // no sweep: only the watcher can tell
    start();
    EXPECT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["counters"]["checks"]; }) == 1;
    }));
    ASSERT_TRUE(test::set_value(path, L"Touched", 1));
    EXPECT_TRUE(eventually([&] {
        return on_watchdog(
                   [&] { return to_json(watchdog->status())["counters"]["notifications"]; }) >= 1;
    }));
}

TEST_F(WatchdogTest, BadReloadIsRejectedAndTheOldPolicyStaysEnforced) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    write_config("enforce");
    start();
    ASSERT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
    std::ofstream(config_path()) << R"({"version":1,"mode":"fast","keys":[]})";
    const auto error = on_watchdog([&] { return watchdog->reload(); });
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->text.find("/mode"), std::string::npos) << error->text;
    // The pipe's reply carries each problem with its pointer.
    EXPECT_TRUE(std::any_of(error->problems.begin(), error->problems.end(),
                            [](const ConfigProblem& p) { return p.pointer == "/mode"; }))
        << error->text;
    EXPECT_EQ(on_watchdog([&] { return alerts.count(EventId::config_rejected); }), 1);
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
}

// A refused reload (event 4001) keeps the running policy. Under Wine every
// file is the prefix user's (docs/testing.md (x)), so the refusal used here
// is the journal rule that Wine can show: a journal folder that does not exist.
TEST_F(WatchdogTest, RefusedReloadRaises4001AndTheOldPolicyStaysEnforced) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    write_config("enforce");
    start();
    ASSERT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
    std::ifstream in(config_path());
    auto doc = nlohmann::json::parse(in);
    in.close();
    doc["journal"] = (temp_dir / "gone" / "journal.jsonl").string();
    doc["mode"] = "audit";
    std::ofstream(config_path()) << doc.dump();
    const auto error = on_watchdog([&] { return watchdog->reload(); });
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->text.find("refusing journal"), std::string::npos) << error->text;
    EXPECT_TRUE(error->problems.empty());  // refused before it was read
    EXPECT_EQ(on_watchdog([&] { return alerts.count(EventId::config_refused); }), 1);
    EXPECT_EQ(on_watchdog([&] { return to_json(watchdog->status())["mode"]; }), "enforce");
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
}

TEST_F(WatchdogTest, ConfigFileChangeIsPickedUp) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    write_config("enforce");
    start();
    std::this_thread::sleep_for(1100ms);  // a different mtime than the first write
    write_config("audit");
    EXPECT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["mode"]; }) == "audit";
    }));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    std::this_thread::sleep_for(2500ms);  // two sweeps: audit reports, never repairs
    EXPECT_EQ(test::dacl_sddl(path), kBroken);
    EXPECT_EQ(on_watchdog([&] { return to_json(watchdog->status())["keys"][0]["state"]; }),
              "drift");
}

// A file caught half-saved is read again, even when the
// rest of it is written within the same file time (a coarse file system, or an
// editor that sets the time): the time is recorded only after a good load.
TEST_F(WatchdogTest, AHalfSavedConfigIsRetriedUntilItLoads) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    write_config("enforce");
    start();
    std::this_thread::sleep_for(1100ms);  // a different mtime than the first write
    std::ifstream in(config_path());
    const std::string good_audit = [&] {
        auto doc = nlohmann::json::parse(in);
        doc["mode"] = "audit";
        return doc.dump(2);
    }();
    in.close();
    std::ofstream(config_path()) << good_audit.substr(0, good_audit.size() / 2);
    const auto half_time = std::filesystem::last_write_time(config_path());
    // The poll (every 2 s) finds the half file and rejects it, once.
    ASSERT_TRUE(eventually(
        [&] { return on_watchdog([&] { return alerts.count(EventId::config_rejected); }) == 1; }));
    std::this_thread::sleep_for(4500ms);  // two more polls of the same half file
    EXPECT_EQ(on_watchdog([&] { return alerts.count(EventId::config_rejected); }), 1);
    EXPECT_EQ(on_watchdog([&] { return to_json(watchdog->status())["mode"]; }), "enforce");
    // The rest of the file arrives, and the file time is what it was.
    std::ofstream(config_path()) << good_audit;
    std::filesystem::last_write_time(config_path(), half_time);
    ASSERT_EQ(std::filesystem::last_write_time(config_path()), half_time);
    EXPECT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["mode"]; }) == "audit";
    }));
    EXPECT_EQ(on_watchdog([&] { return alerts.count(EventId::config_rejected); }), 1);
}

// A handler on the watchdog's loop that throws (any type)
// is logged and counted, and the loop goes on guarding keys. Without the
// guard it would leave io_context::run() and end the service.
TEST_F(WatchdogTest, AHandlerThatThrowsDoesNotEndTheWatchdog) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    write_config("enforce");
    start();
    watchdog->post([] { throw std::runtime_error("injected failure"); });
    watchdog->post([] { throw 42; });
    EXPECT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["loop_errors"]; }) == 2;
    }));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }));
}

TEST_F(WatchdogTest, StopsPromptlyAndReleasesItsHandles) {
    const long before = win::open_key_handles();
    write_config("enforce");
    start();
    EXPECT_TRUE(eventually([&] { return win::open_key_handles() > before; }));
    const auto t0 = std::chrono::steady_clock::now();
    watchdog.stop();
    RecordProperty("stop_ms",
                   static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - t0)
                                        .count()));
    EXPECT_EQ(win::open_key_handles(), before);
}

// The watchdog keeps the journal's id mutex across the appends of a handler
// (FileJournal::lease_ids) and gives it back after it: a one-shot `repair`
// writing to the same journal right after a repair made by a sweep gets in
// (it would fail after 30 s if the mutex were kept), and the watchdog's next
// id follows the one-shot's.
TEST_F(WatchdogTest, AOneShotWriterOfTheSameJournalGetsInRightAfterARepair) {
    ASSERT_EQ(test::set_dacl(path, kFixed), 0);
    write_config("enforce");
    start();
    ASSERT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["counters"]["checks"]; }) >= 1;
    }));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);  // found by the next sweep, a handler
    ASSERT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["counters"]["repairs"]; }) == 1;
    }));
    {
        win::FileJournal oneshot((temp_dir / "journal.jsonl").string());
        JournalEntry e{"", "2026-11-30T05:00:00.000Z", path, "manual", "D:", "D:(A;;KA;;;SY)"};
        ASSERT_EQ(oneshot.append(e), std::nullopt);
        EXPECT_EQ(std::stoull(e.id), 2u);
        ASSERT_TRUE(oneshot.wait_flushed(std::chrono::seconds(30)));
    }
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    ASSERT_TRUE(eventually([&] {
        return on_watchdog([&] { return to_json(watchdog->status())["counters"]["repairs"]; }) == 2;
    }));
    const JournalContents c = win::read_journal_file((temp_dir / "journal.jsonl").string());
    ASSERT_EQ(c.entries.size(), 3u);
    EXPECT_EQ(std::stoull(c.entries[2].id), 3u);
    EXPECT_EQ(c.entries[2].reason, "drift");
}

// A user who, while PermWatch is down, makes the named objects the journal
// once serialised its writers with (Global\PermWatchJournal-<hash>, held,
// and the rotation count's section) stalls nothing: the writers lock a file
// in the journal's protected folder instead (service/journal_lock.hpp). With
// the named mutex, every repair waited 5 s for it and was refused as not
// journaled, so the key stayed broken. Wine runs the squatter as the same
// user; on Windows it would be any user, who may create such names.
TEST_F(WatchdogTest, RepairsAndJournalsWhileAnotherProcessHoldsTheOldJournalObjects) {
    const std::string journal = (temp_dir / "journal.jsonl").string();
    const std::filesystem::path marker = temp_dir / "squatting";
    test::ChildProcess squatter(
        test::test_exe_dir() / L"journal_actor.exe",
        L"squat \"" + win::widen(journal) + L"\" \"" + marker.wstring() + L"\"");
    ASSERT_TRUE(squatter.started()) << squatter.start_error();
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(marker); }, 60s))
        << "journal_actor did not take the objects";

    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    write_config("enforce");
    start();
    // Wide margin: the usual time is one sweep (1 s); no timing is asserted.
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }, 60s));
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }, 60s));
    const auto status = on_watchdog([&] { return to_json(watchdog->status()); });
    EXPECT_EQ(status["keys"][0]["state"], "repaired");
    EXPECT_EQ(status["counters"]["repairs"], 2);
    const JournalContents c = win::read_journal_file(journal);
    ASSERT_EQ(c.entries.size(), 2u);
    EXPECT_EQ(c.entries[0].key, path);
    EXPECT_EQ(c.entries[1].reason, "drift");
    EXPECT_TRUE(squatter.running()) << "the squatter held the objects throughout";
}

}  // namespace test_watchdog
}  // namespace permwatch
