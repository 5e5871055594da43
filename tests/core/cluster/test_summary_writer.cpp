// The summary writer's thread: the caller never waits on the cluster
// database, the newest summary wins, failures are told at most once a
// minute. The store is a fake that a test can hold shut (a hung cluster
// database); waits are generous (30 s) and never the thing measured.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "core/cluster/summary_writer.hpp"

namespace permwatch {
namespace test_summary_writer {

using namespace std::chrono_literals;

// A store whose writes wait while `held` (a cluster database that hangs).
class GatedStore final : public SummaryStore {
public:
    std::mutex m;
    std::condition_variable cv;
    bool held = false;
    int entered = 0;
    std::vector<std::string> texts;
    std::optional<std::string> fail_with;

    std::optional<std::string> write(const std::string&, const std::string& text) override {
        std::unique_lock lock(m);
        ++entered;
        cv.notify_all();
        cv.wait(lock, [&] { return !held; });
        if (fail_with) return fail_with;
        texts.push_back(text);
        return std::nullopt;
    }
    void release() {
        {
            std::lock_guard lock(m);
            held = false;
        }
        cv.notify_all();
    }
    bool wait_entered(int n) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, 30s, [&] { return entered >= n; });
    }
};

TEST(SummaryWriter, SubmitReturnsAtOnceAndTheNewestSummaryWins) {
    auto store = std::make_shared<GatedStore>();
    store->held = true;
    SummaryWriter writer(store, nullptr);
    writer.submit("NODE1", "one");
    ASSERT_TRUE(store->wait_entered(1));  // "one" is being written, and hangs
    // Meanwhile the engine goes on: these return at once.
    writer.submit("NODE1", "two");
    writer.submit("NODE1", "three");
    store->release();
    EXPECT_TRUE(writer.stop(30s));
    EXPECT_EQ(store->texts, (std::vector<std::string>{"one", "three"}));
    EXPECT_EQ(writer.stats().writes, 2u);
    EXPECT_EQ(writer.stats().replaced, 1u);
}

TEST(SummaryWriter, StopDoesNotHangOnAHungDatabase) {
    auto store = std::make_shared<GatedStore>();
    store->held = true;
    {
        SummaryWriter writer(store, nullptr);
        writer.submit("NODE1", "stuck");
        ASSERT_TRUE(store->wait_entered(1));
        EXPECT_FALSE(writer.stop(50ms));  // gives up; the thread finishes on its own
    }
    store->release();  // the detached thread ends; the store outlives it (shared)
}

TEST(SummaryWriter, FailuresAreCountedAndToldAtMostOncePerMinute) {
    auto store = std::make_shared<GatedStore>();
    store->fail_with = "ERROR_CLUSTER_NODE_DOWN (5050)";
    std::mutex m;
    std::vector<std::string> told;
    SummaryWriter writer(store, [&](const std::string& line) {
        std::lock_guard lock(m);
        told.push_back(line);
    });
    for (int i = 0; i < 5; ++i) {
        writer.submit("NODE1", "x");
        ASSERT_TRUE(store->wait_entered(i + 1));
        // Let it finish before the next: each is its own write.
        for (int tries = 0; tries < 3000 && writer.stats().failures < unsigned(i + 1); ++tries)
            std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(writer.stats().failures, 5u);
    EXPECT_EQ(writer.stats().last_error, "ERROR_CLUSTER_NODE_DOWN (5050)");
    store->fail_with.reset();
    writer.submit("NODE1", "ok");
    EXPECT_TRUE(writer.stop(30s));
    std::lock_guard lock(m);
    ASSERT_EQ(told.size(), 2u);
    EXPECT_NE(told[0].find("ERROR_CLUSTER_NODE_DOWN"), std::string::npos) << told[0];
    EXPECT_NE(told[1].find("works again"), std::string::npos) << told[1];
}

}  // namespace test_summary_writer
}  // namespace permwatch
