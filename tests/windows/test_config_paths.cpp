// The config by one name and through one handle, with the real permwatch.exe
// and the real adapters under Wine:
// - a config in C:\Überwachung\ is validated, loaded by a console watchdog
//   and reloaded after an edit: the command line arrives as UTF-16 (wmain)
//   and every open is CreateFileW of that one name, so what is judged, read,
//   watched and journaled is the same file;
// - a config another process holds open for writing is refused, not read
//   (the open shares only reading; Wine enforces sharing: docs/testing.md (x2));
// - the facts the judge uses come from the reading handle (final path,
//   attributes, descriptor). A junction or a folder a user made first cannot
//   be played under Wine (no junctions, every file the prefix user's): those
//   decisions are tested natively (tests/core/test_trusted_config.cpp,
//   test_data_folder.cpp).
#include <windows.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/policy/trusted_config.hpp"
#include "process_test_support.hpp"
#include "service/file_journal.hpp"
#include "service/file_security.hpp"
#include "service/opened_file.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"
#include "wine_test_support.hpp"

namespace permwatch {
namespace test_config_paths {

using namespace std::chrono_literals;
using test::eventually;

// A permwatch.exe run with its output collected.
class Process : public test::ChildProcess {
public:
    explicit Process(const std::wstring& args) : ChildProcess(test::built_permwatch_exe(), args) {}
};

std::string config_text(const std::string& key, const std::string& journal,
                        const std::string& mode) {
    nlohmann::json j = {
        {"version", 1},
        {"mode", mode},
        {"journal", journal},
        {"keys",
         {{{"path", key}, {"require", {{{"principal", "SY"}, {"rights", {"KEY_ALL_ACCESS"}}}}}}}}};
    return j.dump();
}

class ConfigPaths : public test::WineKeyTest {
protected:
    void SetUp() override {
        WineKeyTest::SetUp();
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        folder = std::filesystem::path(L"C:\\\u00dcberwachung") / info->name();
        std::filesystem::remove_all(folder);
        std::filesystem::create_directories(folder);
        config = folder / L"permwatch.json";
        journal = folder / L"journal.jsonl";
        write_config("enforce");
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(folder, ec);
        WineKeyTest::TearDown();
    }
    void write_config(const std::string& mode) {
        std::ofstream(config, std::ios::binary | std::ios::trunc)
            << config_text(path, win::narrow(journal.wstring()), mode);
    }
    std::string utf8(const std::filesystem::path& p) const { return win::narrow(p.wstring()); }

