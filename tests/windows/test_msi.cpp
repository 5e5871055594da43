// The MSI under Wine: <build>/installer/permwatch.msi (target `msi`, wixl)
// installed and removed with Wine's msiexec, checked with plain Win32 calls.
//
// Stand-ins, and why (docs/testing.md (m)): Wine's msi.dll runs the MSI's
// tables (InstallServices, StartServices, NeverOverwrite) as Windows Installer
// would, with three differences the tests allow for: it writes the service's
// image path unquoted; `/fa <package>` fails with 1605, so the repair is
// `/i REINSTALL=ALL REINSTALLMODE=amus`; and it keeps the ProgramData config
// on uninstall even without the Permanent bit, so the test cannot tell that
// bit's effect. The upgrade is from permwatch-older.msi, the same product at
// ProductVersion 0.0.9 (installer/CMakeLists.txt builds both).
//
// What the custom action gives the service can be read
// back under Wine only in part (docs/testing.md (s), (m)): the preshutdown
// timeout is stored and read back, so it proves that the action ran; failure
// actions, the SID type and the privileges are checked where the SCM
// answers (Wine 8 answers 124 for them).
#include <gtest/gtest.h>

#include <windows.h>

// msi.h after windows.h
#include <msi.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "scm_test_support.hpp"

namespace permwatch {
namespace test_msi {

using namespace test;  // SCM helpers

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

fs::path self_dir() {
    wchar_t self[MAX_PATH];
    const DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
    return fs::path(std::wstring(self, n)).parent_path();
}

// <build>/tests/windows_tests.exe -> <build>/installer/permwatch.msi
fs::path msi_path() { return self_dir().parent_path() / L"installer" / L"permwatch.msi"; }
fs::path older_msi_path() {
    return self_dir().parent_path() / L"installer" / L"permwatch-older.msi";
}
constexpr const wchar_t* kUpgradeCode = L"{1C2CAC2C-169F-478D-8B74-37B4BF6D46E5}";

fs::path known_dir(const wchar_t* variable) {
    wchar_t value[MAX_PATH];
    const DWORD n = GetEnvironmentVariableW(variable, value, MAX_PATH);
    return n > 0 && n < MAX_PATH ? fs::path(std::wstring(value, n)) : fs::path();
}
fs::path program_files_dir() { return known_dir(L"ProgramFiles") / L"PermWatch"; }
fs::path program_data_dir() { return known_dir(L"ProgramData") / L"PermWatch"; }

struct Exec {
    DWORD exit_code = 0xFFFFFFFF;
    std::chrono::milliseconds took{};
};

// msiexec with `args`; waits up to 60 s.
Exec msiexec(const std::wstring& args) {
    Exec r;
    std::wstring line = L"msiexec.exe " + args;
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    const auto start = Clock::now();
    if (!CreateProcessW(nullptr, line.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si,
                        &pi)) {
        return r;
    }
    if (WaitForSingleObject(pi.hProcess, 60'000) == WAIT_OBJECT_0)
        GetExitCodeProcess(pi.hProcess, &r.exit_code);
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return r;
}

std::wstring quoted_msi() { return L"\"" + msi_path().wstring() + L"\""; }
std::wstring quoted(const fs::path& p) { return L"\"" + p.wstring() + L"\""; }

// The installed products of PermWatch's UpgradeCode, with their versions.
std::vector<std::pair<std::wstring, std::wstring>> installed_products() {
    std::vector<std::pair<std::wstring, std::wstring>> out;
    wchar_t product[39];
    for (DWORD i = 0; MsiEnumRelatedProductsW(kUpgradeCode, 0, i, product) == ERROR_SUCCESS; ++i) {
        wchar_t version[64] = {};
        DWORD size = 64;
        MsiGetProductInfoW(product, INSTALLPROPERTY_VERSIONSTRING, version, &size);
        out.emplace_back(product, version);
    }
    return out;
}

bool service_exists() { return static_cast<bool>(open_service(open_scm())); }

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string win_text(const std::wstring& text) {
    std::string out;
    for (const wchar_t c : text) out += c < 128 ? static_cast<char>(c) : '?';
    return out;
}

void print_measured(const char* what, const Exec& r) {
    std::cout << "[ measured ] " << what << ": " << r.took.count() << " ms, exit " << r.exit_code
              << "\n";
}

// No PermWatch product, service, event source or files: msiexec /x first,
// then plain Win32 calls for whatever a failed run left behind. The SCM
// starts an installed auto-start service at the next rig_start.
void remove_everything() {
    if (fs::exists(msi_path())) msiexec(L"/x " + quoted_msi() + L" /qn");
    if (fs::exists(older_msi_path())) msiexec(L"/x " + quoted(older_msi_path()) + L" /qn");
    for (const auto& [product, version] : installed_products()) msiexec(L"/x " + product + L" /qn");
    if (const ScHandle scm = open_scm()) {
        if (const ScHandle service = open_service(scm)) {
            SERVICE_STATUS status{};
            ControlService(service.get(), SERVICE_CONTROL_STOP, &status);
            wait_for_state(service, SERVICE_STOPPED, 10s);
            DeleteService(service.get());
        }
    }
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, KEY_WOW64_64KEY, 0);
    std::error_code ec;
    fs::remove_all(program_files_dir(), ec);
    fs::remove_all(program_data_dir(), ec);
}

class Msi : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(fs::exists(msi_path()))
            << msi_path().string() << " is missing: build the msi target (needs wixl, msibuild)";
        remove_everything();
        ASSERT_FALSE(service_exists());
    }
    void TearDown() override { remove_everything(); }

