// Writes this node's summaries to the cluster database on a thread of its
// own, so that the engine's thread, and the failover path that runs on it,
// never waits on a cluster-wide transaction. Only the newest summary that
// waits is kept (an older one is out of date the moment a newer exists). A
// failed write is counted and told through `report`, at most once a minute
// with the number held back, and once more when writes work again.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/ports/cluster_view_port.hpp"

namespace permwatch {

class SummaryWriter {
public:
    using Report = std::function<void(const std::string&)>;

    struct Stats {
        std::uint64_t writes = 0;
        std::uint64_t failures = 0;
        std::uint64_t replaced = 0;  // summaries superseded before they were written
        std::string last_error;
        double last_write_ms = 0;
    };

    SummaryWriter(std::shared_ptr<SummaryStore> store, Report report,
                  std::chrono::seconds report_every = std::chrono::seconds(60));
    // Stops without waiting for a write in progress (see stop()).
    ~SummaryWriter();
    SummaryWriter(const SummaryWriter&) = delete;
    SummaryWriter& operator=(const SummaryWriter&) = delete;

    // Hands a summary over; returns at once.
    void submit(std::string node, std::string text);
    // Waits up to `timeout` until what was submitted is written (or failed),
    // then ends the thread. false: a write was still in progress; the thread
    // is left to finish it on its own (a cluster database that hangs must not
    // hold up a service stop).
    bool stop(std::chrono::milliseconds timeout);
    Stats stats() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace permwatch