    std::filesystem::path folder, config, journal;
};

TEST_F(ConfigPaths, ANonAsciiConfigValidates) {
    Process p(L"validate --config \"" + config.wstring() + L"\"");
    ASSERT_TRUE(p.started());
    EXPECT_EQ(p.wait(60s), 0u) << p.text();
    // The name printed is the one given, in UTF-8: one name throughout.
    EXPECT_TRUE(p.has("config " + utf8(config) + " is valid: 1 key, mode enforce")) << p.text();
}

// Loaded by a console watchdog, which then watches that very file: an edit
// (enforce -> audit) is noticed and reloaded; the journal lands in the same
// non-ASCII folder, not in a folder of another name.
TEST_F(ConfigPaths, ANonAsciiConfigLoadsInAConsoleWatchdogAndIsReloadedWhenEdited) {
    Process p(L"run --console --config \"" + config.wstring() + L"\"");
    ASSERT_TRUE(p.started());
    ASSERT_TRUE(eventually([&] { return p.has("journal " + utf8(journal)); }, 60s)) << p.text();
    EXPECT_TRUE(std::filesystem::exists(journal)) << p.text();
    // The file time has a coarse grain on some file systems: the edit is
    // made until the watchdog reports the reload (each try a new time).
    bool reloaded = false;
    for (int i = 0; i < 20 && !reloaded; ++i) {
        std::this_thread::sleep_for(1100ms);
        write_config("audit");
        reloaded = eventually([&] { return p.has("reloaded: 1 keys, mode audit"); }, 6s);
    }
    EXPECT_TRUE(reloaded) << p.text();
    EXPECT_TRUE(p.has("config " + utf8(config) + " reloaded")) << p.text();
}

// The kept-open attack played with real files: a process (here the test)
// holds permwatch.json open for writing, as a user who made the folder first
// could across a reset of its DACL. `validate` refuses it and reads nothing.
TEST_F(ConfigPaths, AConfigHeldOpenForWritingIsRefused) {
    const win::UniqueKernelHandle writer(CreateFileW(config.c_str(), GENERIC_WRITE,
                                                     FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                                                     OPEN_EXISTING, 0, nullptr));
    ASSERT_TRUE(writer) << GetLastError();
    Process p(L"validate --config \"" + config.wstring() + L"\"");
    ASSERT_TRUE(p.started());
    EXPECT_EQ(p.wait(60s), 2u) << p.text();
    EXPECT_TRUE(p.has("refusing config " + utf8(config) +
                      ": another process holds it open for writing or deleting"))
        << p.text();
}

// What the judge sees comes from the reading handle: the final path is the
// path asked for (given with '/' and in upper case here, as a user may type
// it), no reparse point, Wine's descriptor, and the bytes of the file.
TEST_F(ConfigPaths, OneHandleGivesTheJudgeItsFactsAndTheLoaderItsBytes) {
    std::wstring shouted = config.wstring();
    for (wchar_t& c : shouted) {
        if (c == L'\\') c = L'/';
        if (c >= L'a' && c <= L'z') c = static_cast<wchar_t>(c - L'a' + L'A');
    }
    const OpenedFile opened = win::open_and_read_file(win::narrow(shouted));
    ASSERT_EQ(opened.status, OpenedFile::Status::ok) << opened.error;
    EXPECT_FALSE(opened.reparse_point);
    EXPECT_TRUE(same_file_path(opened.asked_path, opened.final_path))
        << opened.asked_path << " vs " << opened.final_path;
    EXPECT_EQ(opened.final_path, "\\\\?\\" + utf8(config));
    ASSERT_TRUE(opened.sd.owner);
    EXPECT_EQ(opened.folder.status, FileSecurityRead::Status::ok);
    EXPECT_EQ(opened.bytes, config_text(path, utf8(journal), "enforce"));
    win::Win32FileSecurity files;
    const ConfigLoad load = load_trusted_config(utf8(config), &files);
    EXPECT_TRUE(load.config) << (load.refused ? *load.refused : "problems");
}

// The same file by a second name: Wine's Z: drive maps the Unix root, so
// the prefix's C:\ is also Z:\...\drive_c\. Opened as Z:..., the handle's
// final path is C:... (docs/testing.md (x2)): the one redirection Wine can
// play with a Windows program (no junctions or Windows links here), standing
// in for a junction or link on the way. nullopt when Wine's
// wine_get_unix_file_name is not there.
std::optional<std::wstring> z_drive_name(const std::filesystem::path& p) {
    using ToUnix = char*(CDECL*)(LPCWSTR);
    const auto to_unix = reinterpret_cast<ToUnix>(reinterpret_cast<void*>(
        GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name")));
    if (!to_unix) return std::nullopt;
    char* unix_name = to_unix(p.c_str());
    if (!unix_name) return std::nullopt;
    std::wstring out = L"Z:" + win::widen(unix_name);
    HeapFree(GetProcessHeap(), 0, unix_name);
    for (wchar_t& c : out)
        if (c == L'/') c = L'\\';
    return out;
}

TEST_F(ConfigPaths, AConfigWhoseHandleEndsAtAnotherNameIsRefused) {
    const auto other = z_drive_name(config);
    ASSERT_TRUE(other) << "not Wine?";
    Process p(L"validate --config \"" + *other + L"\"");
    ASSERT_TRUE(p.started());
    EXPECT_EQ(p.wait(60s), 2u) << p.text();
    EXPECT_TRUE(p.has("it opens as " + utf8(config) + " (a link or junction on the way)"))
        << p.text();
}

// The journal is judged on the handle it is appended through, not only by
// name when the config is loaded.
TEST_F(ConfigPaths, AJournalWhoseHandleEndsAtAnotherNameIsRefusedWhereItIsOpened) {
    const auto other = z_drive_name(journal);
    ASSERT_TRUE(other) << "not Wine?";
    try {
        win::FileJournal opened(win::narrow(*other));
        ADD_FAILURE() << "the journal was opened";
    } catch (const win::Win32Error& e) {
        EXPECT_NE(std::string(e.what()).find("refusing journal"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("it opens as " + utf8(journal)), std::string::npos)
            << e.what();
    }
}

}  // namespace test_config_paths
}  // namespace permwatch
