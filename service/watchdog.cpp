#include "service/watchdog.hpp"

#include <boost/asio/post.hpp>

#include "core/cli.hpp"

namespace permwatch::win {

namespace {

std::vector<std::string> key_paths(const Config& config) {
    std::vector<std::string> paths;
    for (const KeyPolicy& key : config.keys) paths.push_back(key.path);
    return paths;
}

}  // namespace

Watchdog::Watchdog(Config config, std::string config_path, std::shared_ptr<spdlog::logger> logger,
                   AlertSink& alerts)
    : config_path_(std::move(config_path)),
      logger_(std::move(logger)),
      alerts_(alerts),
      journal_(expand_environment(config.journal)),
      engine_(config, {registry_, accounts_, journal_, alerts_, clock_}),
      sweep_timer_(io_),
      due_timer_(io_) {
    for (const std::string& w : journal_.warnings())
        logger_->warn("journal {}: {}", journal_.path(), w);
}

Watchdog::~Watchdog() {
    if (watcher_) watcher_->stop();
}

void Watchdog::run() {
    const Config& config = engine_.config();
    alerts_.raise(EventId::service_started, {config_path_, std::string(to_string(config.mode)),
                                             std::to_string(config.keys.size())});
    logger_->info("journal {}; sweep every {} s; debounce {} ms", journal_.path(),
                  config.sweep_interval_s, config.debounce_ms);
    // Watch first, then check: a change made between the check and the arming
    // of the watch would otherwise go unseen until the next sweep.
    watcher_ = std::make_unique<RegistryWatcher>(key_paths(config), [this](std::size_t index) {
        // Called on the watcher's thread: hand over to the engine's.
        boost::asio::post(io_, [this, index] { on_key_changed(index); });
    });
    watcher_->start();
    engine_.check_all();
    for (const KeyStatus& s : engine_.keys()) {
        logger_->info("{}: {}", s.path, to_string(s.state));
    }
    arm_sweep();
    arm_due();
    io_.run();
    watcher_->stop();
    alerts_.raise(EventId::service_stopped, {});
}

void Watchdog::stop() {
    boost::asio::post(io_, [this] {
        sweep_timer_.cancel();
        due_timer_.cancel();
        io_.stop();
    });
}

void Watchdog::on_key_changed(std::size_t index) {
    engine_.key_changed(index);
    arm_due();
}

void Watchdog::arm_sweep() {
    sweep_timer_.expires_after(std::chrono::seconds(engine_.config().sweep_interval_s));
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        engine_.sweep();
        arm_sweep();
        arm_due();
    });
}

void Watchdog::arm_due() {
    const auto next = engine_.next_due();
    if (!next) return;
    due_timer_.expires_at(*next);
    due_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // re-armed or stopping
        engine_.run_due();
        arm_due();
    });
}

}  // namespace permwatch::win
