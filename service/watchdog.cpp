#include "service/watchdog.hpp"

#include <algorithm>
#include <random>

#include <boost/asio/post.hpp>
#include <sstream>

#include "core/cli/cli.hpp"
#include "core/pipe/pipe_admission.hpp"
#include "core/policy/trusted_config.hpp"
#include "service/cluster_database.hpp"
#include "service/file_security.hpp"
#include "service/key_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

std::vector<std::string> key_paths(const Config& config) {
    std::vector<std::string> paths;
    for (const KeyPolicy& key : config.keys) paths.push_back(key.path);
    return paths;
}

std::optional<std::filesystem::file_time_type> stamp_of(const std::string& path) {
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(std::filesystem::path(widen(path)), ec);
    if (ec) return std::nullopt;
    return t;
}

// How often the config file is looked at for changes: cheap (one stat).
constexpr auto config_poll = std::chrono::seconds(2);
// How often a node without a reachable cluster tries again.
constexpr auto cluster_retry = std::chrono::seconds(30);
// Keys a sweep reads before it lets other queued work run (a cluster
// event's prepare freezes a subtree before the sweep opens more of it).
constexpr std::size_t sweep_slice = 32;

// The reconnect back-off's jitter: seeded once per process, so that the nodes
// of a cluster draw different waits.
ReconnectBackoff::Random jitter_source() {
    auto gen = std::make_shared<std::mt19937>(std::random_device{}());
    return [gen] { return static_cast<std::uint32_t>((*gen)()); };
}

}  // namespace

Watchdog::Watchdog(Config config, std::string config_path, std::shared_ptr<spdlog::logger> logger,
                   AlertSink& alerts)
    : config_path_(std::move(config_path)),
      logger_(std::move(logger)),
      alerts_(alerts),
      cached_accounts_(accounts_),
      journal_(
          expand_environment(config.journal),
          [this](const std::string& path, unsigned long code) {
              // On the flusher thread: the alert is raised on ours.
              boost::asio::post(io_, [this, path, code] {
                  alerts_.raise(EventId::journal_flush_failed, {path, describe("flushing", code)});
              });
          },
          config.journal_max_bytes),
      engine_(config, {registry_, cached_accounts_, journal_, alerts_, clock_}),
      failover_(engine_, cluster_, *this, alerts_, clock_),
      sweep_timer_(io_),
      due_timer_(io_),
      config_timer_(io_),
      cluster_timer_(io_),
      publish_timer_(io_),
      writer_(std::make_unique<SummaryWriter>(
          std::make_shared<Win32SummaryStore>(),
          // On the writer's thread, at most once a minute (spdlog is thread-safe).
          [logger = logger_](const std::string& line) { logger->warn("cluster: {}", line); })),
      cluster_backoff_(jitter_source()),
      pipe_timer_(io_),
      config_stamp_(stamp_of(config_path_)) {
    // Every append runs on run()'s thread, which gives the journal's id mutex
    // back after each piece of work (serve): a burst of repairs takes it once.
    journal_.lease_ids();
    for (const std::string& w : journal_.warnings()) {
        logger_->warn("journal {}: {}", journal_.path(), w);
    }
    cluster_.on_error(
        [logger = logger_](const std::string& what) { logger->error("cluster: {}", what); });
}

Watchdog::~Watchdog() {
    cluster_.disconnect();
    if (watcher_) watcher_->stop();
    {
        std::lock_guard lock(refresh_mutex_);
        refresh_stop_ = true;
    }
    refresh_wake_.notify_all();
    if (refresher_.joinable()) refresher_.join();
}

void Watchdog::refresh_accounts() {
    // The SCM's and LSA's answers may change (a new service account): renew
    // them here, where waiting for them delays no repair.
    const auto every = std::chrono::seconds(std::max(10, engine_.config().sweep_interval_s));
    std::unique_lock lock(refresh_mutex_);
    while (!refresh_wake_.wait_for(lock, every, [this] { return refresh_stop_; })) {
        lock.unlock();
        // A failed renewal keeps the cached answers; it never ends the thread
        // (an exception leaving it would end the process).
        try {
            cached_accounts_.refresh();
        } catch (const std::exception& e) {
            logger_->error("renewing the account cache failed: {}; the cached answers stay",
                           e.what());
        } catch (...) {
            logger_->error("renewing the account cache failed (unknown exception)");
        }
        lock.lock();
    }
}

