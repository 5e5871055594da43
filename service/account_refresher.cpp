#include "service/account_refresher.hpp"

#include <algorithm>

namespace permwatch::win {

AccountRefresher::AccountRefresher(CachedAccounts& accounts, std::shared_ptr<spdlog::logger> logger)
    : accounts_(accounts), logger_(std::move(logger)) {}

AccountRefresher::~AccountRefresher() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void AccountRefresher::start(std::chrono::seconds every) {
    set_interval(every);
    thread_ = std::thread([this] { run(); });
}

void AccountRefresher::set_interval(std::chrono::seconds every) {
    std::lock_guard lock(mutex_);
    every_ = std::max(every, std::chrono::seconds(10));
}

void AccountRefresher::run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, every_, [this] { return stop_; })) {
        lock.unlock();
        // A failed renewal keeps the cached answers; it never ends the thread
        // (an exception leaving it would end the process).
        try {
            accounts_.refresh();
        } catch (const std::exception& e) {
            logger_->error("renewing the account cache failed: {}; the cached answers stay",
                           e.what());
        } catch (...) {
            logger_->error("renewing the account cache failed (unknown exception)");
        }
        lock.lock();
    }
}

}  // namespace permwatch::win
