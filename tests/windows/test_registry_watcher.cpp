// RegistryWatcher against real keys under HKLM\SOFTWARE\PermWatchTest\<test>
// in the Wine prefix. Waits are bounded (5 s) but nothing asserts on speed.
// REG_NOTIFY_CHANGE_SECURITY never fires under Wine (docs/testing.md (c)), so
// DACL changes are caught by the engine's sweep and are not tested here.
#include <windows.h>

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "service/key_handle.hpp"
#include "service/registry_watcher.hpp"

namespace test_registry_watcher {

using permwatch::win::open_key_handles;
using permwatch::win::RegistryWatcher;
using State = RegistryWatcher::KeyState;
using namespace std::chrono_literals;

constexpr auto kWait = 5s;

// Counts callbacks per index; tests wait for a count to go up.
class Recorder {
public:
    RegistryWatcher::Callback callback() {
        return [this](std::size_t index) {
            std::lock_guard lock(mutex_);
            ++counts_[index];
            ++total_;
            changed_.notify_all();
        };
    }
    std::size_t count(std::size_t index) {
        std::lock_guard lock(mutex_);
        return counts_[index];
    }
    std::size_t total() {
        std::lock_guard lock(mutex_);
        return total_;
    }
    std::map<std::size_t, std::size_t> counts() {
        std::lock_guard lock(mutex_);
        return counts_;
    }
    // True once index `index` has been reported more than `seen` times.
    bool wait_above(std::size_t index, std::size_t seen) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, kWait, [&] { return counts_[index] > seen; });
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::map<std::size_t, std::size_t> counts_;
    std::size_t total_ = 0;
};

class RegistryWatcherTest : public ::testing::Test {
protected:
    void SetUp() override {
        root_ = std::wstring(L"SOFTWARE\\PermWatchTest\\") +
                widen(::testing::UnitTest::GetInstance()->current_test_info()->name());
        RegDeleteTreeW(HKEY_LOCAL_MACHINE, root_.c_str());  // left over from a crashed run
        ASSERT_EQ(create(L""), ERROR_SUCCESS);
    }
    void TearDown() override {
        const LONG rc = RegDeleteTreeW(HKEY_LOCAL_MACHINE, root_.c_str());
        EXPECT_TRUE(rc == ERROR_SUCCESS || rc == ERROR_FILE_NOT_FOUND) << rc;
    }

    static std::wstring widen(const std::string& s) { return std::wstring(s.begin(), s.end()); }
    std::wstring full(const std::wstring& rel) const {
        return rel.empty() ? root_ : root_ + L"\\" + rel;
    }
    // The contract form the watcher takes.
    std::string path(const std::wstring& rel) const {
        const auto f = full(rel);
        return "HKLM\\" + std::string(f.begin(), f.end());
    }
    LONG create(const std::wstring& rel) {
        HKEY key = nullptr;
        const LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, full(rel).c_str(), 0, nullptr, 0,
                                        KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key, nullptr);
        if (key) RegCloseKey(key);
        return rc;
    }
    LONG remove(const std::wstring& rel) {  // a key without subkeys
        return RegDeleteKeyExW(HKEY_LOCAL_MACHINE, full(rel).c_str(), KEY_WOW64_64KEY, 0);
    }
    LONG set_value(const std::wstring& rel) {
        ++value_;
        return RegSetKeyValueW(HKEY_LOCAL_MACHINE, full(rel).c_str(), L"v", REG_DWORD, &value_,
                               sizeof value_);
    }
    // Changes `rel` and waits for `index` to be reported.
    bool change_reported(Recorder& rec, std::size_t index, const std::wstring& rel) {
        const auto seen = rec.count(index);
        EXPECT_EQ(set_value(rel), ERROR_SUCCESS);
        return rec.wait_above(index, seen);
    }

    std::wstring root_;
    DWORD value_ = 0;
};

TEST_F(RegistryWatcherTest, ValueChangeReportsItsIndex) {
    ASSERT_EQ(create(L"a"), ERROR_SUCCESS);
    ASSERT_EQ(create(L"b"), ERROR_SUCCESS);
    Recorder rec;
    RegistryWatcher watcher({path(L"a"), path(L"b")}, rec.callback());
    watcher.start();
    EXPECT_EQ(watcher.state(0), State::watching);
    EXPECT_EQ(watcher.state(1), State::watching);

    EXPECT_TRUE(change_reported(rec, 1, L"b"));
    EXPECT_EQ(rec.count(0), 0u);
    // Subtree: a value set in a subkey reports the watched key.
    ASSERT_EQ(create(L"a\\deep"), ERROR_SUCCESS);
    EXPECT_TRUE(change_reported(rec, 0, L"a\\deep"));
}

