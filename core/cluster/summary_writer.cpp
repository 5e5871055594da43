#include "core/cluster/summary_writer.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/engine/event_rate_limit.hpp"

namespace permwatch {

struct SummaryWriter::State {
    std::shared_ptr<SummaryStore> store;
    Report report;
    std::mutex mutex;
    std::condition_variable wake;  // work or stop, for the thread
    std::condition_variable idle;  // nothing pending and not writing, for stop()
    std::optional<std::pair<std::string, std::string>> pending;
    bool writing = false;
    bool stopping = false;
    Stats stats;
    EventRateLimit reports;
    bool failing = false;
    std::thread thread;

    State(std::shared_ptr<SummaryStore> s, Report r, std::chrono::seconds every)
        : store(std::move(s)), report(std::move(r)), reports(1, every) {}

    void tell(const std::string& line) {
        if (!report) return;
        // Nothing thrown by the report may end the thread (std::terminate).
        try {
            report(line);
        } catch (...) {
        }
    }

    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            wake.wait(lock, [&] { return pending || stopping; });
            if (!pending) return;  // stopping, nothing left
            auto [node, text] = std::move(*pending);
            pending.reset();
            writing = true;
            lock.unlock();
            const auto t0 = std::chrono::steady_clock::now();
            std::optional<std::string> error;
            try {
                error = store->write(node, text);
            } catch (const std::exception& e) {
                error = std::string("unexpected error: ") + e.what();
            } catch (...) {
                error = "unexpected error (unknown exception)";
            }
            const auto t1 = std::chrono::steady_clock::now();
            lock.lock();
            writing = false;
            stats.last_write_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
            if (error) {
                ++stats.failures;
                stats.last_error = *error;
                failing = true;
                if (const auto held = reports.admit(t1)) {
                    std::string line =
                        "publishing this node's summary to the cluster database "
                        "failed: " +
                        *error;
                    if (*held) line += " (" + std::to_string(*held) + " more failures not told)";
                    lock.unlock();
                    tell(line);
                    lock.lock();
                }
            } else {
                ++stats.writes;
                stats.last_error.clear();
                if (failing) {
                    failing = false;
                    lock.unlock();
                    tell("publishing this node's summary to the cluster database works again");
                    lock.lock();
                }
            }
            if (!pending) idle.notify_all();
        }
    }
};

SummaryWriter::SummaryWriter(std::shared_ptr<SummaryStore> store, Report report,
                             std::chrono::seconds report_every)
    : state_(std::make_shared<State>(std::move(store), std::move(report), report_every)) {
    // The thread holds the state: it may outlive this object (stop()).
    state_->thread = std::thread([s = state_] { s->run(); });
}

SummaryWriter::~SummaryWriter() { stop(std::chrono::milliseconds(0)); }

void SummaryWriter::submit(std::string node, std::string text) {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) return;
        if (state_->pending) ++state_->stats.replaced;
        state_->pending.emplace(std::move(node), std::move(text));
    }
    state_->wake.notify_one();
}

bool SummaryWriter::stop(std::chrono::milliseconds timeout) {
    State& s = *state_;
    bool done = false;
    {
        std::unique_lock lock(s.mutex);
        if (!s.thread.joinable()) return true;
        done = s.idle.wait_for(lock, timeout, [&] { return !s.pending && !s.writing; });
        s.stopping = true;
        s.pending.reset();
    }
    s.wake.notify_one();
    if (done) {
        s.thread.join();
    } else {
        s.thread.detach();  // it ends after the write in progress; it owns the state
    }
    return done;
}

SummaryWriter::Stats SummaryWriter::stats() const {
    std::lock_guard lock(state_->mutex);
    return state_->stats;
}

}  // namespace permwatch
