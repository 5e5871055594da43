#include "service/console_runner.hpp"

#include <windows.h>

#include <atomic>
#include <ostream>

#include "core/cli/cli.hpp"
#include "core/policy/trusted_config.hpp"
#include "service/data_folder.hpp"
#include "service/file_security.hpp"
#include "service/watchdog.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

std::atomic<Watchdog*> running{nullptr};

BOOL WINAPI on_console_control(DWORD type) {
    switch (type) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT:
            // On a thread Windows made for the signal: nothing may unwind
            // into it. If the stop cannot be posted, FALSE lets Windows' own
            // handler end the process, which is what Ctrl+C asked for.
            try {
                if (Watchdog* w = running.load()) w->stop();
                return TRUE;
            } catch (...) {
                return FALSE;
            }
        default:
            return FALSE;
    }
}

}  // namespace

int run_console(const CliOptions& options, std::ostream& err) {
    Win32FileSecurity files;
    const auto config = load_trusted_config_file(options.config_path, err, &files);
    if (!config) return 2;
    auto logger = make_logger(true, {});
    LogAlerts alerts(logger, {});
    try {
        ensure_data_folder_for(expand_environment(config->journal), files.self());
        Watchdog watchdog(*config, options.config_path, logger, alerts);
        running = &watchdog;
        SetConsoleCtrlHandler(on_console_control, TRUE);
        watchdog.run();
        SetConsoleCtrlHandler(on_console_control, FALSE);
        running = nullptr;
    } catch (const Win32Error& e) {
        running = nullptr;
        err << "permwatch: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        SetConsoleCtrlHandler(on_console_control, FALSE);
        running = nullptr;
        err << "permwatch: stopped on an unexpected error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}

}  // namespace permwatch::win