    // msiexec /i, then the service is RUNNING.
    void install() {
        const Exec r = msiexec(L"/i " + quoted_msi() + L" /qn");
        print_measured("msiexec /i /qn", r);
        ASSERT_EQ(r.exit_code, 0u);
        const ScHandle service = open_service(open_scm());
        ASSERT_TRUE(service) << "no service PermWatch after msiexec /i";
        const auto running = wait_for_state(service, SERVICE_RUNNING, 15s);
        ASSERT_TRUE(running) << "state " << state_of(service);
        std::cout << "[ measured ] RUNNING " << running->count() << " ms after msiexec returned\n";
    }

    void install_older() {
        ASSERT_TRUE(fs::exists(older_msi_path())) << older_msi_path().string();
        const Exec r = msiexec(L"/i " + quoted(older_msi_path()) + L" /qn");
        print_measured("msiexec /i permwatch-older.msi /qn", r);
        ASSERT_EQ(r.exit_code, 0u);
        const ScHandle service = open_service(open_scm());
        ASSERT_TRUE(service) << "no service PermWatch after msiexec /i";
        ASSERT_TRUE(wait_for_state(service, SERVICE_RUNNING, 15s)) << "state " << state_of(service);
    }

    void uninstall() {
        const Exec r = msiexec(L"/x " + quoted_msi() + L" /qn");
        print_measured("msiexec /x /qn", r);
        ASSERT_EQ(r.exit_code, 0u);
    }

