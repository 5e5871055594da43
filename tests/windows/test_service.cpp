// The service end to end under Wine: the real permwatch.exe installed into
// Wine's SCM (services.exe), started, repairing a real key, stopped and
// uninstalled; and the message table inside permwatch.exe.
//
// Stand-ins, and why (docs/testing.md (s)): Wine's SCM does not know three
// ChangeServiceConfig2 settings (failure-actions flag, service SID type,
// required privileges) and cannot read failure actions back, so those are
// checked only where the SCM answers; services run as the prefix's user, not
// LocalSystem; ReportEvent writes no log that a test could read, so the event
// texts are checked in the binary's message table with FormatMessage instead.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "core/engine/event_text.hpp"
#include "core/security/sddl.hpp"
#include "process_test_support.hpp"
#include "scm_test_support.hpp"
#include "service/file_journal.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_service {

using namespace test;  // SCM and registry helpers

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// BU must hold full control; the broken DACL gives it only read.
const char* const kBroken = "D:(A;CI;KR;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)";
const char* const kFixed = "D:(A;CI;KA;;;BU)(A;CI;KA;;;SY)(A;CI;KA;;;BA)";

// What the tests install: a copy under C:\Program Files, as an administrator
// would install it. `install` refuses an exe in a folder others may change,
// and the build tree may sit below /tmp, which Wine reports (from its Unix
// mode, 1777) as a folder Everyone may delete files in. Copied once per run;
// if the copy fails the build tree's exe is used, and install says why.
std::filesystem::path permwatch_exe() {
    static const std::filesystem::path exe = [] {
        const std::filesystem::path folder = L"C:\\Program Files\\PermWatchTest";
        const std::filesystem::path copy = folder / L"permwatch.exe";
        CreateDirectoryW(folder.c_str(), nullptr);
        return CopyFileW(test::built_permwatch_exe().c_str(), copy.c_str(), FALSE)
                   ? copy
                   : test::built_permwatch_exe();
    }();
    return exe;
}

struct Output {
    DWORD exit_code = 0xFFFFFFFF;
    std::string text;  // stdout and stderr together
};

// Runs a command line with stdout+stderr captured; gives up after `limit`.
Output run(const std::wstring& command_line, std::chrono::milliseconds limit = 30s) {
    test::ChildProcess child(command_line);
    if (!child.started())
        return {0xFFFFFFFF, "CreateProcess failed: " + std::to_string(child.start_error())};
    const DWORD code = child.wait(limit);
    return {code, child.text()};
}

Output permwatch(const std::wstring& args) {
    return run(L"\"" + permwatch_exe().wstring() + L"\" " + args);
}

// Removes the service and event source with plain Win32 calls, independent
// of the code under test, whatever state a failed test left them in.
void force_uninstall() {
    const ScHandle scm = open_scm();
    if (scm) {
        const ScHandle service = open_service(scm);
        if (service) {
            SERVICE_STATUS status{};
            ControlService(service.get(), SERVICE_CONTROL_STOP, &status);
            wait_for_state(service, SERVICE_STOPPED, 10s);
            DeleteService(service.get());
        }
    }
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, KEY_WOW64_64KEY, 0);
}

class Service : public test::WineKeyTest {
protected:
    void SetUp() override {
        force_uninstall();
        WineKeyTest::SetUp();
    }
    void TearDown() override {
        force_uninstall();
        WineKeyTest::TearDown();
    }

    std::string journal_path() const { return (temp_dir / "journal.jsonl").string(); }

    // A config that wants BU to have full control of the test key.
    std::filesystem::path write_config(const std::string& name = "permwatch.json") const {
        const nlohmann::json j = {{"version", 1},
                                  {"sweep_interval_s", 1},
                                  {"debounce_ms", 0},
                                  {"pipe", "permwatch-service-test"},
                                  {"journal", journal_path()},
                                  {"keys",
                                   {{{"path", path},
                                     {"require",
                                      {{{"principal", "BU"},
                                        {"rights", {"KEY_ALL_ACCESS"}},
                                        {"inherit", {"container"}}}}}}}}};
        const auto file = temp_dir / name;
        std::ofstream(file) << j.dump(2);
        return file;
    }

    std::wstring install_args(const std::filesystem::path& config) const {
        return L"install --config \"" + config.wstring() + L"\"";
    }

    template <class F>
    static bool eventually(F done, std::chrono::milliseconds limit = 10s) {
        return test::eventually(done, limit);
    }
};

