// The running watchdog wires the engine to its real adapters and runs them on
// one Asio thread: the change watcher, the sweep, the cluster link
// (ClusterLink), the config-file watch (ConfigWatch), this node's published
// summary (NodeSummaryPublishing) and the status pipe. Console mode and the
// service both run this object; only how it is started and stopped differs.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/check/cached_accounts.hpp"
#include "core/engine/checkpoint_watch.hpp"
#include "core/engine/engine.hpp"
#include "core/engine/failover.hpp"
#include "core/pipe/pipe_protocol.hpp"
#include "core/policy/config.hpp"
#include "service/account_refresher.hpp"
#include "service/accounts_adapter.hpp"
#include "service/cluster_link.hpp"
#include "service/config_watch.hpp"
#include "service/file_journal.hpp"
#include "service/log_alerts.hpp"
#include "service/node_summary_publishing.hpp"
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
    StatusSnapshot status() override;
    std::vector<KeyReport> check_now() override;
    std::optional<ConfigRefusal> reload() override;

private:
    // WatchHandles: the watcher's handles of frozen keys, closed around a failover.
    void set_frozen(const std::vector<bool>& frozen) override;

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
    // "keys": "auto": makes the learned keys anew from the checkpoints just
    // discovered; when they changed, swaps them into the engine unchecked
    // (a failover in flight is prepared first) and restarts the watcher.
    void follow_learned_keys();
    // Checks each key not checked yet (learned keys just added) that is
    // not frozen.
    void check_unchecked();
    void arm_sweep();
    // One part of a sweep, then the rest after whatever else is queued.
    void sweep_from(std::size_t first);
    void arm_due();
    // A good, trusted config from the file: it replaces the running one.
    void apply_config(Config next);
    void on_cluster_connected(bool first);
    void on_cluster_event(const ClusterEvent& event);
    void start_pipe();
    // io_.run() until stopped, carrying on after a handler that throws.
    void serve();
    NodeSummary summary_header();
    std::vector<PublishedKey> published_keys() const;

    // Declared in the order of construction; torn down in reverse (the
    // destructor first stops the threads that post to the loop).
    std::shared_ptr<spdlog::logger> logger_;
    AlertSink& alerts_;
    Win32Registry registry_{Win32Registry::Keys::kept_open};
    Win32Accounts accounts_;
    CachedAccounts cached_accounts_;  // the engine's: nothing on its path asks the SCM or LSA
    boost::asio::io_context io_;
    FileJournal journal_;
    SystemClock clock_;
    Engine engine_;
    ClusterLink link_;
    FailoverCoordinator failover_;
    boost::asio::steady_timer sweep_timer_;
    boost::asio::steady_timer due_timer_;
    NodeSummaryPublishing publishing_;
    ConfigWatch config_watch_;
    // The pipe's creation is retried with back-off while its name is taken.
    boost::asio::steady_timer pipe_timer_;
    unsigned pipe_failures_ = 0;
    std::unique_ptr<RegistryWatcher> watcher_;
    std::vector<KeyWatchPlan> plans_;  // the watcher's and the registry's
    // Set once a connection learned the checkpoints; until then, only a
    // machine that is no cluster node knows it has none.
    bool checkpoints_learned_ = false;
    std::unique_ptr<PipeServer> pipe_;
    // Handlers that threw inside the loop (logged; shown in status).
    std::uint64_t loop_errors_ = 0;
    AccountRefresher refresher_;
};

}  // namespace permwatch::win
