#include "service/node_summary_publishing.hpp"

#include "core/journal/journal.hpp"
#include "service/cluster_database.hpp"

namespace permwatch::win {

NodeSummaryPublishing::NodeSummaryPublishing(boost::asio::io_context& io,
                                             const Win32Cluster& cluster, Clock& clock,
                                             std::shared_ptr<spdlog::logger> logger, Source source)
    : cluster_(cluster),
      clock_(clock),
      logger_(std::move(logger)),
      source_(std::move(source)),
      timer_(io),
      writer_(std::make_unique<SummaryWriter>(
          std::make_shared<Win32SummaryStore>(),
          // On the writer's thread, at most once a minute (spdlog is thread-safe).
          [logger = logger_](const std::string& line) { logger->warn("cluster: {}", line); })) {}

void NodeSummaryPublishing::observe() {
    publisher_.observe(source_.keys(), format_utc(clock_.wall()), clock_.now());
    arm();
}

void NodeSummaryPublishing::heartbeat() { publisher_.heartbeat(clock_.now()); }

void NodeSummaryPublishing::arm() {
    // A node without a cluster publishes nothing; what it asked for waits
    // until a connection (which asks for a publish itself).
    if (!cluster_.available()) return;
    const auto due = publisher_.next_due();
    if (!due || (armed_ && *armed_ <= *due)) return;
    armed_ = *due;
    timer_.expires_at(*due);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or stopping
        armed_.reset();
        const std::string node = cluster_.node_name();
        if (cluster_.available() && !node.empty()) {
            if (auto summary = publisher_.take(clock_.now(), source_.header())) {
                writer_->submit(node, serialize_summary(*summary));
            }
        }
        arm();
    });
}

void NodeSummaryPublishing::finish() {
    timer_.cancel();
    if (cluster_.available() && !cluster_.node_name().empty()) {
        writer_->submit(cluster_.node_name(),
                        serialize_summary(publisher_.final_summary(source_.header())));
    }
    if (!writer_->stop(std::chrono::seconds(5))) {
        logger_->warn("cluster: the summary marked stopped was not written within 5 s");
    }
}

StatusSnapshot::Publish NodeSummaryPublishing::status() const {
    const SummaryWriter::Stats w = writer_->stats();
    StatusSnapshot::Publish p;
    p.requests = publisher_.requests();
    p.published = publisher_.taken();
    p.writes = w.writes;
    p.failures = w.failures;
    p.superseded = w.replaced;
    p.last_write_ms = w.last_write_ms;
    p.last_error = w.last_error;
    return p;
}

}  // namespace permwatch::win
