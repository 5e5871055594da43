#include "service/service_install.hpp"

#include <windows.h>

#include <chrono>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <type_traits>

#include "core/policy/trusted_executable.hpp"
#include "service/data_folder.hpp"
#include "service/file_security.hpp"
#include "service/key_handle.hpp"
#include "service/service_main.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

constexpr const wchar_t* kDisplayName = L"PermWatch registry permission watchdog";
constexpr const wchar_t* kDescription =
    L"Keeps the permissions (DACLs) of the registry keys named in its configuration as the "
    L"policy requires, repairs drift, and prepares keys before cluster failover restores "
    L"registry checkpoints.";
constexpr const wchar_t* kEventSourceKey =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\PermWatch";
constexpr DWORD kResetPeriodS = 24 * 60 * 60;
// Stopping takes well under a second; preshutdown gives it this much at most
// (the default would hold up a shutdown for three minutes).
constexpr DWORD kPreshutdownTimeoutMs = 10'000;
constexpr auto kUninstallStopWait = std::chrono::seconds(10);

using ScHandle = UniqueServiceHandle;

int fail(std::ostream& err, const std::string& doing, DWORD code) {
    err << "permwatch: " << describe(doing, code) << "\n";
    return code == ERROR_ACCESS_DENIED ? 3 : 2;
}

std::wstring module_path() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n == 0) throw Win32Error("finding permwatch.exe's own path", GetLastError());
        if (n < path.size()) {
            path.resize(n);
            return path;
        }
        path.resize(path.size() * 2);
    }
}

// The SCM starts services in System32: a relative --config must become absolute.
std::wstring full_path(const std::string& path) {
    const std::wstring wide = widen(path);
    const DWORD n = GetFullPathNameW(wide.c_str(), 0, nullptr, nullptr);
    if (n == 0) return wide;
    std::wstring full(n, L'\0');
    const DWORD m = GetFullPathNameW(wide.c_str(), n, full.data(), nullptr);
    if (m == 0 || m >= n) return wide;
    full.resize(m);
    return full;
}

// The service's command line: `install --config F` records F in it, so the
// service reads the config the administrator named.
std::wstring command_line(const std::wstring& exe, const CliOptions& options) {
    std::wstring line = L"\"" + exe + L"\" run";
    if (options.config_path != default_config_path())
        line += L" --config \"" + full_path(options.config_path) + L"\"";
    return line;
}

// Each setting that ChangeServiceConfig2W takes; the first failure is returned.
struct Setting {
    DWORD level;
    void* info;
    const char* what;
};

