#include "core/cluster/summary_publisher.hpp"

#include <algorithm>

namespace permwatch {

SummaryPublisher::SummaryPublisher(std::chrono::milliseconds min_interval)
    : min_interval_(min_interval) {}

void SummaryPublisher::observe(std::vector<PublishedKey> keys, const std::string& wall_utc,
                               TimePoint now) {
    if (observed_ && keys == keys_) return;
    observed_ = true;
    keys_ = std::move(keys);
    since_ = wall_utc;
    heartbeat(now);
}

void SummaryPublisher::heartbeat(TimePoint now) {
    ++requests_;
    // The earliest request waiting is kept: later ones ride on it.
    if (!requested_) requested_ = now;
}

std::optional<SummaryPublisher::TimePoint> SummaryPublisher::next_due() const {
    if (!requested_) return std::nullopt;
    if (!last_taken_) return *requested_;
    return std::max(*requested_, *last_taken_ + min_interval_);
}

std::optional<NodeSummary> SummaryPublisher::take(TimePoint now, NodeSummary header) {
    const auto due = next_due();
    if (!due || now < *due) return std::nullopt;
    requested_.reset();
    last_taken_ = now;
    ++taken_;
    return fill(std::move(header));
}

NodeSummary SummaryPublisher::final_summary(NodeSummary header) const {
    NodeSummary s = fill(std::move(header));
    s.stopped = true;
    return s;
}

NodeSummary SummaryPublisher::fill(NodeSummary header) const {
    header.keys = keys_;
    header.time = since_.empty() ? header.heartbeat : since_;
    header.stopped = false;
    return header;
}

}  // namespace permwatch
