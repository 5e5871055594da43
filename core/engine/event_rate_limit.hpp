// At most `max_events` of one kind in any `window` (a
// flapping cluster must not flood the event log with event 3002). What is held
// back is counted, so the next event let through can say how many it stands
// for, and status can show the total.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace permwatch {

class EventRateLimit {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    EventRateLimit(unsigned max_events, std::chrono::seconds window);

    // nullopt: hold this one back. Otherwise raise it, and the value is how
    // many were held back since the last one raised.
    std::optional<std::uint64_t> admit(TimePoint now);
    std::uint64_t held_back_total() const { return held_back_total_; }

private:
    unsigned max_events_;
    std::chrono::seconds window_;
    std::deque<TimePoint> raised_;  // within the window, oldest first
    std::uint64_t held_back_ = 0;
    std::uint64_t held_back_total_ = 0;
};

}  // namespace permwatch
