#include "service/service_main.hpp"

#include <windows.h>

#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/cli/cli.hpp"
#include "core/policy/trusted_config.hpp"
#include "service/data_folder.hpp"
#include "service/file_security.hpp"
#include "service/log_alerts.hpp"
#include "service/watchdog.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// START_PENDING covers reading the config and opening the journal and log;
// STOP_PENDING covers the watchdog finishing its current step (a descriptor
// write in progress completes: writes happen on the watchdog's own thread).
constexpr DWORD kStartWaitHintMs = 10'000;
constexpr DWORD kStopWaitHintMs = 5'000;

// Everything ServiceMain and the control handler share. ServiceMain has no
// user parameter, hence the one pointer below; run_service allocates it and
// never frees it (see there).
class ServiceContext {
public:
    explicit ServiceContext(CliOptions options) : options_(std::move(options)) {}

    const CliOptions& options() const { return options_; }

    bool register_handler() {
        handle_ = RegisterServiceCtrlHandlerExW(kServiceName, &ServiceContext::on_control, this);
        return handle_ != nullptr;
    }

    // Reports a state; the checkpoint counts up while pending.
    void report(DWORD state, DWORD wait_hint_ms = 0, DWORD exit_code = 0) {
        std::lock_guard lock(status_mutex_);
        // A stop request racing the watchdog's own end must not report
        // STOP_PENDING after STOPPED.
        if (status_.dwCurrentState == SERVICE_STOPPED) return;
        status_.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
        status_.dwCurrentState = state;
        status_.dwControlsAccepted =
            state == SERVICE_RUNNING
                ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN | SERVICE_ACCEPT_PRESHUTDOWN
                : 0;
        status_.dwWin32ExitCode = exit_code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
        status_.dwServiceSpecificExitCode = exit_code;
        status_.dwWaitHint = wait_hint_ms;
        const bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
        status_.dwCheckPoint = pending ? ++checkpoint_ : 0;
        SetServiceStatus(handle_, &status_);
    }

    // The control handler may call stop() only while the watchdog exists.
    void attach(Watchdog* watchdog, std::shared_ptr<spdlog::logger> logger) {
        std::lock_guard lock(watchdog_mutex_);
        watchdog_ = watchdog;
        logger_ = std::move(logger);
        if (watchdog_ && stop_requested_) watchdog_->stop();
    }

private:
    static DWORD WINAPI on_control(DWORD control, DWORD, void*, void* context) {
        // Called on the SCM's dispatcher thread: nothing may unwind into it.
        // A stop that failed here is asked again by the SCM, or ends in its
        // failure actions.
        try {
            return static_cast<ServiceContext*>(context)->handle(control);
        } catch (...) {
            return ERROR_EXCEPTION_IN_SERVICE;
        }
    }

    DWORD handle(DWORD control) {
        switch (control) {
            case SERVICE_CONTROL_STOP:
                request_stop("stop");
                return NO_ERROR;
            case SERVICE_CONTROL_SHUTDOWN:
                request_stop("shutdown");
                return NO_ERROR;
            case SERVICE_CONTROL_PRESHUTDOWN:
                request_stop("preshutdown");
                return NO_ERROR;
            case SERVICE_CONTROL_INTERROGATE:
                return NO_ERROR;
            default:
                return ERROR_CALL_NOT_IMPLEMENTED;
        }
    }

    void request_stop(const char* control) {
        report(SERVICE_STOP_PENDING, kStopWaitHintMs);
        std::lock_guard lock(watchdog_mutex_);
        stop_requested_ = true;
        if (logger_) logger_->info("the service control manager asked to stop ({})", control);
        if (watchdog_) watchdog_->stop();  // posts to the watchdog's thread, returns at once
    }

    const CliOptions options_;
    SERVICE_STATUS_HANDLE handle_ = nullptr;
    std::mutex status_mutex_;
    SERVICE_STATUS status_{};
    DWORD checkpoint_ = 0;
    std::mutex watchdog_mutex_;
    Watchdog* watchdog_ = nullptr;
    std::shared_ptr<spdlog::logger> logger_;
    bool stop_requested_ = false;
};

ServiceContext* g_context = nullptr;

