// The connection to the Cluster service. Connects at start; on a machine
// that is no cluster node (or whose cluster is down) looks again every 30 s;
// after a lost connection reconnects fast, then slower with jitter, since a
// failover may be under way (core/engine/reconnect_backoff.hpp). Events and
// connections are handed to the io thread's handlers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/engine/reconnect_backoff.hpp"
#include "service/cluster_adapter.hpp"

namespace permwatch::win {

class ClusterLink {
public:
    struct Handlers {
        // Connected (again); `first`: at start, before anything else ran.
        std::function<void(bool first)> connected;
        // Every event, on the io thread; a lost connection is reconnected after it.
        std::function<void(const ClusterEvent&)> event;
    };

    ClusterLink(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> logger);
    ~ClusterLink();
    ClusterLink(const ClusterLink&) = delete;
    ClusterLink& operator=(const ClusterLink&) = delete;

    Win32Cluster& cluster() { return cluster_; }
    const Win32Cluster& cluster() const { return cluster_; }

    // The first connection, on the io thread's caller before the loop runs.
    void start(Handlers handlers);
    // Cancels a pending retry; the connection stays (a stopping watchdog
    // still publishes its last summary through it).
    void cancel() { timer_.cancel(); }
    // Cancels a pending retry and closes the connection (waits for the
    // notification thread).
    void stop();

private:
    void connect(bool first);
    void retry(std::chrono::milliseconds after);
    void on_event(const ClusterEvent& event);

    boost::asio::io_context& io_;
    std::shared_ptr<spdlog::logger> logger_;
    Win32Cluster cluster_;
    Handlers handlers_;
    boost::asio::steady_timer timer_;
    // Set from a lost connection until connected again; the back-off counts
    // the attempts meanwhile.
    bool lost_ = false;
    ReconnectBackoff backoff_;
};

}  // namespace permwatch::win
