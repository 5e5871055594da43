#include "service/watchdog.hpp"

#include <boost/asio/post.hpp>

#include "core/cluster/auto_keys.hpp"
#include "core/pipe/pipe_admission.hpp"
#include "core/policy/paths.hpp"
#include "service/key_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

std::vector<std::string> key_paths(const Config& config) {
    std::vector<std::string> paths;
    for (const KeyPolicy& key : config.keys) paths.push_back(key.path);
    return paths;
}

// Keys a sweep reads before it lets other queued work run (a cluster
// event's prepare freezes a subtree before the sweep opens more of it).
constexpr std::size_t sweep_slice = 32;

}  // namespace

Watchdog::Watchdog(Config config, std::string config_path, std::shared_ptr<spdlog::logger> logger,
                   AlertSink& alerts)
    : logger_(std::move(logger)),
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
      link_(io_, logger_),
      failover_(engine_, link_.cluster(), *this, alerts_, clock_),
      sweep_timer_(io_),
      due_timer_(io_),
      publishing_(io_, link_.cluster(), clock_, logger_,
                  {[this] { return summary_header(); }, [this] { return published_keys(); }}),
      config_watch_(io_, std::move(config_path), alerts_, logger_,
                    [this](Config next) { apply_config(std::move(next)); }),
      pipe_timer_(io_),
      refresher_(cached_accounts_, logger_) {
    // Every append runs on run()'s thread, which gives the journal's id mutex
    // back after each piece of work (serve): a burst of repairs takes it once.
    journal_.lease_ids();
    failover_.after_discovery([this] { follow_learned_keys(); });
    for (const std::string& w : journal_.warnings()) {
        logger_->warn("journal {}: {}", journal_.path(), w);
    }
}

Watchdog::~Watchdog() {
    // The threads that post to the loop end first, then members go in
    // reverse order of construction.
    link_.stop();
    if (watcher_) watcher_->stop();
}

std::vector<KeyWatchPlan> Watchdog::watch_plans() const {
    const bool known = checkpoints_learned_ ? failover_.unread_checkpoints().empty()
                                            : !link_.cluster().cluster_node();
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

void Watchdog::follow_learned_keys() {
    const Config& current = engine_.config();
    if (!current.auto_keys.enabled) return;
    Config next = with_auto_keys(current, failover_.checkpoints(), failover_.resource_facts());
    if (next.keys == current.keys) return;
    for (const std::string& change : learned_key_changes(current.keys, next.keys)) {
        logger_->info("checkpoint keys learned from the cluster: {}", change);
    }
    registry_.forget_all();  // no key of a path let go stays open
    engine_.replace_config(std::move(next), /*check=*/false);
    if (watcher_) start_watcher();
}

void Watchdog::check_unchecked() {
    const std::vector<KeyStatus>& keys = engine_.keys();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (keys[i].last_check.empty() && !engine_.frozen(i)) engine_.check_key_now(i, "drift");
    }
}

void Watchdog::run() {
    const Config& config = engine_.config();
    alerts_.raise(EventId::service_started,
                  {config_watch_.path(), std::string(to_string(config.mode)),
                   std::to_string(config.keys.size())});
    logger_->info("journal {}; sweep every {} s; debounce {} ms", journal_.path(),
                  config.sweep_interval_s, config.debounce_ms);
    // The cluster first: a group already moving here is prepared (its keys
    // repaired and frozen) before anything opens them. Then watch first, then
    // check: a change made between the check and the arming of the watch
    // would otherwise go unseen until the next sweep. Each key is checked once.
    link_.start({[this](bool first) { on_cluster_connected(first); },
                 [this](const ClusterEvent& event) { on_cluster_event(event); }});
    start_watcher();
    engine_.check_all();
    journal_.end_id_lease();
    for (const KeyStatus& s : engine_.keys()) logger_->info("{}: {}", s.path, to_string(s.state));
    refresher_.start(std::chrono::seconds(engine_.config().sweep_interval_s));
    arm_sweep();
    arm_due();
    config_watch_.start();
    start_pipe();
    serve();
    pipe_.reset();
    // A clean stop: this node's summary says so, if the cluster takes it in
    // a few seconds (a stop does not wait longer on the cluster database).
    publishing_.finish();
    link_.stop();
    watcher_->stop();
    // A stop waits for the last flush (docs/reference.md, "Journal").
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
        publishing_.cancel();
        due_timer_.cancel();
        config_watch_.stop();
        link_.cancel();
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
    if (first == 0 && engine_.config().auto_keys.enabled && link_.cluster().available()) {
        // No notification says that a resource's possible owners changed:
        // each sweep asks for every checkpoint again.
        failover_.rediscover();
        follow_checkpoints();
        check_unchecked();
    }
    const std::size_t next = engine_.sweep_part(first, sweep_slice);
    if (next < engine_.keys().size()) {
        boost::asio::post(io_, [this, next] { sweep_from(next); });
    } else {
        publishing_.heartbeat();  // each sweep: this node is alive
        arm_sweep();
    }
    arm_due();
}

