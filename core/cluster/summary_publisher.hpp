// When this node's summary goes to the cluster database, and what it holds.
// Every write there is a cluster-wide transaction, so writes are throttled:
// at most one every min_interval (5 s). A change of a key's state asks for
// one at once; each sweep asks for one as a heartbeat; a request that comes
// inside the interval is delayed to its end, never lost, and requests that
// pile up meanwhile go out as one write of the newest state. On the
// engine's thread; the write itself happens elsewhere (the caller's writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster/node_summary.hpp"

namespace permwatch {

inline constexpr std::chrono::milliseconds kMinPublishInterval = std::chrono::seconds(5);

class SummaryPublisher {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit SummaryPublisher(std::chrono::milliseconds min_interval = kMinPublishInterval);

    // The keys as they stand now. A change from what was last observed asks
    // for a publish and becomes the summary's "time" (`wall_utc`).
    void observe(std::vector<PublishedKey> keys, const std::string& wall_utc, TimePoint now);
    // Each sweep: a publish, so that readers see this node is alive.
    void heartbeat(TimePoint now);
    // When the next publish may go out; nullopt when none is asked for.
    std::optional<TimePoint> next_due() const;
    // The summary to write when one is due at `now` (and records it as
    // written), else nullopt. `header` gives node, version, mode, sweep
    // interval and heartbeat; keys, time and stopped come from here.
    std::optional<NodeSummary> take(TimePoint now, NodeSummary header);
    // The last summary, at a clean stop: marked stopped, not throttled.
    NodeSummary final_summary(NodeSummary header) const;

    std::uint64_t requests() const { return requests_; }
    std::uint64_t taken() const { return taken_; }

private:
    NodeSummary fill(NodeSummary header) const;

    std::chrono::milliseconds min_interval_;
    std::vector<PublishedKey> keys_;
    bool observed_ = false;
    std::string since_;  // UTC of the last change
    std::optional<TimePoint> requested_;
    std::optional<TimePoint> last_taken_;
    std::uint64_t requests_ = 0;
    std::uint64_t taken_ = 0;
};

}  // namespace permwatch
