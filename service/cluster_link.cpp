#include "service/cluster_link.hpp"

#include <random>

#include <boost/asio/post.hpp>

namespace permwatch::win {

namespace {

// How often a node without a reachable cluster tries again.
constexpr auto standalone_retry = std::chrono::seconds(30);

// The reconnect back-off's jitter: seeded once per process, so that the nodes
// of a cluster draw different waits.
ReconnectBackoff::Random jitter_source() {
    auto gen = std::make_shared<std::mt19937>(std::random_device{}());
    return [gen] { return static_cast<std::uint32_t>((*gen)()); };
}

}  // namespace

ClusterLink::ClusterLink(boost::asio::io_context& io, std::shared_ptr<spdlog::logger> logger)
    : io_(io), logger_(std::move(logger)), timer_(io), backoff_(jitter_source()) {
    cluster_.on_error(
        [logger = logger_](const std::string& what) { logger->error("cluster: {}", what); });
}

ClusterLink::~ClusterLink() { cluster_.disconnect(); }

void ClusterLink::start(Handlers handlers) {
    handlers_ = std::move(handlers);
    connect(/*first=*/true);
}

void ClusterLink::stop() {
    timer_.cancel();
    cluster_.disconnect();
}

void ClusterLink::connect(bool first) {
    const bool up = cluster_.connect([this](const ClusterEvent& event) {
        // On the adapter's thread: the failover sequence runs on the io thread.
        boost::asio::post(io_, [this, event] { on_event(event); });
    });
    if (up) {
        logger_->info("cluster {}: node {}, notifications {}", cluster_.cluster_name(),
                      cluster_.node_name(), cluster_.notify_api());
        lost_ = false;
        backoff_.reset();
        handlers_.connected(first);
        return;
    }
    if (!lost_) {
        // Standalone (no Cluster service here): look again now and then.
        retry(standalone_retry);
        return;
    }
    // The connection was lost: a failover may be under way, so try again
    // every 50 ms for a second, then from 1 s doubling up to 60 s, with jitter.
    const auto after = backoff_.next();
    const ReconnectSchedule schedule;
    if (backoff_.attempts() == 1 || backoff_.attempts() > schedule.fast_attempts) {
        logger_->warn("cluster not reachable: {}; trying again in {} ms (attempt {})",
                      cluster_.why_unavailable(), after.count(), backoff_.attempts());
    }
    retry(after);
}

void ClusterLink::retry(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect(/*first=*/false);
    });
}

void ClusterLink::on_event(const ClusterEvent& event) {
    handlers_.event(event);
    if (event.kind == ClusterEvent::Kind::connection_lost) {
        // The notification thread has ended: subscribe again at once; the
        // handlers resync when connected.
        cluster_.disconnect();
        lost_ = true;
        backoff_.reset();
        connect(/*first=*/false);
    }
}

}  // namespace permwatch::win