std::optional<int> configure(SC_HANDLE service, std::ostream& err) {
    SERVICE_DESCRIPTIONW description{const_cast<wchar_t*>(kDescription)};

    // Restart after 5 s, then 10 s, then 60 s; the count resets after a day.
    SC_ACTION actions[] = {
        {SC_ACTION_RESTART, 5'000}, {SC_ACTION_RESTART, 10'000}, {SC_ACTION_RESTART, 60'000}};
    SERVICE_FAILURE_ACTIONSW failure{};
    failure.dwResetPeriod = kResetPeriodS;
    failure.cActions = static_cast<DWORD>(std::size(actions));
    failure.lpsaActions = actions;
    // A bad config ends the service with a service-specific exit code, not a
    // crash: count that as a failure too, so a fixed config is picked up.
    SERVICE_FAILURE_ACTIONS_FLAG failure_flag{TRUE};

    // Its own SID (NT SERVICE\PermWatch) in its token: a policy or a key's
    // DACL can name the service itself rather than all of SYSTEM.
    SERVICE_SID_INFO sid{SERVICE_SID_TYPE_UNRESTRICTED};

    // Least privilege: the SCM strips every privilege not listed here from
    // the service's token. PermWatch needs none beyond traversal:
    // - reading and writing a key's DACL needs READ_CONTROL / WRITE_DAC, which
    //   the key's DACL grants (SYSTEM has them on the keys it manages); where
    //   it does not, the repair fails and is reported, by design;
    // - it never takes ownership (no SeTakeOwnershipPrivilege), never reads or
    //   writes a SACL (no SeSecurityPrivilege), and never opens keys with
    //   backup semantics (no SeBackupPrivilege / SeRestorePrivilege, which
    //   would bypass every DACL: far more than a watchdog should hold);
    // - the pipe's administrator check needs only an identification-level
    //   token of the client, which needs no SeImpersonatePrivilege.
    // SeChangeNotifyPrivilege (bypass traverse checking) is listed because
    // paths such as the journal folder are reached through folders we may not
    // list.
    wchar_t privileges[] = L"SeChangeNotifyPrivilege\0";
    SERVICE_REQUIRED_PRIVILEGES_INFOW required{privileges};

    SERVICE_PRESHUTDOWN_INFO preshutdown{kPreshutdownTimeoutMs};

    const Setting settings[] = {
        {SERVICE_CONFIG_DESCRIPTION, &description, "setting the service's description"},
        {SERVICE_CONFIG_FAILURE_ACTIONS, &failure, "setting the service's failure actions"},
        {SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &failure_flag,
         "making failure actions apply to non-crash failures"},
        {SERVICE_CONFIG_SERVICE_SID_INFO, &sid, "giving the service its own SID"},
        {SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, &required, "limiting the service's privileges"},
        {SERVICE_CONFIG_PRESHUTDOWN_INFO, &preshutdown, "setting the preshutdown timeout"},
    };
    for (const Setting& s : settings) {
        if (ChangeServiceConfig2W(service, s.level, s.info)) continue;
        const DWORD code = GetLastError();
        // ERROR_INVALID_LEVEL: this SCM does not know the setting at all (every
        // Windows since Vista knows them all; Wine 8 lacks three, docs/testing.md
        // (s)). Installing without it beats not installing; say so.
        if (code != ERROR_INVALID_LEVEL) return fail(err, s.what, code);
        err << "permwatch: warning: " << describe(s.what, code)
            << ": this service control manager does not support it; installed without it\n";
    }
    return std::nullopt;
}

std::optional<int> register_event_source(const std::wstring& exe, std::ostream& err) {
    HKEY raw = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, 0, nullptr, 0,
                              KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &raw, nullptr);
    if (rc != ERROR_SUCCESS) {
        return fail(err, "creating the event source HKLM\\" + narrow(kEventSourceKey),
                    static_cast<DWORD>(rc));
    }
    const KeyHandle key(raw);
    const DWORD types = EVENTLOG_ERROR_TYPE | EVENTLOG_WARNING_TYPE | EVENTLOG_INFORMATION_TYPE;
    rc = RegSetValueExW(key.get(), L"EventMessageFile", 0, REG_EXPAND_SZ,
                        reinterpret_cast<const BYTE*>(exe.c_str()),
                        static_cast<DWORD>((exe.size() + 1) * sizeof(wchar_t)));
    if (rc == ERROR_SUCCESS) {
        rc = RegSetValueExW(key.get(), L"TypesSupported", 0, REG_DWORD,
                            reinterpret_cast<const BYTE*>(&types), sizeof types);
    }
    if (rc != ERROR_SUCCESS) {
        return fail(err, "writing the event source HKLM\\" + narrow(kEventSourceKey),
                    static_cast<DWORD>(rc));
    }
    return std::nullopt;
}

// Returns the error, ERROR_SUCCESS when removed or never there.
LONG remove_event_source() {
    const LONG rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, KEY_WOW64_64KEY, 0);
    return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
}

std::string account_name(const CliOptions& options) {
    return options.account ? *options.account : "LocalSystem";
}

// Asks a running service to stop and waits for it. True when it is stopped.
bool stop_and_wait(SC_HANDLE service, std::ostream& out) {
    SERVICE_STATUS status{};
    if (!QueryServiceStatus(service, &status)) return false;
    if (status.dwCurrentState == SERVICE_STOPPED) return true;
    out << "stopping PermWatch...\n";
    if (!ControlService(service, SERVICE_CONTROL_STOP, &status) &&
        GetLastError() != ERROR_SERVICE_NOT_ACTIVE &&
        GetLastError() != ERROR_SERVICE_CANNOT_ACCEPT_CTRL) {
        return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + kUninstallStopWait;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!QueryServiceStatus(service, &status)) return false;
        if (status.dwCurrentState == SERVICE_STOPPED) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace

namespace {

// The exe's file and every folder up to the root, read with
// GetNamedSecurityInfo (Win32FileSecurity).
std::optional<std::string> refuse_replaceable(const std::wstring& exe) {
    Win32FileSecurity files;
    ExecutableFacts facts;
    facts.read = [&files](const std::string& path) { return files.read(path); };
    facts.account_name = [&files](const Sid& sid) { return files.account_name(sid); };
    facts.installer = files.self();
    try {
        return refuse_replaceable_executable(narrow(exe), facts);
    } catch (const std::exception& e) {
        // A path that is not valid text (the UTF-16 conversion refused it).
        return std::string("refusing to register permwatch.exe: its path: ") + e.what();
    }
}

// `install`'s first step, and the MSI's: %ProgramData%\PermWatch with its
// safe owner and DACL, made or put right.
std::optional<int> secure_folder(std::ostream& out, std::ostream& err) {
    try {
        secure_data_folder(data_folder(), std::nullopt);
    } catch (const Win32Error& e) {
        err << "permwatch: " << e.what() << "\n";
        return e.code() == ERROR_ACCESS_DENIED ? 3 : 2;
    }
    out << "data folder " << data_folder()
        << ": owned by Administrators; SYSTEM and Administrators full control, Users read\n";
    return std::nullopt;
}

// The MSI's deferred custom action (installer/permwatch.wxs), run as
// LocalSystem after InstallServices: Windows Installer registered the
// service and the event source; this gives the service what `install` gives
// one it creates, from the same code (configure): failure actions, service
// SID type, required privileges, preshutdown timeout; and the data folder's
// DACL, which wixl's MSI cannot set (no LockPermissions table).
int configure_installed_service(std::ostream& out, std::ostream& err) {
    const ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm) {
        return fail(err, "opening the service control manager (install needs an administrator)",
                    GetLastError());
    }
    if (auto failed = secure_folder(out, err)) return *failed;
    // SERVICE_START: SC_ACTION_RESTART failure actions need it on this handle.
    const ScHandle service(OpenServiceW(
        scm.get(), kServiceName, SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG | SERVICE_START));
    if (!service) return fail(err, "opening the service PermWatch", GetLastError());
    if (auto failed = configure(service.get(), err)) return *failed;
    out << "configured PermWatch: restart after 5 s, 10 s, 60 s (reset after a day), "
           "unrestricted service SID, only SeChangeNotifyPrivilege, preshutdown 10 s\n";
    return 0;
}

}  // namespace

