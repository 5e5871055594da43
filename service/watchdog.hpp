// The running watchdog: the engine, its real adapters, the change watcher, the
// sweep timer, the config-file watch and the status pipe, all on one Asio
// thread. Console mode and the service both run this object; only how it is
// started and stopped differs.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/check/cached_accounts.hpp"
#include "core/cluster/summary_publisher.hpp"
#include "core/cluster/summary_writer.hpp"
#include "core/engine/checkpoint_watch.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/failover.hpp"
#include "core/engine/reconnect_backoff.hpp"
#include "core/pipe/pipe_protocol.hpp"
#include "core/policy/config.hpp"
#include "service/accounts_adapter.hpp"
#include "service/cluster_adapter.hpp"
#include "service/file_journal.hpp"
#include "service/log_alerts.hpp"
#include "service/pipe_server.hpp"
#include "service/registry_adapter.hpp"
#include "service/registry_watcher.hpp"

namespace permwatch::win {

class Watchdog final : public StatusService, private WatchHandles {
public:
    // Throws Win32Error when the journal cannot be opened.
    Watchdog(Config config, std::string config_path, std::shared_ptr<spdlog::logger> logger,
             AlertSink& alerts);
    ~Watchdog() override;

    // Runs until stop(); checks every key first.
    void run();
    // Thread-safe; may be called from a console control handler or the SCM's.
    void stop();

    // Runs `work` on the watchdog's thread (the engine is single-threaded).
    void post(std::function<void()> work);
    boost::asio::io_context& io() { return io_; }

    // StatusService, on the watchdog's thread (the pipe server runs there too).
    nlohmann::ordered_json status() override;
    nlohmann::ordered_json check_now() override;
    std::optional<std::string> reload() override;

private:
    // WatchHandles: the watcher's handles of frozen keys, closed around a failover.
    void set_frozen(const std::vector<bool>& frozen) override;

    nlohmann::ordered_json journal_status() const;
    void on_key_changed(std::size_t index);
    // How each key may be held and watched, from the checkpoints known now
    // (core/engine/checkpoint_watch.hpp); the registry holds only the keys outside
    // every checkpoint.
    std::vector<KeyWatchPlan> watch_plans() const;
    // (Re)starts the watcher on the plans of now.
    void start_watcher();
    // Restarts the watcher when the plans changed (checkpoints learned,
    // added or removed; a reload).
    void follow_checkpoints();
    void arm_sweep();
    // One part of a sweep, then the rest after whatever else is queued.
    void sweep_from(std::size_t first);
    void arm_due();
    void arm_config_watch();
    // `first`: at start, before the watcher and the first check of every key.
    void connect_cluster(bool first);
    void retry_cluster(std::chrono::milliseconds after);
    void refresh_accounts();
    // Loads the config file and, when it is good and trusted, runs it.
    // `from_poll`: the file-time poll, which retries a failed file quietly.
    std::optional<std::string> load_policy(bool from_poll);
    void start_pipe();
    // io_.run() until stopped, carrying on after a handler that throws.
    void serve();
    void on_cluster_event(const ClusterEvent& event);
    // Publishing this node's summary to the cluster database (DESIGN.md "The
    // cluster-wide view"): the keys' states as they are now, taken after
    // every handler; the write goes out through writer_, never on this thread.
    void note_published_state();
    void arm_publish();
    NodeSummary summary_header();
    std::vector<PublishedKey> published_keys() const;
    nlohmann::ordered_json publish_status() const;

    std::string config_path_;
    std::shared_ptr<spdlog::logger> logger_;
    AlertSink& alerts_;
    Win32Registry registry_{Win32Registry::Keys::kept_open};
    Win32Accounts accounts_;
    CachedAccounts cached_accounts_;  // the engine's: nothing on its path asks the SCM or LSA
    boost::asio::io_context io_;
    FileJournal journal_;
    SystemClock clock_;
    Engine engine_;
    Win32Cluster cluster_;
    FailoverCoordinator failover_;
    boost::asio::steady_timer sweep_timer_;
    boost::asio::steady_timer due_timer_;
    boost::asio::steady_timer config_timer_;
    boost::asio::steady_timer cluster_timer_;
    SummaryPublisher publisher_;
    boost::asio::steady_timer publish_timer_;
    std::unique_ptr<SummaryWriter> writer_;
    std::optional<SummaryPublisher::TimePoint> publish_armed_;  // when publish_timer_ fires
    // Set from a lost connection until connected again; the back-off counts
    // the attempts meanwhile (core/engine/reconnect_backoff.hpp).
    bool cluster_lost_ = false;
    ReconnectBackoff cluster_backoff_;
    // The pipe's creation is retried with back-off while its name is taken.
    boost::asio::steady_timer pipe_timer_;
    unsigned pipe_failures_ = 0;
    // The config file's time when it last loaded well: the poll reloads when
    // the file's time differs. A failed load leaves it, so the file is tried
    // again (issue 11 item 17); the failure is kept to raise its event once.
    std::optional<std::filesystem::file_time_type> config_stamp_;
    struct ConfigFailure {
        std::optional<std::filesystem::file_time_type> stamp;
        std::string problems;
        friend bool operator==(const ConfigFailure&, const ConfigFailure&) = default;
    };
    std::optional<ConfigFailure> config_failure_;
    std::unique_ptr<RegistryWatcher> watcher_;
    std::vector<KeyWatchPlan> plans_;  // the watcher's and the registry's
    // Set once a connection learned the checkpoints; until then, only a
    // machine that is no cluster node knows it has none.
    bool checkpoints_learned_ = false;
    std::unique_ptr<PipeServer> pipe_;
    // Handlers that threw inside the loop (logged; shown in status).
    std::uint64_t loop_errors_ = 0;
    // Renews cached_accounts_ off the engine's thread.
    std::mutex refresh_mutex_;
    std::condition_variable refresh_wake_;
    bool refresh_stop_ = false;
    std::thread refresher_;
};

}  // namespace permwatch::win
