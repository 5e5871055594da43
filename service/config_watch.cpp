#include "service/config_watch.hpp"

#include <windows.h>

#include <boost/asio/post.hpp>

#include "core/policy/config.hpp"
#include "core/policy/trusted_config.hpp"
#include "service/file_security.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// Cheap (one stat), so it can be frequent; only while the folder is not
// watched or the file failed to load.
constexpr auto poll_every = std::chrono::seconds(2);

// What changes the file's time or replaces it: a write, its size, its
// attributes and times (a time set back), a rename or a new file in its place.
constexpr DWORD change_filter = FILE_NOTIFY_CHANGE_FILE_NAME | FILE_NOTIFY_CHANGE_ATTRIBUTES |
                                FILE_NOTIFY_CHANGE_SIZE | FILE_NOTIFY_CHANGE_LAST_WRITE |
                                FILE_NOTIFY_CHANGE_CREATION;

std::optional<std::filesystem::file_time_type> stamp_of(const std::string& path) {
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(std::filesystem::path(widen(path)), ec);
    if (ec) return std::nullopt;
    return t;
}

}  // namespace

ConfigWatch::ConfigWatch(boost::asio::io_context& io, std::string path, AlertSink& alerts,
                         std::shared_ptr<spdlog::logger> logger, Apply apply)
    : path_(std::move(path)),
      alerts_(alerts),
      logger_(std::move(logger)),
      apply_(std::move(apply)),
      io_(io),
      timer_(io),
      stamp_(stamp_of(path_)) {}

ConfigWatch::~ConfigWatch() { stop(); }

void ConfigWatch::start() {
    ticks_from_ = std::chrono::steady_clock::now();
    std::filesystem::path folder = std::filesystem::path(widen(path_)).parent_path();
    if (folder.empty()) folder = L".";
    change_.reset(FindFirstChangeNotificationW(folder.c_str(), FALSE, change_filter));
    stop_.reset(CreateEventW(nullptr, TRUE, FALSE, nullptr));
    if (!change_ || !stop_) {
        logger_->warn("config {}: its folder cannot be watched ({}); polling it every 2 s", path_,
                      describe("watching", GetLastError()));
        change_.reset();
        arm();
        return;
    }
    watching_ = true;
    waiter_ = std::thread([this] { wait_for_changes(); });
}

void ConfigWatch::stop() {
    timer_.cancel();
    if (waiter_.joinable()) {
        SetEvent(stop_.get());
        waiter_.join();
    }
    watching_ = false;
}

void ConfigWatch::wait_for_changes() {
    const HANDLE waits[] = {stop_.get(), change_.get()};
    for (;;) {
        const DWORD woke = WaitForMultipleObjects(2, waits, FALSE, INFINITE);
        if (woke == WAIT_OBJECT_0) return;  // stopped
        // Armed again before the look: a change made during the load is
        // reported once more.
        if (woke != WAIT_OBJECT_0 + 1 || !FindNextChangeNotification(change_.get())) {
            const DWORD code = GetLastError();
            boost::asio::post(io_, [this, code] {
                logger_->warn("config {}: its folder's watch ended ({}); polling it every 2 s",
                              path_, describe("watching", code));
                watching_ = false;
                arm();
            });
            return;
        }
        // Looked at by the poll's next tick, as before: a file being saved
        // is given the same time to settle, and an explicit reload right
        // after the save is not raced.
        boost::asio::post(io_, [this] { arm(); });
    }
}

void ConfigWatch::arm() {
    if (polling_) return;
    polling_ = true;
    // On the ticks a poll started with the watch would have: a change is
    // looked at when it was before, only the ticks after no change are left.
    const auto now = std::chrono::steady_clock::now();
    timer_.expires_at(ticks_from_ + ((now - ticks_from_) / poll_every + 1) * poll_every);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        polling_ = false;
        if (ec) return;
        check();
        if (!watching_ || failure_) arm();
    });
}

void ConfigWatch::check() {
    // The stamp is recorded only by a load that succeeded: a file caught
    // half-saved is read again at the next poll, even when the rest of it is
    // written within the same file time.
    const auto stamp = stamp_of(path_);
    if (stamp && stamp != stamp_) {
        if (!failure_) logger_->info("config {} changed; reloading", path_);
        load(/*from_poll=*/true);
    }
}

std::optional<ConfigRefusal> ConfigWatch::load(bool from_poll) {
    // Taken before reading: a write that lands during the load changes the
    // file time again, and the next poll loads once more.
    const auto stamp = stamp_of(path_);
    Win32FileSecurity files;
    ConfigLoad loaded = load_trusted_config(path_, &files);
    if (loaded.refused || !loaded.config) {
        const bool refused = loaded.refused.has_value();
        std::string text = refused ? *loaded.refused : describe_problems(path_, loaded.problems);
        const Failure failure{stamp, text};
        if (!from_poll || failure_ != failure) {
            alerts_.raise(refused ? EventId::config_refused : EventId::config_rejected, {text});
        }
        if (from_poll) failure_ = failure;
        return ConfigRefusal{std::move(text), std::move(loaded.problems)};
    }
    stamp_ = stamp;
    failure_.reset();
    apply_(std::move(*loaded.config));
    return std::nullopt;
}

}  // namespace permwatch::win