// Keys inside a checkpoint are watched from above: one subtree watch on the
// key the plan names, shared by every key under it, and no handle on any of
// them. Measured here under Wine 8: a value set and a subkey made two levels
// below the watched key signal it; a DACL change does not (never under Wine).
TEST_F(RegistryWatcherTest, KeysInsideACheckpointAreWatchedFromAboveWithOneHandle) {
    ASSERT_EQ(create(L"cp"), ERROR_SUCCESS);
    ASSERT_EQ(create(L"cp\\inner"), ERROR_SUCCESS);
    ASSERT_EQ(create(L"outside"), ERROR_SUCCESS);
    permwatch::KeyWatchPlan above;
    above.mode = permwatch::KeyWatchPlan::Mode::from_above;
    above.watch_from = path(L"");
    above.checkpoint_root = path(L"cp");
    permwatch::KeyWatchPlan sweep;
    sweep.mode = permwatch::KeyWatchPlan::Mode::sweep_only;
    Recorder rec;
    const long before = open_key_handles();
    RegistryWatcher watcher({path(L"cp"), path(L"cp\\inner"), path(L"outside")},
                            {above, above, sweep}, rec.callback(), {});
    watcher.start();
    EXPECT_EQ(watcher.state(0), State::watching_from_above);
    EXPECT_EQ(watcher.state(1), State::watching_from_above);
    EXPECT_EQ(watcher.state(2), State::not_watched);
    EXPECT_EQ(open_key_handles(), before + 1);  // the one watch, on the parent

    // Two levels below the watched key: both keys under it are reported.
    EXPECT_TRUE(change_reported(rec, 1, L"cp\\inner"));
    EXPECT_GE(rec.count(0), 1u);
    const auto seen = rec.count(0);
    ASSERT_EQ(create(L"cp\\inner\\new"), ERROR_SUCCESS);
    EXPECT_TRUE(rec.wait_above(0, seen));
    // The key left to the sweep is never reported, even when it changes.
    ASSERT_EQ(set_value(L"outside"), ERROR_SUCCESS);
    EXPECT_TRUE(change_reported(rec, 0, L"cp"));  // a later change, after that one
    EXPECT_EQ(rec.count(2), 0u);

    // A failover freezes the keys: the watch from above stays (it is outside
    // every checkpoint) and still reports.
    watcher.set_frozen({true, true, false});
    EXPECT_EQ(open_key_handles(), before + 1);
    EXPECT_TRUE(change_reported(rec, 0, L"cp\\inner"));
    watcher.set_frozen({false, false, false});
    EXPECT_EQ(watcher.state(0), State::watching_from_above);
    watcher.stop();
    EXPECT_EQ(open_key_handles(), before);
}

TEST_F(RegistryWatcherTest, SecondChangeAlsoFiresBecauseItReArms) {
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    Recorder rec;
    RegistryWatcher watcher({path(L"k")}, rec.callback());
    watcher.start();
    EXPECT_TRUE(change_reported(rec, 0, L"k"));
    EXPECT_TRUE(change_reported(rec, 0, L"k"));
    EXPECT_TRUE(change_reported(rec, 0, L"k"));
}

TEST_F(RegistryWatcherTest, DeletedAndRecreatedKeyIsWatchedAgain) {
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    Recorder rec;
    RegistryWatcher watcher({path(L"k")}, rec.callback());
    watcher.start();

    auto seen = rec.count(0);
    ASSERT_EQ(remove(L"k"), ERROR_SUCCESS);
    ASSERT_TRUE(rec.wait_above(0, seen)) << "deletion not reported";
    EXPECT_EQ(watcher.state(0), State::waiting_for_parent);

    seen = rec.count(0);
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    ASSERT_TRUE(rec.wait_above(0, seen)) << "recreation not reported";
    EXPECT_EQ(watcher.state(0), State::watching);
    EXPECT_TRUE(change_reported(rec, 0, L"k")) << "the new key is not armed";
}

TEST_F(RegistryWatcherTest, DeletedAndRecreatedAtOnceIsWatchedAgain) {
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    Recorder rec;
    RegistryWatcher watcher({path(L"k")}, rec.callback());
    watcher.start();

    const auto seen = rec.count(0);
    ASSERT_EQ(remove(L"k"), ERROR_SUCCESS);
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    ASSERT_TRUE(rec.wait_above(0, seen));
    // Let any report still on its way arrive, so the next one is the value's.
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(watcher.state(0), State::watching);
    EXPECT_TRUE(change_reported(rec, 0, L"k")) << "the new key is not armed";
}

TEST_F(RegistryWatcherTest, KeyMissingAtStartIsFoundWhenCreated) {
    Recorder rec;
    RegistryWatcher watcher({path(L"later")}, rec.callback());
    watcher.start();
    EXPECT_EQ(watcher.state(0), State::waiting_for_parent);
    EXPECT_EQ(open_key_handles(), 1);  // the parent only

    ASSERT_EQ(create(L"later"), ERROR_SUCCESS);
    ASSERT_TRUE(rec.wait_above(0, 0));
    EXPECT_EQ(watcher.state(0), State::watching);
    EXPECT_TRUE(change_reported(rec, 0, L"later"));
}

