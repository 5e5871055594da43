// The fixture of the cluster tests that run the real watchdog (engine,
// registry adapter, watcher, cluster adapter) in this process against the
// simulated cluster: starting it from a config, stopping it, and asking it
// for its status and alerts on its own thread, as the pipe and the event log
// would.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/pipe/status_snapshot.hpp"
#include "core/policy/config.hpp"
#include "service/log_alerts.hpp"
#include "service/watchdog.hpp"
#include "tests/fakes/fake_ports.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {

class WatchdogClusterTest : public WineKeyTest {
protected:
    // `wait`: how long eventually() waits unless a test says otherwise.
    explicit WatchdogClusterTest(std::chrono::milliseconds wait) : wait_(wait) {}

    // Starts the watchdog with `config` on a thread of its own and waits until
    // it has found the simulated cluster.
    void run_watchdog(const nlohmann::json& config) {
        auto loaded = load_config(config.dump());
        ASSERT_TRUE(loaded.config.has_value()) << config.dump();
        logger = win::make_logger(true, {});
        logger->set_level(spdlog::level::warn);
        watchdog = std::make_unique<win::Watchdog>(*loaded.config, "test", logger, alerts);
        thread = std::thread([this] { watchdog->run(); });
        ASSERT_TRUE(eventually([&] { return status()["cluster"]["available"] == true; }));
    }
    void stop() {
        if (!watchdog) return;
        watchdog->stop();
        thread.join();
        watchdog.reset();
    }
    nlohmann::ordered_json status() {
        std::promise<nlohmann::ordered_json> p;
        auto f = p.get_future();
        watchdog->post([&] { p.set_value(to_json(watchdog->status())); });
        return f.get();
    }
    int alert_count(EventId id) {
        std::promise<int> p;
        auto f = p.get_future();
        watchdog->post([&] { p.set_value(alerts.count(id)); });
        return f.get();
    }
    template <class Pred>
    bool eventually(Pred pred) {
        return eventually(pred, wait_);
    }
    template <class Pred>
    bool eventually(Pred pred, std::chrono::milliseconds limit) {
        return test::eventually(pred, limit, std::chrono::milliseconds(20));
    }

    fakes::RecordingAlerts alerts;
    std::shared_ptr<spdlog::logger> logger;
    std::unique_ptr<win::Watchdog> watchdog;
    std::thread thread;

private:
    std::chrono::milliseconds wait_;
};

}  // namespace permwatch::test
