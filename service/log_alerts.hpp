// AlertSink that writes each event as one log line (console or rotating file)
// and, as a service, to the Application event log.
#pragma once

#include <windows.h>

#include <memory>

#include <spdlog/logger.h>

#include "core/ports/ports.hpp"

namespace permwatch::win {

class LogAlerts final : public AlertSink {
public:
    // `event_source`: register with the event log under this source name;
    // empty for none (console mode).
    LogAlerts(std::shared_ptr<spdlog::logger> logger, const std::wstring& event_source);
    ~LogAlerts() override;
    LogAlerts(const LogAlerts&) = delete;
    LogAlerts& operator=(const LogAlerts&) = delete;

    void raise(EventId id, const std::vector<std::string>& strings) override;

private:
    std::shared_ptr<spdlog::logger> logger_;
    HANDLE event_log_ = nullptr;
};

// Console: stderr. Otherwise a rotating file beside the journal.
std::shared_ptr<spdlog::logger> make_logger(bool console, const std::string& journal_path);

}  // namespace permwatch::win
