// This node's summary in the cluster database (docs/design.md "The
// cluster-wide view"): the keys' states as they are after each handler,
// throttled by core's SummaryPublisher, and written on the SummaryWriter's
// thread: no cluster database call ever runs on the io thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/cluster/summary_publisher.hpp"
#include "core/cluster/summary_writer.hpp"
#include "core/pipe/status_snapshot.hpp"
#include "core/ports/ports.hpp"
#include "service/cluster_adapter.hpp"

namespace permwatch::win {

class NodeSummaryPublishing {
public:
    // What a summary holds, asked on the io thread when one is made.
    struct Source {
        std::function<NodeSummary()> header;
        std::function<std::vector<PublishedKey>()> keys;
    };

    NodeSummaryPublishing(boost::asio::io_context& io, const Win32Cluster& cluster, Clock& clock,
                          std::shared_ptr<spdlog::logger> logger, Source source);

    // After every handler that may have changed a key's state.
    void observe();
    // Each sweep and each (re)connection: this node is alive.
    void heartbeat();
    // A clean stop: the summary marked stopped, if the cluster takes it
    // within a few seconds; the writer's thread ends.
    void finish();
    void cancel() { timer_.cancel(); }
    // Counters for `status` ("publish").
    StatusSnapshot::Publish status() const;

private:
    void arm();

    const Win32Cluster& cluster_;
    Clock& clock_;
    std::shared_ptr<spdlog::logger> logger_;
    Source source_;
    SummaryPublisher publisher_;
    boost::asio::steady_timer timer_;
    std::optional<SummaryPublisher::TimePoint> armed_;  // when timer_ fires
    std::unique_ptr<SummaryWriter> writer_;
};

}  // namespace permwatch::win
