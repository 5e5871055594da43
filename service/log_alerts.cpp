#include "service/log_alerts.hpp"

#include <filesystem>

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "core/engine/event_text.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

LogAlerts::LogAlerts(std::shared_ptr<spdlog::logger> logger, const std::wstring& event_source)
    : logger_(std::move(logger)) {
    if (!event_source.empty()) event_log_ = RegisterEventSourceW(nullptr, event_source.c_str());
}

LogAlerts::~LogAlerts() {
    if (event_log_) DeregisterEventSource(event_log_);
}

void LogAlerts::raise(EventId id, const std::vector<std::string>& strings) {
    const std::string text = event_message(id, strings);
    const int code = static_cast<int>(id);
    WORD type = EVENTLOG_INFORMATION_TYPE;
    switch (event_level(id)) {
        case EventLevel::info:
            logger_->info("[{}] {}", code, text);
            break;
        case EventLevel::warning:
            logger_->warn("[{}] {}", code, text);
            type = EVENTLOG_WARNING_TYPE;
            break;
        case EventLevel::error:
            logger_->error("[{}] {}", code, text);
            type = EVENTLOG_ERROR_TYPE;
            break;
    }
    logger_->flush();
    if (!event_log_) return;
    std::vector<std::wstring> wide;
    for (const std::string& s : strings) wide.push_back(widen(s));
    std::vector<LPCWSTR> ptrs;
    for (const std::wstring& w : wide) ptrs.push_back(w.c_str());
    ReportEventW(event_log_, type, 0, static_cast<DWORD>(code), nullptr,
                 static_cast<WORD>(ptrs.size()), 0, ptrs.empty() ? nullptr : ptrs.data(), nullptr);
}

std::shared_ptr<spdlog::logger> make_logger(bool console, const std::string& journal_path) {
    std::shared_ptr<spdlog::logger> logger;
    if (console) {
        logger = std::make_shared<spdlog::logger>(
            "permwatch", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    } else {
        const auto folder = std::filesystem::path(widen(journal_path)).parent_path();
        const auto file = (folder / L"permwatch.log").string();
        logger = std::make_shared<spdlog::logger>(
            "permwatch",
            std::make_shared<spdlog::sinks::rotating_file_sink_mt>(file, 5 * 1024 * 1024, 3));
    }
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
    return logger;
}

}  // namespace permwatch::win
