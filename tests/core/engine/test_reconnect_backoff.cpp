// The cluster reconnect back-off and the cap on event 3002's
// rate. The random source is injected, so every number here is exact.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <vector>

#include "core/engine/event_rate_limit.hpp"
#include "core/engine/reconnect_backoff.hpp"

namespace permwatch {
namespace test_reconnect_backoff {

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
constexpr std::uint32_t kLow = 0;
constexpr std::uint32_t kHigh = std::numeric_limits<std::uint32_t>::max();

TEST(ReconnectBackoff, TheFirstSecondIsTwentyTriesFiftyMillisecondsApart) {
    ms total{0};
    for (unsigned attempt = 1; attempt <= 20; ++attempt) {
        // Not shortened at random: the first second stays as fast as it was.
        EXPECT_EQ(reconnect_delay(attempt, kLow), 50ms) << attempt;
        EXPECT_EQ(reconnect_delay(attempt, kHigh), 50ms) << attempt;
        total += reconnect_delay(attempt, kHigh);
    }
    EXPECT_EQ(total, 1000ms);
}

TEST(ReconnectBackoff, ThenOneSecondDoublingUpToSixtyWithoutJitter) {
    const std::vector<ms> expected = {1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(reconnect_delay(static_cast<unsigned>(21 + i), kLow), expected[i]) << i;
    }
    // Far out the wait stays at the cap (no overflow of the doubling).
    EXPECT_EQ(reconnect_delay(1000, kLow), 60s);
    EXPECT_EQ(reconnect_delay(std::numeric_limits<unsigned>::max(), kLow), 60s);
}

TEST(ReconnectBackoff, JitterShortensEachSlowStepByAtMostAQuarter) {
    // The largest random value takes (almost) a quarter off; the middle one an eighth.
    EXPECT_EQ(reconnect_delay(21, kHigh), 751ms);
    EXPECT_EQ(reconnect_delay(21, kHigh / 2), 876ms);
    EXPECT_EQ(reconnect_delay(27, kHigh), 45001ms);
    std::mt19937 gen(11);  // seeded: the same draws on every run
    for (unsigned attempt = 21; attempt < 40; ++attempt) {
        const ms step = reconnect_delay(attempt, kLow);
        for (int n = 0; n < 200; ++n) {
            const ms d = reconnect_delay(attempt, static_cast<std::uint32_t>(gen()));
            EXPECT_LE(d, step);
            EXPECT_GE(d, step * 3 / 4);
            EXPECT_LE(d, 60s);
            EXPECT_GE(d, 750ms);
        }
    }
}

TEST(ReconnectBackoff, JitterSpreadsTheNodesOfACluster) {
    // Eight nodes lose the cluster at once; by their tenth try their waits differ.
    std::mt19937 seeds(7);
    std::vector<ms> tenth;
    for (int node = 0; node < 8; ++node) {
        std::mt19937 gen(seeds());
        ReconnectBackoff b([&gen] { return static_cast<std::uint32_t>(gen()); });
        ms d{};
        for (int i = 0; i < 30; ++i) d = b.next();
        tenth.push_back(d);
    }
    std::sort(tenth.begin(), tenth.end());
    EXPECT_GT(std::unique(tenth.begin(), tenth.end()) - tenth.begin(), 4);
}

TEST(ReconnectBackoff, CountsAttemptsAndStartsFastAgainAfterReset) {
    std::vector<std::uint32_t> draws;
    ReconnectBackoff b([&draws] {
        draws.push_back(kLow);
        return kLow;
    });
    ms total{0};
    for (int i = 0; i < 20; ++i) total += b.next();
    EXPECT_EQ(total, 1s);
    EXPECT_EQ(b.next(), 1s);
    EXPECT_EQ(b.next(), 2s);
    EXPECT_EQ(b.attempts(), 22u);
    EXPECT_EQ(draws.size(), 22u);  // the injected source is what decides
    b.reset();
    EXPECT_EQ(b.attempts(), 0u);
    EXPECT_EQ(b.next(), 50ms);
}

TEST(ReconnectBackoff, AnHourOfFailuresIsAboutSixtyTriesAfterTheFirstMinute) {
    std::mt19937 gen(3);
    ReconnectBackoff b([&gen] { return static_cast<std::uint32_t>(gen()); });
    ms elapsed{0};
    int tries = 0;
    while (elapsed < 1h) {
        elapsed += b.next();
        ++tries;
    }
    std::cout << "[ info ] an hour of failed reconnects: " << tries << " tries\n";
    // 20 fast, 6 doubling (48-63 s), then one per 45-60 s: 26 + 59..80.
    EXPECT_GE(tries, 26 + 54);
    EXPECT_LE(tries, 26 + 81);
}

TEST(EventRateLimit, AtMostTheLimitInAnyWindowAndTheHeldBackAreCounted) {
    EventRateLimit limit(3, std::chrono::seconds(600));
    std::chrono::steady_clock::time_point t{};
    EXPECT_EQ(limit.admit(t), 0u);
    EXPECT_EQ(limit.admit(t + 1s), 0u);
    EXPECT_EQ(limit.admit(t + 2s), 0u);
    // A flapping cluster: a loss every second for the rest of the window.
    int raised = 0;
    for (int s = 3; s < 600; ++s) {
        if (limit.admit(t + std::chrono::seconds(s))) ++raised;
    }
    EXPECT_EQ(raised, 0);
    EXPECT_EQ(limit.held_back_total(), 597u);
    // The first one out of the window goes out and says how many it stands for.
    EXPECT_EQ(limit.admit(t + 600s), 597u);
    EXPECT_EQ(limit.admit(t + 601s), 0u);
    EXPECT_FALSE(limit.admit(t + 601s).has_value());
    EXPECT_EQ(limit.held_back_total(), 598u);
}

}  // namespace test_reconnect_backoff
}  // namespace permwatch