// Builds the object graph, reports RUNNING, runs until stopped, tears down.
// Returns the service-specific exit code (0 for a clean stop).
DWORD serve(ServiceContext& context) {
    const CliOptions& options = context.options();
    Win32FileSecurity files;
    // The data folder is made safe before anything in it is judged or used.
    std::string folder_problem;
    try {
        secure_data_folder(data_folder(), files.self());
    } catch (const DataFolderRefused& e) {
        // Someone else's folder (or a link) where the data folder goes:
        // nothing in it is read or written.
        LogAlerts alerts(make_logger(true, {}), kServiceName);
        alerts.raise(EventId::config_refused, {e.what()});
        return kServiceExitBadConfig;
    } catch (const Win32Error& e) {
        folder_problem = e.what();
    }
    ConfigLoad load = load_trusted_config(options.config_path, &files);
    if (!load.config) {
        // No config, so no journal folder for a log file: the event log only.
        LogAlerts alerts(make_logger(true, {}), kServiceName);
        if (load.refused) {
            alerts.raise(EventId::config_refused, {*load.refused});
        } else {
            alerts.raise(EventId::config_rejected,
                         {describe_problems(options.config_path, load.problems)});
        }
        return kServiceExitBadConfig;
    }
    const std::optional<Config> config = std::move(load.config);
    const std::string journal = expand_environment(config->journal);
    std::shared_ptr<spdlog::logger> logger;
    try {
        logger = make_logger(false, journal);
    } catch (const std::exception&) {
        // No event id fits; the SCM's own event 7024 carries the exit code.
        return kServiceExitCannotStart;
    }
    LogAlerts alerts(logger, kServiceName);
    if (!folder_problem.empty()) logger->warn("data folder not made safe: {}", folder_problem);
    std::optional<Watchdog> watchdog;
    try {
        watchdog.emplace(*config, options.config_path, logger, alerts);
    } catch (const std::exception& e) {
        logger->error("not starting: {}", e.what());
        logger->flush();
        return kServiceExitCannotStart;
    }
    context.attach(&*watchdog, logger);
    context.report(SERVICE_RUNNING);
    DWORD code = 0;
    try {
        watchdog->run();
    } catch (const std::exception& e) {
        logger->error("stopped on an unexpected error: {}", e.what());
        code = kServiceExitFailed;
    }
    context.attach(nullptr, nullptr);
    watchdog.reset();
    logger->flush();
    return code;
}

void WINAPI service_main(DWORD, LPWSTR*) {
    ServiceContext& context = *g_context;
    if (!context.register_handler()) return;  // no handle: nothing to report to
    context.report(SERVICE_START_PENDING, kStartWaitHintMs);
    // Called by the SCM's dispatcher: nothing may unwind into it, and the
    // SCM must hear STOPPED (with an exit code its failure actions act on).
    DWORD code = kServiceExitFailed;
    try {
        code = serve(context);
    } catch (...) {
        code = kServiceExitFailed;
    }
    context.report(SERVICE_STOPPED, 0, code);
}

}  // namespace

int run_service(const CliOptions& options, std::ostream& err) {
    // Never freed, on purpose: StartServiceCtrlDispatcher returns as soon as
    // the SCM hears SERVICE_STOPPED, while service_main's thread is still
    // leaving report() (unlocking status_mutex_). A context on this stack was
    // gone by then, and that unlock faulted (Wine runs showed page faults in
    // pthread_mutex_unlock as services stopped). The process ends right after.
    g_context = new ServiceContext(options);
    std::wstring name = kServiceName;  // the table wants a writable string
    const SERVICE_TABLE_ENTRYW table[] = {{name.data(), service_main}, {nullptr, nullptr}};
    const BOOL ok = StartServiceCtrlDispatcherW(table);
    const DWORD error = ok ? NO_ERROR : GetLastError();
    if (error == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
        err << "permwatch: 'run' is started by the service control manager; use 'run --console' "
               "to run in this console\n";
        return 2;
    }
    if (error != NO_ERROR) {
        err << "permwatch: " << describe("connecting to the service control manager", error)
            << "\n";
        return 2;
    }
    return 0;
}

}  // namespace permwatch::win