std::vector<KeyWatchPlan> Watchdog::watch_plans() const {
    const bool known =
        checkpoints_learned_ ? failover_.unread_checkpoints().empty() : !cluster_.cluster_node();
    return plan_key_watches(engine_.config().keys, failover_.checkpoints(), known);
}

void Watchdog::start_watcher() {
    if (watcher_) watcher_->stop();
    plans_ = watch_plans();
    std::vector<std::string> held;
    const std::vector<KeyPolicy>& keys = engine_.config().keys;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (plans_[i].held()) held.push_back(keys[i].path);
        if (plans_[i].mode == KeyWatchPlan::Mode::sweep_only) {
            logger_->warn("{}: watched by the sweep only: {}", keys[i].path, describe(plans_[i]));
        }
    }
    registry_.hold_only(held);
    watcher_ = std::make_unique<RegistryWatcher>(
        key_paths(engine_.config()), plans_,
        [this](std::size_t index) {
            // Called on the watcher's thread: hand over to the engine's.
            boost::asio::post(io_, [this, index] { on_key_changed(index); });
        },
        RegistryWatcher::Options{});
    // Keys frozen by a failover in flight are not opened at all.
    watcher_->set_frozen(engine_.frozen_keys());
    watcher_->start();
}

void Watchdog::follow_checkpoints() {
    if (!watcher_ || watch_plans() == plans_) return;
    logger_->info("the keys' checkpoints changed: watching them anew");
    start_watcher();
}

void Watchdog::run() {
    const Config& config = engine_.config();
    alerts_.raise(EventId::service_started, {config_path_, std::string(to_string(config.mode)),
                                             std::to_string(config.keys.size())});
    logger_->info("journal {}; sweep every {} s; debounce {} ms", journal_.path(),
                  config.sweep_interval_s, config.debounce_ms);
    // The cluster first: a group already moving here is prepared (its keys
    // repaired and frozen) before anything opens them. Then watch first, then
    // check: a change made between the check and the arming of the watch
    // would otherwise go unseen until the next sweep. Each key is checked once.
    connect_cluster(/*first=*/true);
    start_watcher();
    engine_.check_all();
    journal_.end_id_lease();
    for (const KeyStatus& s : engine_.keys()) logger_->info("{}: {}", s.path, to_string(s.state));
    refresher_ = std::thread([this] { refresh_accounts(); });
    arm_sweep();
    arm_due();
    arm_config_watch();
    start_pipe();
    serve();
    pipe_.reset();
    // A clean stop: this node's summary says so, if the cluster takes it in
    // a few seconds (a stop does not wait longer on the cluster database).
    if (cluster_.available() && !cluster_.node_name().empty()) {
        writer_->submit(cluster_.node_name(),
                        serialize_summary(publisher_.final_summary(summary_header())));
    }
    if (!writer_->stop(std::chrono::seconds(5))) {
        logger_->warn("cluster: the summary marked stopped was not written within 5 s");
    }
    cluster_.disconnect();
    watcher_->stop();
    // A stop waits for the last flush (CONTRACT.md, Journal).
    if (!journal_.wait_flushed(std::chrono::seconds(30))) {
        logger_->error("journal {}: {} line(s) not yet on disk at stop: {}", journal_.path(),
                       journal_.flush_stats().unflushed, journal_.flush_stats().last_error);
    }
    alerts_.raise(EventId::service_stopped, {});
}

void Watchdog::serve() {
    // Every timer, pipe and cluster callback runs here, one at a time: one
    // that throws is logged and the loop goes on, so that no bad input (a
    // pipe line, a clusapi answer) ends the service. The handler that threw
    // is gone; the engine's state is what it was when it threw. After each
    // handler, thrown or not, the journal's id mutex goes back if its
    // appends kept it (FileJournal::lease_ids): a one-shot `repair` may be
    // waiting for it.
    struct EndLease {
        FileJournal& journal;
        ~EndLease() { journal.end_id_lease(); }
    };
    for (;;) {
        try {
            for (;;) {
                const EndLease end{journal_};
                if (io_.run_one() == 0) return;
            }
        } catch (const std::exception& e) {
            logger_->error("unexpected error in the watchdog's loop, carrying on: {}", e.what());
        } catch (...) {
            logger_->error(
                "unexpected error in the watchdog's loop (unknown exception), carrying on");
        }
        ++loop_errors_;
    }
}

