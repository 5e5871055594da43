// The config file, watched: its file time is polled (one stat every 2 s) and
// the file loaded when the time changed, or at once when asked (the pipe's
// reload). Only a good and trusted file reaches `apply`: a bad or refused one
// never replaces the running config. Its event is raised once for each file
// time and problem, and the poll tries the file again until it loads.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/pipe/pipe_protocol.hpp"
#include "core/policy/config.hpp"
#include "core/ports/ports.hpp"

namespace permwatch::win {

class ConfigWatch {
public:
    using Apply = std::function<void(Config)>;

    ConfigWatch(boost::asio::io_context& io, std::string path, AlertSink& alerts,
                std::shared_ptr<spdlog::logger> logger, Apply apply);

    const std::string& path() const { return path_; }
    // Arms the poll; on the io thread from then on.
    void start();
    void stop() { timer_.cancel(); }
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

    void arm();

    std::string path_;
    AlertSink& alerts_;
    std::shared_ptr<spdlog::logger> logger_;
    Apply apply_;
    boost::asio::steady_timer timer_;
    // The file's time when it last loaded well: the poll loads again when the
    // file's time differs. A failed load leaves it, so the file is tried again.
    Stamp stamp_;
    std::optional<Failure> failure_;
};

}  // namespace permwatch::win