void Watchdog::arm_due() {
    // Every handler that may change a key's state ends here: what changed is
    // published (throttled, on the writer's thread).
    publishing_.observe();
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

void Watchdog::start_pipe() {
    const std::string name = engine_.config().pipe;
    if (!pipe_) {
        PipeServer::Options options;
        options.on_error = [this](const std::string& line) { logger_->warn("{}", line); };
        pipe_ = std::make_unique<PipeServer>(
            io_, name,
            [this](const std::string& line, const IsAdmin& is_admin) {
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

void Watchdog::on_cluster_connected(bool first) {
    failover_.connected(first);
    checkpoints_learned_ = true;
    follow_checkpoints();
    // At start run() checks every key once the watcher is up.
    if (!first) check_unchecked();
    publishing_.heartbeat();  // (re)connected: publish at once
    arm_due();
}

void Watchdog::on_cluster_event(const ClusterEvent& event) {
    failover_.on_event(event);
    if (event.kind == ClusterEvent::Kind::resources_changed) {
        follow_checkpoints();
        check_unchecked();
        publishing_.heartbeat();  // the checkpoints not learned may differ
    }
    arm_due();
}

std::optional<ConfigRefusal> Watchdog::reload() { return config_watch_.load(/*from_poll=*/false); }

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
    h.node = link_.cluster().node_name();
    h.version = PERMWATCH_VERSION;
    h.mode = std::string(to_string(engine_.config().mode));
    h.heartbeat = format_utc(clock_.wall());
    h.sweep_interval_s = engine_.config().sweep_interval_s;
    h.checkpoints_unknown = failover_.unread_checkpoints();
    return h;
}

void Watchdog::apply_config(Config loaded) {
    Config next =
        with_auto_keys(std::move(loaded), failover_.checkpoints(), failover_.resource_facts());
    if (const std::string journal = expand_environment(next.journal); journal != journal_.path()) {
        logger_->warn("the journal path changed to {}; it takes effect when PermWatch restarts",
                      journal);
    }
    const bool keys_changed = key_paths(next) != key_paths(engine_.config());
    if (keys_changed) registry_.forget_all();  // no key of a removed path stays open
    engine_.replace_config(std::move(next));
    refresher_.set_interval(std::chrono::seconds(engine_.config().sweep_interval_s));
    if (keys_changed) {
        start_watcher();
    } else {
        follow_checkpoints();  // a key's "checkpoint" may have changed
    }
    arm_due();
    logger_->info("config {} reloaded: {} keys, mode {}", config_watch_.path(),
                  engine_.config().keys.size(), to_string(engine_.config().mode));
}

StatusSnapshot Watchdog::status() {
    const Config& c = engine_.config();
    StatusSnapshot s;
    s.version = PERMWATCH_VERSION;
    s.mode = to_string(c.mode);
    s.config = {config_watch_.path(), c.keys.size(),   c.sweep_interval_s,
                c.debounce_ms,        journal_.path(), c.failover_timeout_s};
    s.keys = snapshot_keys(engine_, failover_);
    for (std::size_t i = 0; i < s.keys.size() && i < plans_.size(); ++i) {
        s.keys[i].watch = describe(plans_[i]);
        s.keys[i].held_open = plans_[i].held();
    }
    s.cluster =
        snapshot_cluster(failover_, link_.cluster().available(), link_.cluster().node_name());
    s.publish = publishing_.status();
    s.counters = engine_.counters();
    const FileJournal::FlushStats f = journal_.flush_stats();
    s.journal = {journal_.path(), f.unflushed, f.last_flush_ms,
                 f.flushes,       f.failures,  f.last_error};
    s.open_key_handles = open_key_handles();
    s.loop_errors = loop_errors_;
    return s;
}

std::vector<KeyReport> Watchdog::check_now() {
    std::vector<KeyReport> reports;
    for (std::size_t i = 0; i < engine_.keys().size(); ++i) {
        engine_.check_key_now(i, "manual");
        reports.push_back(report_of(engine_.keys()[i]));
    }
    arm_due();
    return reports;
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

}  // namespace permwatch::win