TEST_F(RegistryWatcherTest, KeyWhoseParentIsMissingIsFoundByTheRetryTimer) {
    Recorder rec;
    RegistryWatcher watcher({path(L"p\\k")}, rec.callback(), {.retry_interval = 50ms});
    watcher.start();
    EXPECT_EQ(watcher.state(0), State::retrying);
    EXPECT_EQ(open_key_handles(), 0);

    ASSERT_EQ(create(L"p\\k"), ERROR_SUCCESS);
    ASSERT_TRUE(rec.wait_above(0, 0));
    EXPECT_EQ(watcher.state(0), State::watching);
    EXPECT_TRUE(change_reported(rec, 0, L"p\\k"));
}

TEST_F(RegistryWatcherTest, TwoHundredKeysReportOnlyTheChangedIndex) {
    constexpr std::size_t kKeys = 200;
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < kKeys; ++i) {
        const auto name = L"k" + std::to_wstring(i);
        ASSERT_EQ(create(name), ERROR_SUCCESS);
        paths.push_back(path(name));
    }
    Recorder rec;
    RegistryWatcher watcher(paths, rec.callback());
    watcher.start();
    EXPECT_GT(watcher.thread_count(), 1u);  // more than one wait group
    EXPECT_EQ(open_key_handles(),
              static_cast<long>(kKeys + watcher.thread_count()));  // + a parent per group

    ASSERT_TRUE(change_reported(rec, 150, L"k150"));
    std::this_thread::sleep_for(100ms);  // give a wrong report the chance to show up
    const std::map<std::size_t, std::size_t> only150{{150, 1}};
    EXPECT_EQ(rec.counts(), only150);
}

TEST_F(RegistryWatcherTest, StopJoinsPromptlyAndDestroyingWithoutStopIsSafe) {
    ASSERT_EQ(create(L"k"), ERROR_SUCCESS);
    Recorder rec;
    {
        RegistryWatcher watcher({path(L"k"), path(L"missing"), path(L"gone\\k")}, rec.callback());
        watcher.start();
        ASSERT_EQ(watcher.thread_count(), 1u);
        auto stopped = std::async(std::launch::async, [&] { watcher.stop(); });
        ASSERT_EQ(stopped.wait_for(kWait), std::future_status::ready) << "stop() hangs";
        EXPECT_EQ(watcher.thread_count(), 0u);
        EXPECT_EQ(open_key_handles(), 0);
        EXPECT_EQ(watcher.state(0), State::stopped);
        ASSERT_EQ(set_value(L"k"), ERROR_SUCCESS);
        watcher.stop();   // idempotent
        watcher.start();  // and restartable
        EXPECT_TRUE(change_reported(rec, 0, L"k"));
    }  // destroyed while running
    { RegistryWatcher never_started({path(L"k")}, rec.callback()); }
    EXPECT_THROW(RegistryWatcher({"HKCU\\Software\\X"}, rec.callback()), std::invalid_argument);
    EXPECT_THROW(RegistryWatcher({"HKLM\\"}, rec.callback()), std::invalid_argument);
}

TEST_F(RegistryWatcherTest, HandlesAreCountedAndAllReleased) {
    ASSERT_EQ(create(L"a"), ERROR_SUCCESS);
    ASSERT_EQ(create(L"b"), ERROR_SUCCESS);
    const long before = open_key_handles();
    {
        Recorder rec;
        RegistryWatcher watcher({path(L"a"), path(L"b"), path(L"missing")}, rec.callback());
        EXPECT_EQ(open_key_handles(), 0);
        watcher.start();
        EXPECT_EQ(open_key_handles(), 3);  // a, b and their shared parent
        EXPECT_EQ(open_key_handles(), before + 3);

        // Failover: release every handle, then reopen and report every key.
        watcher.close_all();
        EXPECT_EQ(open_key_handles(), 0);
        EXPECT_EQ(open_key_handles(), before);
        EXPECT_EQ(watcher.state(0), State::stopped);
        ASSERT_EQ(set_value(L"a"), ERROR_SUCCESS);  // unseen while released
        watcher.reopen_all();
        EXPECT_EQ(open_key_handles(), 3);
        EXPECT_EQ(rec.counts(), (std::map<std::size_t, std::size_t>{{0, 1}, {1, 1}, {2, 1}}));
        EXPECT_TRUE(change_reported(rec, 1, L"b"));
    }
    EXPECT_EQ(open_key_handles(), before);
}

}  // namespace test_registry_watcher
