#include "core/engine/event_rate_limit.hpp"

namespace permwatch {

EventRateLimit::EventRateLimit(unsigned max_events, std::chrono::seconds window)
    : max_events_(max_events), window_(window) {}

std::optional<std::uint64_t> EventRateLimit::admit(TimePoint now) {
    while (!raised_.empty() && now - raised_.front() >= window_) raised_.pop_front();
    if (raised_.size() >= max_events_) {
        ++held_back_;
        ++held_back_total_;
        return std::nullopt;
    }
    raised_.push_back(now);
    const std::uint64_t before = held_back_;
    held_back_ = 0;
    return before;
}

}  // namespace permwatch
