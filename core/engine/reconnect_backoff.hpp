// How long to wait before the next attempt to reach a cluster whose
// connection was lost. The first second is fast (every
// 50 ms): a connection lost in mid-failover must come back while the restore
// is still pending, or the prepare comes too late. After that, 1 s doubling up
// to 60 s, each wait shortened by up to a quarter at random so that the nodes
// of a cluster whose Cluster service restarted do not all knock at once.
// Pure: the random source is injected, so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace permwatch {

struct ReconnectSchedule {
    std::chrono::milliseconds fast{50};
    unsigned fast_attempts = 20;  // 20 x 50 ms: the first second
    std::chrono::milliseconds slow_first{1000};
    std::chrono::milliseconds slow_cap{60000};
};

// The wait after failed attempt `attempt` (1-based); `random` is any 32-bit
// value, uniformly drawn: it picks where in [3/4, 1] of the step the wait ends.
// The fast attempts are not shortened.
std::chrono::milliseconds reconnect_delay(unsigned attempt, std::uint32_t random,
                                          const ReconnectSchedule& schedule = {});

// The attempts since the connection was lost, and the next wait.
class ReconnectBackoff {
public:
    using Random = std::function<std::uint32_t()>;
    explicit ReconnectBackoff(Random random, ReconnectSchedule schedule = {});

    // One more attempt failed: how long to wait before the next.
    std::chrono::milliseconds next();
    // Connected (or not lost at all): the next loss starts fast again.
    void reset() { attempts_ = 0; }
    unsigned attempts() const { return attempts_; }

private:
    Random random_;
    ReconnectSchedule schedule_;
    unsigned attempts_ = 0;
};

}  // namespace permwatch
