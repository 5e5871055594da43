// When a node's summary is written: on every change of a key's state and as
// a heartbeat each sweep, at most once every 5 s; a change inside the 5 s is
// delayed, not lost. Time is a made-up steady clock: nothing here waits.
#include <gtest/gtest.h>

#include "core/cluster/summary_publisher.hpp"
#include "tests/core/cluster/node_summary_builders.hpp"

namespace permwatch {
namespace test_summary_publisher {

using namespace std::chrono_literals;
using TimePoint = SummaryPublisher::TimePoint;

std::vector<PublishedKey> keys(KeyState state) {
    PublishedKey k;
    k.path = "HKLM\\SOFTWARE\\Example";
    k.state = state;
    return {k};
}

NodeSummary header(const std::string& beat) { return test::summary_of("NODE1", "1", beat); }

const TimePoint t0{};

// Observes a first, compliant state (changed at `since`) and takes it at t0:
// whether it was written.
bool first_written(SummaryPublisher& p, const std::string& since) {
    p.observe(keys(KeyState::compliant), since, t0);
    return p.take(t0, header(since)).has_value();
}

TEST(SummaryPublisher, FirstStateGoesOutAtOnce) {
    SummaryPublisher p;
    EXPECT_FALSE(p.next_due());
    p.observe(keys(KeyState::compliant), "2026-11-30T11:00:00.000Z", t0);
    ASSERT_TRUE(p.next_due());
    EXPECT_EQ(*p.next_due(), t0);
    const auto s = p.take(t0, header("2026-11-30T11:00:00.000Z"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->keys, keys(KeyState::compliant));
    EXPECT_EQ(s->time, "2026-11-30T11:00:00.000Z");
    EXPECT_FALSE(s->stopped);
    EXPECT_FALSE(p.next_due());
}

TEST(SummaryPublisher, NoChangeNoPublish) {
    SummaryPublisher p;
    ASSERT_TRUE(first_written(p, "a"));
    p.observe(keys(KeyState::compliant), "b", t0 + 10s);
    EXPECT_FALSE(p.next_due());
}

TEST(SummaryPublisher, AChangeInsideFiveSecondsIsDelayedNotLost) {
    SummaryPublisher p;
    ASSERT_TRUE(first_written(p, "t0"));
    p.observe(keys(KeyState::drift), "t1", t0 + 1s);
    ASSERT_TRUE(p.next_due());
    EXPECT_EQ(*p.next_due(), t0 + 5s);
    EXPECT_FALSE(p.take(t0 + 4999ms, header("x")));
    // A second change meanwhile rides on the same write: the newest state.
    p.observe(keys(KeyState::repaired), "t2", t0 + 2s);
    EXPECT_EQ(*p.next_due(), t0 + 5s);
    const auto s = p.take(t0 + 5s, header("t5"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->keys, keys(KeyState::repaired));
    EXPECT_EQ(s->time, "t2");
    EXPECT_EQ(s->heartbeat, "t5");
    EXPECT_EQ(p.taken(), 2u);
}

TEST(SummaryPublisher, HeartbeatEachSweepAtMostEveryFiveSeconds) {
    SummaryPublisher p;
    ASSERT_TRUE(first_written(p, "t0"));
    // A sweep every second (sweep_interval_s 1): writes every 5 s, not every second.
    int written = 0;
    for (int s = 1; s <= 60; ++s) {
        const TimePoint now = t0 + std::chrono::seconds(s);
        p.heartbeat(now);
        if (p.take(now, header("t"))) ++written;
    }
    EXPECT_EQ(written, 12);
    // A sweep every 60 s: each heartbeat is written at once.
    SummaryPublisher q;
    ASSERT_TRUE(first_written(q, "t0"));
    q.heartbeat(t0 + 60s);
    EXPECT_EQ(*q.next_due(), t0 + 60s);
    const auto s = q.take(t0 + 60s, header("t60"));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->time, "t0") << "a heartbeat does not move the time of the last change";
}

TEST(SummaryPublisher, FinalSummaryIsMarkedStopped) {
    SummaryPublisher p;
    p.observe(keys(KeyState::drift), "t0", TimePoint{});
    const NodeSummary s = p.final_summary(header("t9"));
    EXPECT_TRUE(s.stopped);
    EXPECT_EQ(s.keys, keys(KeyState::drift));
    EXPECT_EQ(s.heartbeat, "t9");
}

}  // namespace test_summary_publisher
}  // namespace permwatch
