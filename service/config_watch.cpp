#include "service/config_watch.hpp"

#include "core/policy/config.hpp"
#include "core/policy/trusted_config.hpp"
#include "service/file_security.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// Cheap (one stat), so it can be frequent.
constexpr auto poll_every = std::chrono::seconds(2);

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
      timer_(io),
      stamp_(stamp_of(path_)) {}

void ConfigWatch::start() { arm(); }

void ConfigWatch::arm() {
    timer_.expires_after(poll_every);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        // The stamp is recorded only by a load that succeeded: a file caught
        // half-saved is read again at the next poll, even when the rest of it
        // is written within the same file time.
        const auto stamp = stamp_of(path_);
        if (stamp && stamp != stamp_) {
            if (!failure_) logger_->info("config {} changed; reloading", path_);
            load(/*from_poll=*/true);
        }
        arm();
    });
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