TEST_F(Service, RunOutsideTheScmPointsToConsoleMode) {
    const auto start = Clock::now();
    Output out = permwatch(L"run");
    std::cout << "[ measured ] 'run' outside the SCM returned after "
              << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count()
              << " ms\n";
    EXPECT_EQ(out.exit_code, 2u) << out.text;
    std::erase(out.text, '\r');  // stderr is in text mode
    EXPECT_EQ(out.text,
              "permwatch: 'run' is started by the service control manager; use 'run --console' "
              "to run in this console\n");
}

TEST_F(Service, InstallStartRepairStopUninstall) {
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    const auto config = write_config();

    const Output installed = permwatch(install_args(config));
    ASSERT_EQ(installed.exit_code, 0u) << installed.text;
    EXPECT_NE(installed.text.find("installed PermWatch"), std::string::npos) << installed.text;
    // install makes the data folder (its DACL does not stick under Wine:
    // docs/testing.md (x); tests/core/test_file_trust.cpp judges it natively).
    EXPECT_NE(installed.text.find("data folder C:\\ProgramData\\PermWatch"), std::string::npos)
        << installed.text;
    EXPECT_TRUE(std::filesystem::is_directory("C:\\ProgramData\\PermWatch"));

    // sc.exe sees it, stopped.
    const Output sc = run(L"sc query PermWatch");
    EXPECT_NE(sc.text.find("PermWatch"), std::string::npos) << sc.text;
    EXPECT_NE(sc.text.find("STOPPED"), std::string::npos) << sc.text;

    const ScHandle scm = open_scm();
    ASSERT_TRUE(scm);
    ScHandle service = open_service(scm);
    ASSERT_TRUE(service);

    const ServiceConfig c = query_config(service);
    EXPECT_EQ(c.display_name, L"PermWatch registry permission watchdog");
    EXPECT_EQ(c.start_type, static_cast<DWORD>(SERVICE_AUTO_START));
    EXPECT_EQ(c.service_type & SERVICE_WIN32_OWN_PROCESS,
              static_cast<DWORD>(SERVICE_WIN32_OWN_PROCESS));
    EXPECT_EQ(c.binary_path,
              L"\"" + permwatch_exe().wstring() + L"\" run --config \"" + config.wstring() + L"\"");
    EXPECT_EQ(_wcsicmp(c.account.c_str(), L"LocalSystem"), 0) << win::narrow(c.account);

    DWORD error = 0;
    const auto description = query_config2(service, SERVICE_CONFIG_DESCRIPTION, &error);
    ASSERT_EQ(error, 0u);
    const auto* d = reinterpret_cast<const SERVICE_DESCRIPTIONW*>(description.data());
    ASSERT_NE(d->lpDescription, nullptr);
    EXPECT_NE(std::wstring(d->lpDescription).find(L"registry"), std::wstring::npos);

    ASSERT_NO_FATAL_FAILURE(expect_configured_like_permwatch_install(service));

    // The event source points at permwatch.exe's message table.
    HKEY source = nullptr;
    ASSERT_EQ(
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, 0, KEY_READ | KEY_WOW64_64KEY, &source),
        ERROR_SUCCESS);
    wchar_t file[MAX_PATH] = {};
    DWORD size = sizeof file;
    DWORD type = 0;
    EXPECT_EQ(RegQueryValueExW(source, L"EventMessageFile", nullptr, &type,
                               reinterpret_cast<BYTE*>(file), &size),
              ERROR_SUCCESS);
    EXPECT_EQ(type, static_cast<DWORD>(REG_EXPAND_SZ));
    EXPECT_EQ(std::wstring(file), permwatch_exe().wstring());
    DWORD types = 0;
    size = sizeof types;
    EXPECT_EQ(RegQueryValueExW(source, L"TypesSupported", nullptr, &type,
                               reinterpret_cast<BYTE*>(&types), &size),
              ERROR_SUCCESS);
    EXPECT_EQ(types, 7u);
    RegCloseKey(source);

    // Start: the service repairs the key at start and journals first.
    const auto start = Clock::now();
    ASSERT_TRUE(StartServiceW(service.get(), 0, nullptr)) << GetLastError();
    const auto running = wait_for_state(service, SERVICE_RUNNING, 10s);
    ASSERT_TRUE(running) << "state " << state_of(service);
    const win::UniqueKernelHandle process = open_service_process(service);
    ASSERT_TRUE(process) << GetLastError();
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }))
        << test::dacl_sddl(path);
    const auto repaired_after =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    EXPECT_TRUE(
        eventually([&] { return !win::read_journal_file(journal_path()).entries.empty(); }));
    const auto entries = win::read_journal_file(journal_path()).entries;
    ASSERT_FALSE(entries.empty());
    EXPECT_EQ(entries[0].reason, "drift");
    EXPECT_EQ(parse_sddl(entries[0].before).dacl, parse_sddl(kBroken).dacl);

    // Sabotage while it runs: the one-second sweep puts it back (no DACL
    // change notifications under Wine, docs/testing.md (c)).
    ASSERT_EQ(test::set_dacl(path, kBroken), 0);
    EXPECT_TRUE(eventually([&] { return test::dacl_sddl(path) == kFixed; }))
        << test::dacl_sddl(path);
    EXPECT_TRUE(
        eventually([&] { return win::read_journal_file(journal_path()).entries.size() >= 2; }));

    // The log file beside the journal.
    EXPECT_TRUE(std::filesystem::exists(temp_dir / "permwatch.log"));

    // `status --json` asks the running service over its pipe.
    const Output status_json = permwatch(L"status --json --config \"" + config.wstring() + L"\"");
    ASSERT_EQ(status_json.exit_code, 0u) << status_json.text;
    const auto doc = nlohmann::json::parse(status_json.text);
    EXPECT_EQ(doc["ok"], true);
    EXPECT_EQ(doc["keys"][0]["state"], "repaired");
    EXPECT_GE(doc["counters"]["repairs"].get<int>(), 2);
    EXPECT_EQ(doc["cluster"]["available"], false);  // no Cluster service in Wine
    const Output status_table = permwatch(L"status --config \"" + config.wstring() + L"\"");
    EXPECT_EQ(status_table.exit_code, 0u) << status_table.text;
    EXPECT_NE(status_table.text.find("repaired"), std::string::npos) << status_table.text;

    // Stop through the SCM, as `net stop` does; 5 s is the goal, 15 s the bound.
    SERVICE_STATUS status{};
    const auto stop = Clock::now();
    ASSERT_TRUE(ControlService(service.get(), SERVICE_CONTROL_STOP, &status)) << GetLastError();
    const auto stopped = wait_for_state(service, SERVICE_STOPPED, 15s);
    ASSERT_TRUE(stopped) << "state " << state_of(service);
    const auto stop_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop);
    state_of(service, &status);
    EXPECT_EQ(status.dwWin32ExitCode, static_cast<DWORD>(NO_ERROR));
    // The process itself ends cleanly after STOPPED: nothing it still runs
    // then may touch freed state (0xC0000005 would be an access violation).
    EXPECT_EQ(exit_code_within(process, 15s), std::optional<DWORD>(0));
    const Output not_running = permwatch(L"status --config \"" + config.wstring() + L"\"");
    EXPECT_EQ(not_running.exit_code, 4u) << not_running.text;
    std::cout << "[ measured ] running after " << running->count() << " ms; key repaired "
              << repaired_after.count() << " ms after StartService; stopped " << stop_ms.count()
              << " ms after ControlService(STOP)\n";

    // The SCM deletes a service when its last handle closes: close ours first.
    service.reset();
    const Output uninstalled = permwatch(L"uninstall");
    EXPECT_EQ(uninstalled.exit_code, 0u) << uninstalled.text;
    DWORD open_error = 0;
    const ScHandle gone = open_service(scm, &open_error);
    EXPECT_FALSE(gone);
    EXPECT_EQ(open_error, static_cast<DWORD>(ERROR_SERVICE_DOES_NOT_EXIST));
    EXPECT_FALSE(event_source_exists());
    // The journal and the log are kept.
    EXPECT_TRUE(std::filesystem::exists(journal_path()));
    EXPECT_TRUE(std::filesystem::exists(temp_dir / "permwatch.log"));
}