    fs::path config() const { return program_data_dir() / L"permwatch.json"; }
    fs::path journal() const { return program_data_dir() / L"journal.jsonl"; }
};

TEST_F(Msi, InstallStartsTheServiceUninstallRemovesItAndKeepsConfigAndJournal) {
    ASSERT_NO_FATAL_FAILURE(install());

    const fs::path exe = program_files_dir() / L"permwatch.exe";
    EXPECT_TRUE(fs::exists(exe)) << exe.string();
    EXPECT_TRUE(fs::exists(program_files_dir() / L"permwatch.json"));
    // The PowerShell module, where Windows PowerShell and PowerShell 7 look.
    // Presence only: the msi target does not depend on the module's files,
    // so a module edited since the last MSI build would differ.
    const fs::path module =
        known_dir(L"ProgramFiles") / L"WindowsPowerShell" / L"Modules" / L"PermWatch";
    for (const char* f : {"PermWatch.psd1", "PermWatch.psm1", "PermWatch.format.ps1xml"}) {
        EXPECT_TRUE(fs::exists(module / f)) << (module / f).string();
    }
    EXPECT_TRUE(fs::exists(config())) << config().string();
    EXPECT_EQ(read_file(config()),
              read_file(fs::path(PERMWATCH_SOURCE_DIR) / "config" / "permwatch.json"));
    EXPECT_TRUE(event_source_exists());
    {
        // As `permwatch install` writes them (service/service_install.cpp).
        wchar_t file[MAX_PATH] = {};
        DWORD size = sizeof file;
        DWORD type = 0;
        EXPECT_EQ(RegGetValueW(HKEY_LOCAL_MACHINE, kEventSourceKey, L"EventMessageFile",
                               RRF_RT_ANY | RRF_NOEXPAND, &type, file, &size),
                  ERROR_SUCCESS);
        EXPECT_EQ(type, static_cast<DWORD>(REG_EXPAND_SZ));
        EXPECT_EQ(fs::path(file), exe) << win_text(file);
        DWORD types = 0;
        size = sizeof types;
        EXPECT_EQ(RegGetValueW(HKEY_LOCAL_MACHINE, kEventSourceKey, L"TypesSupported",
                               RRF_RT_REG_DWORD, nullptr, &types, &size),
                  ERROR_SUCCESS);
        EXPECT_EQ(types, 7u);
    }
    {
        const ScHandle service = open_service(open_scm());
        const ServiceConfig c = query_config(service);
        EXPECT_EQ(c.start_type, static_cast<DWORD>(SERVICE_AUTO_START));
        // Windows Installer quotes the image path; Wine's msi.dll does not
        // (docs/testing.md (m)), and Wine's SCM starts it all the same.
        const std::wstring args = L" run --config \"" + config().wstring() + L"\"";
        EXPECT_TRUE(c.binary_path == L"\"" + exe.wstring() + L"\"" + args ||
                    c.binary_path == exe.wstring() + args)
            << win_text(c.binary_path);
    }

    // The journal is the service's; the installer must leave it alone.
    if (!fs::exists(journal())) std::ofstream(journal()) << "{\"written_by\":\"test_msi\"}\n";
    const std::string journal_before = read_file(journal());

    ASSERT_NO_FATAL_FAILURE(uninstall());
    EXPECT_FALSE(service_exists());
    EXPECT_FALSE(fs::exists(exe));
    EXPECT_FALSE(fs::exists(module / "PermWatch.psm1"));
    EXPECT_FALSE(event_source_exists());
    EXPECT_TRUE(fs::exists(config())) << "Permanent: uninstall keeps the config";
    EXPECT_EQ(read_file(journal()), journal_before);
}

// The MSI's service gets what `permwatch install` gives
// (the ConfigureService custom action runs `permwatch.exe install
// --configure-only`, deferred, as LocalSystem, before StartServices), and
// the data folder is made safe by the MSI, not only later by the service.
TEST_F(Msi, TheServiceGetsTheFailureActionsSidAndPrivilegesOfPermwatchInstall) {
    ASSERT_NO_FATAL_FAILURE(install());
    {
        SCOPED_TRACE("the MSI's ConfigureService custom action");
        ASSERT_NO_FATAL_FAILURE(expect_configured_like_permwatch_install(open_service(open_scm())));
    }
    EXPECT_TRUE(fs::is_directory(program_data_dir()));
    ASSERT_EQ(installed_products().size(), 1u);
    // A repair reinstalls the service (InstallServices) and runs the action again.
    const Exec r = msiexec(L"/i " + quoted_msi() + L" REINSTALL=ALL REINSTALLMODE=amus /qn");
    print_measured("msiexec /i REINSTALL=ALL REINSTALLMODE=amus", r);
    EXPECT_EQ(r.exit_code, 0u);
    {
        SCOPED_TRACE("the MSI's ConfigureService custom action");
        ASSERT_NO_FATAL_FAILURE(expect_configured_like_permwatch_install(open_service(open_scm())));
    }
}

// A major upgrade from an older version (another
// ProductCode, the same UpgradeCode) keeps the administrator's config, the
// journal and its rotated files, and leaves one product, one running service,
// configured like `permwatch install`.
TEST_F(Msi, UpgradeFromAnOlderVersionKeepsConfigAndJournal) {
    ASSERT_NO_FATAL_FAILURE(install_older());
    auto products = installed_products();
    ASSERT_EQ(products.size(), 1u);
    EXPECT_EQ(win_text(products[0].second), "0.0.9");

    std::string text = read_file(config());
    const auto at = text.find("\"sweep_interval_s\": 60");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 22, "\"sweep_interval_s\": 61");
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << text;
    const std::string line =
        R"j({"id":"000000000001","time":"2026-11-30T08:00:00.000Z","key":"HKLM\\SOFTWARE\\X",)j"
        R"j("reason":"drift","before":"D:","after":"D:(A;;KA;;;SY)"})j"
        "\n";
    const fs::path rotated = fs::path(journal().wstring() + L".1");
    std::ofstream(rotated, std::ios::binary) << line;
    std::ofstream(journal(), std::ios::binary | std::ios::app) << line;
    const std::string journal_before = read_file(journal());