int install_service(const CliOptions& options, std::ostream& out, std::ostream& err) {
    if (options.configure_only) return configure_installed_service(out, err);
    std::wstring exe;
    try {
        exe = module_path();
    } catch (const Win32Error& e) {
        err << "permwatch: " << e.what() << "\n";
        return 2;
    }
    const ScHandle scm(
        OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE));
    if (!scm) {
        return fail(err, "opening the service control manager (install needs an administrator)",
                    GetLastError());
    }
    // The SCM will run this file as LocalSystem: refuse one that a
    // non-administrator could replace, or plant a DLL beside, or swap a
    // folder of its path for another (core/policy/trusted_executable.hpp).
    if (auto refused = refuse_replaceable(exe)) {
        err << "permwatch: " << *refused << "\n";
        return 2;
    }
    // The data folder first, and also when the service is installed already:
    // running install again puts the folder's owner and DACL right.
    if (auto failed = secure_folder(out, err)) return *failed;
    const std::wstring line = command_line(exe, options);
    const std::wstring account = options.account ? widen(*options.account) : std::wstring();
    // SERVICE_START: SC_ACTION_RESTART failure actions need it on this handle.
    const ScHandle service(CreateServiceW(
        scm.get(), kServiceName, kDisplayName,
        SERVICE_CHANGE_CONFIG | SERVICE_QUERY_CONFIG | SERVICE_START | DELETE,
        SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, line.c_str(), nullptr,
        nullptr, nullptr, options.account ? account.c_str() : nullptr, nullptr));
    if (!service) {
        const DWORD code = GetLastError();
        if (code == ERROR_SERVICE_EXISTS) {
            out << "PermWatch is already installed; nothing changed (uninstall first to change "
                   "its settings)\n";
            return 0;
        }
        return fail(err, "creating the service PermWatch", code);
    }
    std::optional<int> failed = configure(service.get(), err);
    if (!failed) failed = register_event_source(exe, err);
    if (failed) {
        // Leave nothing half-installed: a second install would otherwise say
        // "already installed" about a service without its failure actions.
        DeleteService(service.get());
        remove_event_source();
        return *failed;
    }
    out << "installed PermWatch (automatic start, account " << account_name(options)
        << "): " << narrow(line) << "\n"
        << "start it now with: sc start PermWatch\n";
    return 0;
}

int uninstall_service(std::ostream& out, std::ostream& err) {
    const ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm) {
        return fail(err, "opening the service control manager (uninstall needs an administrator)",
                    GetLastError());
    }
    const ScHandle service(
        OpenServiceW(scm.get(), kServiceName, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE));
    if (!service) {
        const DWORD code = GetLastError();
        if (code != ERROR_SERVICE_DOES_NOT_EXIST)
            return fail(err, "opening the service PermWatch", code);
        // A leftover event source from an interrupted uninstall goes too.
        if (const LONG rc = remove_event_source(); rc != ERROR_SUCCESS) {
            return fail(err, "removing the event source HKLM\\" + narrow(kEventSourceKey),
                        static_cast<DWORD>(rc));
        }
        out << "PermWatch is not installed; nothing to remove\n";
        return 0;
    }
    const bool stopped = stop_and_wait(service.get(), out);
    if (!DeleteService(service.get()) && GetLastError() != ERROR_SERVICE_MARKED_FOR_DELETE)
        return fail(err, "deleting the service PermWatch", GetLastError());
    if (const LONG rc = remove_event_source(); rc != ERROR_SUCCESS) {
        return fail(err, "removing the event source HKLM\\" + narrow(kEventSourceKey),
                    static_cast<DWORD>(rc));
    }
    if (!stopped) {
        out << "PermWatch did not stop within " << kUninstallStopWait.count()
            << " s; it is marked for deletion and goes when it stops\n";
    }
    out << "removed PermWatch and its event source; the journal and log files are kept\n";
    return 0;
}

}  // namespace permwatch::win