TEST_F(Service, SecondInstallSaysSoAndChangesNothing) {
    const auto first = write_config("first.json");
    const auto second = write_config("second.json");
    const Output installed = permwatch(install_args(first));
    ASSERT_EQ(installed.exit_code, 0u) << installed.text;
    const ScHandle scm = open_scm();
    const ScHandle service = open_service(scm);
    ASSERT_TRUE(service);
    const ServiceConfig before = query_config(service);

    const Output again = permwatch(install_args(second) + L" --account .\\nobody");
    EXPECT_EQ(again.exit_code, 0u) << again.text;
    EXPECT_NE(again.text.find("PermWatch is already installed"), std::string::npos) << again.text;
    EXPECT_EQ(query_config(service), before);
    EXPECT_TRUE(event_source_exists());
}

TEST_F(Service, UninstallWhenAbsentSaysSoAndExitsZero) {
    const Output out = permwatch(L"uninstall");
    EXPECT_EQ(out.exit_code, 0u) << out.text;
    EXPECT_NE(out.text.find("not installed"), std::string::npos) << out.text;
}

TEST_F(Service, UninstallStopsARunningService) {
    const Output installed = permwatch(install_args(write_config()));
    ASSERT_EQ(installed.exit_code, 0u) << installed.text;
    const ScHandle scm = open_scm();
    {
        const ScHandle service = open_service(scm);
        ASSERT_TRUE(StartServiceW(service.get(), 0, nullptr)) << GetLastError();
        ASSERT_TRUE(wait_for_state(service, SERVICE_RUNNING, 10s));
    }
    const Output out = permwatch(L"uninstall");
    EXPECT_EQ(out.exit_code, 0u) << out.text;
    DWORD error = 0;
    EXPECT_FALSE(open_service(scm, &error));
    EXPECT_EQ(error, static_cast<DWORD>(ERROR_SERVICE_DOES_NOT_EXIST)) << out.text;
}