void Watchdog::stop() {
    boost::asio::post(io_, [this] {
        sweep_timer_.cancel();
        publish_timer_.cancel();
        due_timer_.cancel();
        config_timer_.cancel();
        cluster_timer_.cancel();
        pipe_timer_.cancel();
        if (pipe_) pipe_->stop();
        io_.stop();
    });
}

void Watchdog::post(std::function<void()> work) { boost::asio::post(io_, std::move(work)); }

void Watchdog::on_key_changed(std::size_t index) {
    // Looked up by path again: a key renamed away keeps its handle, and the
    // key now at the path is another one.
    if (index < engine_.config().keys.size()) registry_.forget(engine_.config().keys[index].path);
    engine_.key_changed(index);
    arm_due();
}

void Watchdog::arm_sweep() {
    sweep_timer_.expires_after(std::chrono::seconds(engine_.config().sweep_interval_s));
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) sweep_from(0);
    });
}

void Watchdog::sweep_from(std::size_t first) {
    const std::size_t next = engine_.sweep_part(first, sweep_slice);
    if (next < engine_.keys().size()) {
        boost::asio::post(io_, [this, next] { sweep_from(next); });
    } else {
        publisher_.heartbeat(clock_.now());  // each sweep: this node is alive
        arm_sweep();
    }
    arm_due();
}

void Watchdog::arm_due() {
    // Every handler that may change a key's state ends here: what changed is
    // published (throttled, on the writer's thread).
    note_published_state();
    // The engine's debounced work and back-offs, and the failover timeouts.
    auto next = engine_.next_due();
    if (const auto f = failover_.next_due(); f && (!next || *f < *next)) next = f;
    if (!next) return;
    due_timer_.expires_at(*next);
    due_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or stopping
        failover_.run_due();
        engine_.run_due();
        arm_due();
    });
}

void Watchdog::arm_config_watch() {
    config_timer_.expires_after(config_poll);
    config_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        // The stamp is recorded only by a load that succeeded (in load_policy()): a
        // file caught half-saved is read again at the next poll, even when
        // the rest of it is written within the same file time.
        const auto stamp = stamp_of(config_path_);
        if (stamp && stamp != config_stamp_) {
            if (!config_failure_) logger_->info("config {} changed; reloading", config_path_);
            load_policy(/*from_poll=*/true);
        }
        arm_config_watch();
    });
}

void Watchdog::start_pipe() {
    const std::string name = engine_.config().pipe;
    if (!pipe_) {
        PipeServer::Options options;
        options.on_error = [this](const std::string& line) { logger_->warn("{}", line); };
        pipe_ = std::make_unique<PipeServer>(
            io_, name,
            [this](const std::string& line, bool is_admin) {
                std::string reply = handle_pipe_request(line, is_admin, *this);
                arm_due();
                return reply;
            },
            std::move(options));
    }
    try {
        pipe_->start();
        logger_->info("status pipe \\\\.\\pipe\\{}{}", name,
                      pipe_failures_
                          ? " (after " + std::to_string(pipe_failures_) + " failed tries)"
                          : std::string());
        pipe_failures_ = 0;
    } catch (const Win32Error& e) {
        // The watchdog's job does not depend on the pipe: keep guarding keys,
        // and try again, less and less often, to outlast whoever holds the
        // name (a squatter, or a PermWatch still shutting down).
        ++pipe_failures_;
        const auto delay = pipe_create_retry_delay(pipe_failures_);
        alerts_.raise(EventId::pipe_not_created,
                      {"\\\\.\\pipe\\" + name, e.what(), std::to_string(delay.count())});
        pipe_timer_.expires_after(delay);
        pipe_timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) start_pipe();
        });
    }
}