    const Exec r = msiexec(L"/i " + quoted_msi() + L" /qn");
    print_measured("msiexec /i permwatch.msi /qn over 0.0.9 (major upgrade)", r);
    ASSERT_EQ(r.exit_code, 0u);
    products = installed_products();
    ASSERT_EQ(products.size(), 1u) << "the older product is still registered";
    EXPECT_EQ(win_text(products[0].second), PERMWATCH_VERSION);
    {
        const ScHandle service = open_service(open_scm());
        ASSERT_TRUE(service) << "no service PermWatch after the upgrade";
        const auto running = wait_for_state(service, SERVICE_RUNNING, 15s);
        EXPECT_TRUE(running) << "state " << state_of(service);
    }
    {
        SCOPED_TRACE("the MSI's ConfigureService custom action");
        ASSERT_NO_FATAL_FAILURE(expect_configured_like_permwatch_install(open_service(open_scm())));
    }
    EXPECT_EQ(read_file(config()), text) << "the upgrade replaced the edited config";
    // The service may append to the journal; it may never lose what was there.
    EXPECT_EQ(read_file(journal()).substr(0, journal_before.size()), journal_before);
    EXPECT_EQ(read_file(rotated), line);

    ASSERT_NO_FATAL_FAILURE(uninstall());
    EXPECT_FALSE(service_exists());
    EXPECT_TRUE(installed_products().empty());
    EXPECT_EQ(read_file(config()), text);
    EXPECT_EQ(read_file(rotated), line);
}

TEST_F(Msi, AnEditedConfigSurvivesReinstallRepairAndUninstall) {
    ASSERT_NO_FATAL_FAILURE(install());

    // An administrator's edit, still a valid config.
    std::string text = read_file(config());
    const auto at = text.find("\"sweep_interval_s\": 60");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 22, "\"sweep_interval_s\": 61");
    std::ofstream(config(), std::ios::binary | std::ios::trunc) << text;

    // Same MSI again: maintenance mode, nothing to do.
    Exec r = msiexec(L"/i " + quoted_msi() + L" /qn");
    print_measured("msiexec /i again", r);
    EXPECT_EQ(r.exit_code, 0u);
    EXPECT_EQ(read_file(config()), text);

    // Repair, reinstalling every file even if present (= /fa, which Wine's
    // msiexec accepts only with a product code): NeverOverwrite keeps the edit.
    r = msiexec(L"/i " + quoted_msi() + L" REINSTALL=ALL REINSTALLMODE=amus /qn");
    print_measured("msiexec /i REINSTALL=ALL REINSTALLMODE=amus", r);
    EXPECT_EQ(r.exit_code, 0u);
    EXPECT_EQ(read_file(config()), text);
    {
        const ScHandle service = open_service(open_scm());
        ASSERT_TRUE(service);
        EXPECT_TRUE(wait_for_state(service, SERVICE_RUNNING, 15s)) << "state " << state_of(service);
    }

    ASSERT_NO_FATAL_FAILURE(uninstall());
    EXPECT_FALSE(service_exists());
    EXPECT_EQ(read_file(config()), text);
}

}  // namespace test_msi
}  // namespace permwatch