// A bad config ends the service with a service-specific exit code, which the
// SCM's failure actions treat as a failure (restart later).
TEST_F(Service, BadConfigStopsWithServiceSpecificExitCode) {
    const auto config = temp_dir / "bad.json";
    std::ofstream(config) << R"({"version": 1, "keys": [{"path": "HKCU\\X", "require": []}]})";
    const Output installed = permwatch(install_args(config));
    ASSERT_EQ(installed.exit_code, 0u) << installed.text;
    const ScHandle scm = open_scm();
    const ScHandle service = open_service(scm);
    ASSERT_TRUE(StartServiceW(service.get(), 0, nullptr)) << GetLastError();
    ASSERT_TRUE(wait_for_state(service, SERVICE_STOPPED, 10s));
    SERVICE_STATUS status{};
    state_of(service, &status);
    EXPECT_EQ(status.dwWin32ExitCode, static_cast<DWORD>(ERROR_SERVICE_SPECIFIC_ERROR));
    EXPECT_EQ(status.dwServiceSpecificExitCode, 2u);
}

// The message table is in permwatch.exe and says what the log file says:
// FormatMessage with LogAlerts' insertion strings gives event_message's text.
TEST(Messages, EveryContractIdIsInPermwatchExeWithTheLogFileText) {
    const HMODULE exe = LoadLibraryExW(permwatch_exe().c_str(), nullptr, LOAD_LIBRARY_AS_DATAFILE);
    ASSERT_NE(exe, nullptr) << GetLastError() << " " << permwatch_exe().string();
    const std::vector<std::string> strings = {"HKLM\\SOFTWARE\\A", "D:(A;;KR;;;BU)",
                                              "D:(A;;KA;;;BU)", "300"};
    for (const EventId id :
         {EventId::service_started, EventId::service_stopped, EventId::drift_found,
          EventId::drift_repaired, EventId::repair_failed, EventId::flapping,
          EventId::journal_flush_failed, EventId::failover_prepared, EventId::checkpoint_rechecked,
          EventId::cluster_resync, EventId::failover_timed_out, EventId::config_rejected,
          EventId::config_refused, EventId::pipe_not_created}) {
        std::vector<std::wstring> wide;
        for (const std::string& s : strings) wide.push_back(win::widen(s));
        std::vector<DWORD_PTR> args;
        for (const std::wstring& w : wide) args.push_back(reinterpret_cast<DWORD_PTR>(w.c_str()));
        wchar_t* text = nullptr;
        const DWORD n = FormatMessageW(
            FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ALLOCATE_BUFFER |
                FORMAT_MESSAGE_ARGUMENT_ARRAY,
            exe, static_cast<DWORD>(id), MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US),
            reinterpret_cast<wchar_t*>(&text), 0, reinterpret_cast<va_list*>(args.data()));
        ASSERT_NE(n, 0u) << "event " << static_cast<int>(id) << ": error " << GetLastError();
        EXPECT_EQ(win::narrow(std::wstring(text, n)), event_message(id, strings))
            << "event " << static_cast<int>(id);
        LocalFree(text);
    }
    FreeLibrary(exe);
}

}  // namespace test_service
}  // namespace permwatch