void Watchdog::connect_cluster(bool first) {
    const bool up = cluster_.connect([this](const ClusterEvent& event) {
        // On the adapter's thread: the failover sequence runs on ours.
        boost::asio::post(io_, [this, event] { on_cluster_event(event); });
    });
    if (up) {
        logger_->info("cluster {}: node {}, notifications {}", cluster_.cluster_name(),
                      cluster_.node_name(), cluster_.notify_api());
        cluster_lost_ = false;
        cluster_backoff_.reset();
        failover_.connected(first);
        checkpoints_learned_ = true;
        follow_checkpoints();
        publisher_.heartbeat(clock_.now());  // (re)connected: publish at once
        arm_due();
        return;
    }
    if (!cluster_lost_) {
        // Standalone (no Cluster service here): look again now and then.
        retry_cluster(cluster_retry);
        return;
    }
    // The connection was lost: a failover may be under way, so try again
    // every 50 ms for a second, then from 1 s doubling up to 60 s, with jitter.
    const auto after = cluster_backoff_.next();
    const ReconnectSchedule schedule;
    if (cluster_backoff_.attempts() == 1 || cluster_backoff_.attempts() > schedule.fast_attempts) {
        logger_->warn("cluster not reachable: {}; trying again in {} ms (attempt {})",
                      cluster_.why_unavailable(), after.count(), cluster_backoff_.attempts());
    }
    retry_cluster(after);
}

void Watchdog::retry_cluster(std::chrono::milliseconds after) {
    cluster_timer_.expires_after(after);
    cluster_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) connect_cluster(/*first=*/false);
    });
}

void Watchdog::on_cluster_event(const ClusterEvent& event) {
    failover_.on_event(event);
    if (event.kind == ClusterEvent::Kind::resources_changed) {
        follow_checkpoints();
        publisher_.heartbeat(clock_.now());  // the checkpoints not learned may differ
    }
    arm_due();
    if (event.kind == ClusterEvent::Kind::connection_lost) {
        // The notification thread has ended: subscribe again at once; the
        // coordinator resyncs when connected.
        cluster_.disconnect();
        cluster_lost_ = true;
        cluster_backoff_.reset();
        connect_cluster(/*first=*/false);
    }
}

std::optional<std::string> Watchdog::reload() { return load_policy(/*from_poll=*/false); }

std::vector<PublishedKey> Watchdog::published_keys() const {
    std::vector<PublishedKey> out;
    const auto& keys = engine_.keys();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        PublishedKey k;
        k.path = keys[i].path;
        k.state = keys[i].state;
        if (const auto cp = failover_.checkpoint_of(i)) {
            k.checkpointed = true;
            k.resource = cp->resource;
            k.group = cp->group;
        }
        if (!keys[i].last_repair.empty()) k.last_repair = keys[i].last_repair;
        out.push_back(std::move(k));
    }
    return out;
}

NodeSummary Watchdog::summary_header() {
    NodeSummary h;
    h.node = cluster_.node_name();
    h.version = PERMWATCH_VERSION;
    h.mode = std::string(to_string(engine_.config().mode));
    h.heartbeat = format_utc(clock_.wall());
    h.sweep_interval_s = engine_.config().sweep_interval_s;
    h.checkpoints_unknown = failover_.unread_checkpoints();
    return h;
}

void Watchdog::note_published_state() {
    publisher_.observe(published_keys(), format_utc(clock_.wall()), clock_.now());
    arm_publish();
}

void Watchdog::arm_publish() {
    // A node without a cluster publishes nothing; what it asked for waits
    // until a connection (which asks for a publish itself).
    if (!cluster_.available()) return;
    const auto due = publisher_.next_due();
    if (!due || (publish_armed_ && *publish_armed_ <= *due)) return;
    publish_armed_ = *due;
    publish_timer_.expires_at(*due);
    publish_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or stopping
        publish_armed_.reset();
        const std::string node = cluster_.node_name();
        if (cluster_.available() && !node.empty()) {
            if (auto summary = publisher_.take(clock_.now(), summary_header())) {
                writer_->submit(node, serialize_summary(*summary));
            }
        }
        arm_publish();
    });
}

nlohmann::ordered_json Watchdog::publish_status() const {
    const SummaryWriter::Stats w = writer_->stats();
    return {{"requests", publisher_.requests()},
            {"published", publisher_.taken()},
            {"writes", w.writes},
            {"failures", w.failures},
            {"superseded", w.replaced},
            {"last_write_ms", w.last_write_ms},
            {"last_error", w.last_error.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(w.last_error)}};
}

