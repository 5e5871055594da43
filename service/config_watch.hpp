// The config file, watched: its file time is looked at (one stat) by a poll
// every 2 s, and the file loaded when the time changed, or at once when asked
// (the pipe's reload). A service that sleeps between sweeps should not wake
// every 2 s to stat a file that rarely changes, so a tick of the poll is
// skipped unless the file's folder reported a change since the last one
// (FindFirstChangeNotificationW, waited for on a thread of its own), the
// file failed to load, or the folder cannot be watched: a change is looked
// at on the same tick as before, within 2 s, and a failed file tried again
// every 2 s. Only a good and trusted
// file reaches `apply`: a bad or refused one never replaces the running
// config. Its event is raised once for each file time and problem.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/pipe/pipe_protocol.hpp"
#include "core/policy/config.hpp"
#include "core/ports/ports.hpp"
#include "service/unique_handle.hpp"

namespace permwatch::win {

class ConfigWatch {
public:
    using Apply = std::function<void(Config)>;

    ConfigWatch(boost::asio::io_context& io, std::string path, AlertSink& alerts,
                std::shared_ptr<spdlog::logger> logger, Apply apply);
    ~ConfigWatch();
    ConfigWatch(const ConfigWatch&) = delete;
    ConfigWatch& operator=(const ConfigWatch&) = delete;

    const std::string& path() const { return path_; }
    // Watches the folder (or arms the poll); on the io thread from then on.
    void start();
    void stop();
    // Loads the file now. nullopt: applied; else why it was not.
    // `from_poll`: the poll, which retries a failed file quietly.
    std::optional<ConfigRefusal> load(bool from_poll);

private:
    using Stamp = std::optional<std::filesystem::file_time_type>;
    struct Failure {
        Stamp stamp;
        std::string problems;
        friend bool operator==(const Failure&, const Failure&) = default;
    };

    // Arms the poll's next tick (2 s); it goes on while the folder is not
    // watched or the file failed.
    void arm();
    // The waiter's thread: hands each change of the folder to the io thread.
    void wait_for_changes();
    // Loads the file if its time changed (quietly retrying a failed file).
    void check();

    std::string path_;
    AlertSink& alerts_;
    std::shared_ptr<spdlog::logger> logger_;
    Apply apply_;
    boost::asio::io_context& io_;
    boost::asio::steady_timer timer_;
    bool polling_ = false;                              // the timer is armed
    std::chrono::steady_clock::time_point ticks_from_;  // the poll's ticks: every 2 s from start()
    // The folder's change notification and the thread that waits for it;
    // `stop_` ends that thread. A thread of its own, not a wait of the thread
    // pool (Asio's object_handle): with that, under Wine, a watchdog started
    // after another had stopped in the same process never heard of its key
    // changes (WatchdogTest.ValueChangeReachesTheEngineThroughTheWatcher).
    struct ChangeTraits : KernelHandleTraits {
        using closer = CloseWith<HANDLE, &FindCloseChangeNotification>;
    };
    bool watching_ = false;  // on the io thread: the folder reports changes
    UniqueHandle<ChangeTraits> change_;
    UniqueKernelHandle stop_;
    std::thread waiter_;
    // The file's time when it last loaded well: the poll loads again when the
    // file's time differs. A failed load leaves it, so the file is tried again.
    Stamp stamp_;
    std::optional<Failure> failure_;
};

}  // namespace permwatch::win
