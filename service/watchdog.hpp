// The running watchdog: the engine, its real adapters, the change watcher, the
// sweep timer, all on one Asio thread. Console mode and the service both run
// this object; only how it is started and stopped differs.
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/config.hpp"
#include "core/engine.hpp"
#include "service/accounts_adapter.hpp"
#include "service/file_journal.hpp"
#include "service/log_alerts.hpp"
#include "service/registry_adapter.hpp"
#include "service/registry_watcher.hpp"

namespace permwatch::win {

class Watchdog {
public:
    // Throws Win32Error when the journal cannot be opened.
    Watchdog(Config config, std::string config_path, std::shared_ptr<spdlog::logger> logger,
             AlertSink& alerts);
    ~Watchdog();

    // Runs until stop(); checks every key first.
    void run();
    // Thread-safe; may be called from a console control handler.
    void stop();

private:
    void on_key_changed(std::size_t index);
    void arm_sweep();
    void arm_due();

    std::string config_path_;
    std::shared_ptr<spdlog::logger> logger_;
    AlertSink& alerts_;
    Win32Registry registry_;
    Win32Accounts accounts_;
    FileJournal journal_;
    SystemClock clock_;
    Engine engine_;
    boost::asio::io_context io_;
    boost::asio::steady_timer sweep_timer_;
    boost::asio::steady_timer due_timer_;
    std::unique_ptr<RegistryWatcher> watcher_;
};

}  // namespace permwatch::win