std::optional<std::string> Watchdog::load_policy(bool from_poll) {
    // Taken before reading: a write that lands during the load changes the
    // file time again, and the next poll loads once more.
    const auto stamp = stamp_of(config_path_);
    Win32FileSecurity files;
    ConfigLoad loaded = load_trusted_config(config_path_, &files);
    // A bad or refused file never replaces the good one that is running.
    // The poll tries it again every few seconds; it raises the event once for
    // each file time and problem, not at every try.
    if (loaded.refused || !loaded.config) {
        const bool refused = loaded.refused.has_value();
        std::string text =
            refused ? *loaded.refused : describe_problems(config_path_, loaded.problems);
        const ConfigFailure failure{stamp, text};
        if (!from_poll || config_failure_ != failure) {
            alerts_.raise(refused ? EventId::config_refused : EventId::config_rejected, {text});
        }
        if (from_poll) config_failure_ = failure;
        return text;
    }
    config_stamp_ = stamp;
    config_failure_.reset();
    std::optional<Config> next = std::move(loaded.config);
    if (expand_environment(next->journal) != journal_.path()) {
        logger_->warn("the journal path changed to {}; it takes effect when PermWatch restarts",
                      expand_environment(next->journal));
    }
    const bool keys_changed = key_paths(*next) != key_paths(engine_.config());
    if (keys_changed) registry_.forget_all();  // no key of a removed path stays open
    engine_.replace_config(std::move(*next));
    if (keys_changed) {
        start_watcher();
    } else {
        follow_checkpoints();  // a key's "checkpoint" may have changed
    }
    arm_due();
    logger_->info("config {} reloaded: {} keys, mode {}", config_path_,
                  engine_.config().keys.size(), to_string(engine_.config().mode));
    return std::nullopt;
}

nlohmann::ordered_json Watchdog::status() {
    const Config& c = engine_.config();
    nlohmann::ordered_json engine = engine_.status_json();
    nlohmann::ordered_json keys = engine["keys"];
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto cp = failover_.checkpoint_of(i);
        keys[i]["checkpoint"] = cp ? nlohmann::ordered_json{{"resource", cp->resource},
                                                            {"group", cp->group},
                                                            {"source", to_string(cp->source)}}
                                   : nlohmann::ordered_json(nullptr);
        if (i < plans_.size()) {
            keys[i]["watch"] = describe(plans_[i]);
            keys[i]["held_open"] = plans_[i].held();
        }
    }
    return {{"version", PERMWATCH_VERSION},
            {"mode", to_string(c.mode)},
            {"config",
             {{"path", config_path_},
              {"keys", c.keys.size()},
              {"sweep_interval_s", c.sweep_interval_s},
              {"debounce_ms", c.debounce_ms},
              {"journal", journal_.path()},
              {"failover_timeout_s", c.failover_timeout_s}}},
            {"keys", keys},
            {"cluster", failover_.status()},
            {"publish", publish_status()},
            {"counters", engine["counters"]},
            {"journal", journal_status()},
            {"open_key_handles", open_key_handles()},
            {"loop_errors", loop_errors_}};
}

nlohmann::ordered_json Watchdog::check_now() {
    std::vector<KeyReport> reports;
    for (std::size_t i = 0; i < engine_.keys().size(); ++i) {
        engine_.check_key_now(i, "manual");
        const KeyStatus& s = engine_.keys()[i];
        KeyReport r;
        r.path = s.path;
        r.state = s.state;
        r.sddl = s.sddl.empty() ? std::nullopt : std::optional(s.sddl);
        r.findings = s.findings;
        reports.push_back(std::move(r));
    }
    arm_due();
    return to_json(reports);
}

void Watchdog::set_frozen(const std::vector<bool>& frozen) {
    // The engine's held keys go with the watcher's: the Cluster service
    // cannot restore a subtree while any of its keys is open.
    const std::vector<KeyPolicy>& keys = engine_.config().keys;
    for (std::size_t i = 0; i < frozen.size() && i < keys.size(); ++i) {
        if (frozen[i]) registry_.forget(keys[i].path);
    }
    // Before the watcher exists (a prepare at start) it picks the flags up
    // from the engine when it is made.
    if (watcher_) watcher_->set_frozen(frozen);
}

nlohmann::ordered_json Watchdog::journal_status() const {
    const FileJournal::FlushStats f = journal_.flush_stats();
    return {{"path", journal_.path()},
            {"unflushed", f.unflushed},
            {"last_flush_ms", f.last_flush_ms},
            {"flushes", f.flushes},
            {"flush_failures", f.failures},
            {"last_flush_error", f.last_error.empty() ? nlohmann::ordered_json(nullptr)
                                                      : nlohmann::ordered_json(f.last_error)}};
}

}  // namespace permwatch::win
