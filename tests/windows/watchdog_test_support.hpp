// A whole Watchdog running on a thread of its own, as `run --console` and the
// service run it, for tests that drive it from outside and look at it on its
// own thread.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/policy/config.hpp"
#include "service/log_alerts.hpp"
#include "service/watchdog.hpp"
#include "tests/fakes/fake_ports.hpp"

namespace permwatch::test {

class RunningWatchdog {
public:
    ~RunningWatchdog() { stop(); }

    void start(const Config& config, const std::string& config_path,
               std::shared_ptr<spdlog::logger> logger = win::make_logger(true, {})) {
        watchdog_ = std::make_unique<win::Watchdog>(config, config_path, std::move(logger), alerts);
        thread_ = std::thread([this] { watchdog_->run(); });
    }
    // Stops the loop and waits until run() has returned and the watchdog is
    // gone (its handles closed). Does nothing when not running.
    void stop() {
        if (!watchdog_) return;
        watchdog_->stop();
        thread_.join();
        watchdog_.reset();
    }
    bool running() const { return watchdog_ != nullptr; }
    win::Watchdog* operator->() { return watchdog_.get(); }

    // Runs `f` on the watchdog's thread and returns its result.
    template <class F>
    auto on_watchdog(F f) {
        std::promise<decltype(f())> p;
        auto result = p.get_future();
        watchdog_->post([&] { p.set_value(f()); });
        return result.get();
    }

    fakes::RecordingAlerts alerts;  // read on the watchdog's thread or after stop()

private:
    std::unique_ptr<win::Watchdog> watchdog_;
    std::thread thread_;
};

}  // namespace permwatch::test
