#include "core/engine/reconnect_backoff.hpp"

#include <algorithm>
#include <limits>

namespace permwatch {

std::chrono::milliseconds reconnect_delay(unsigned attempt, std::uint32_t random,
                                          const ReconnectSchedule& schedule) {
    if (attempt <= schedule.fast_attempts) return schedule.fast;
    // Doubling stops at the cap, long before the shift could overflow.
    std::chrono::milliseconds step = schedule.slow_first;
    for (unsigned i = schedule.fast_attempts + 1; i < attempt && step < schedule.slow_cap; ++i) {
        step *= 2;
    }
    step = std::min(step, schedule.slow_cap);
    // Up to a quarter off: never longer than the step, never under 3/4 of it.
    const auto quarter = step.count() / 4;
    const auto off = static_cast<std::chrono::milliseconds::rep>(
        (static_cast<std::uint64_t>(random) * static_cast<std::uint64_t>(quarter)) /
        (static_cast<std::uint64_t>(std::numeric_limits<std::uint32_t>::max()) + 1));
    return step - std::chrono::milliseconds(off);
}

ReconnectBackoff::ReconnectBackoff(Random random, ReconnectSchedule schedule)
    : random_(std::move(random)), schedule_(schedule) {}

std::chrono::milliseconds ReconnectBackoff::next() {
    if (attempts_ < std::numeric_limits<unsigned>::max()) ++attempts_;
    return reconnect_delay(attempts_, random_(), schedule_);
}

}  // namespace permwatch
