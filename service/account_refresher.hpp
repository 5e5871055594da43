// Renews the cached SCM and LSA answers (a new service account, a changed
// group) on a thread of its own, where waiting for them delays no repair: the
// engine's path never asks the SCM or LSA itself.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/logger.h>

#include "core/check/cached_accounts.hpp"

namespace permwatch::win {

class AccountRefresher {
public:
    AccountRefresher(CachedAccounts& accounts, std::shared_ptr<spdlog::logger> logger);
    // Stops the thread and waits for it.
    ~AccountRefresher();
    AccountRefresher(const AccountRefresher&) = delete;
    AccountRefresher& operator=(const AccountRefresher&) = delete;

    // Renews every `every` (at least 10 s) from now on; thread-safe.
    void start(std::chrono::seconds every);
    void set_interval(std::chrono::seconds every);

private:
    void run();

    CachedAccounts& accounts_;
    std::shared_ptr<spdlog::logger> logger_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::chrono::seconds every_{60};
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace permwatch::win
