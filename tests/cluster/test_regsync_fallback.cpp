// The RegSync fallback: Win32Cluster reads a resource's
// registry checkpoints from HKLM\Cluster\Resources\<id>\RegSync when
// CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS fails. The control code and the
// resource id come from the FAKE clusapi.dll (Wine has no Cluster service:
// tests/fakes/clusapi/clussim_state.hpp), which `clussim checkpoint-control
// --mode fails` makes answer error 1726. The RegSync key itself is real
// registry under Wine: clussim writes it as the Cluster service keeps its
// local copy of the cluster database, and the hostile cases below write into
// it with plain Win32 calls, as anyone who can write HKLM\Cluster could.
// The adapter's reading (links, bounded buffers) is the real code.
#include <windows.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/cluster/regsync_values.hpp"
#include "service/cluster_adapter.hpp"
#include "service/key_handle.hpp"
#include "service/win32_error.hpp"
#include "tests/cluster/cluster_test_support.hpp"
#include "tests/cluster/fake_in_system32.hpp"
#include "tests/windows/wine_test_support.hpp"

namespace permwatch::test {
namespace test_regsync_fallback {

const char* kGroup = "SQL Server (MSSQLSERVER)";
const char* kResource = "SQL Server";

using NtDeleteKeyFn = LONG(WINAPI*)(HANDLE);

// Makes `link` (an HKLM path) a registry symbolic link to `target`. Returns
// the Win32 error.
LONG make_link(const std::string& link, const std::string& target) {
    HKEY key = nullptr;
    LONG rc =
        RegCreateKeyExW(HKEY_LOCAL_MACHINE, subkey_of(link).c_str(), 0, nullptr,
                        REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE,
                        KEY_ALL_ACCESS | KEY_CREATE_LINK | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS) return rc;
    const std::wstring nt = L"\\REGISTRY\\MACHINE\\" + subkey_of(target);
    // No NUL: a link's target is counted, not terminated (docs/testing.md (k)).
    rc = RegSetValueExW(key, L"SymbolicLinkValue", 0, REG_LINK,
                        reinterpret_cast<const BYTE*>(nt.c_str()),
                        static_cast<DWORD>(nt.size() * sizeof(wchar_t)));
    RegCloseKey(key);
    return rc;
}

// Removes the link itself (NtDeleteKey on the link opened as itself:
// deleting it by name would follow it).
void remove_link(const std::string& link) {
    HKEY self = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, subkey_of(link).c_str(), REG_OPTION_OPEN_LINK,
                      DELETE | KEY_WOW64_64KEY, &self) != ERROR_SUCCESS) {
        return;
    }
    const auto del = reinterpret_cast<NtDeleteKeyFn>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDeleteKey")));
    if (del) del(self);
    RegCloseKey(self);
}

class RegSync : public WineKeyTest {
protected:
    void SetUp() override {
        PERMWATCH_REQUIRE_SIMULATED_CLUSTER();
        static const std::wstring state =
            (std::filesystem::temp_directory_path() /
             ("permwatch-regsync-test-" + std::to_string(GetCurrentProcessId()) + ".state"))
                .wstring();
        SetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_STATE", state.c_str());
        WineKeyTest::SetUp();
        ran = true;
        const SimRun r = clussim({"setup", "--node", "NODE1", "--group", kGroup, "--resource",
                                  kResource, "--checkpoint", path.substr(5), "--account",
                                  "S-1-5-18", "--checkpoint-control", "fails"});
        ASSERT_EQ(r.code, 0u) << r.out;
        // "resource 'SQL Server' id <id>: RegSync copy written to HKLM\...\RegSync"
        const std::string tag = "' id ";
        const auto at = r.out.find(tag);
        ASSERT_NE(at, std::string::npos) << r.out;
        const auto end = r.out.find(':', at);
        id = r.out.substr(at + tag.size(), end - at - tag.size());
        regsync = "HKLM\\Cluster\\Resources\\" + id + "\\RegSync";
        adapter = std::make_unique<win::Win32Cluster>();
        adapter->on_error([this](const std::string& line) {
            std::lock_guard lock(mutex);
            reports.push_back(line);
        });
        ASSERT_TRUE(adapter->connect([](const ClusterEvent&) {})) << adapter->why_unavailable();
    }
    void TearDown() override {
        if (adapter) adapter->disconnect();
        if (!ran) return;       // skipped before any key was made
        clussim({"teardown"});  // removes HKLM\Cluster\Resources\<id>
        WineKeyTest::TearDown();
    }

    bool reported(const std::string& what) {
        std::lock_guard lock(mutex);
        return std::any_of(reports.begin(), reports.end(),
                           [&](const std::string& r) { return r.find(what) != std::string::npos; });
    }
    std::string all_reports() {
        std::lock_guard lock(mutex);
        std::string out;
        for (const auto& r : reports) out += r + "\n";
        return out;
    }
    LONG set_sz(const std::string& key, const std::wstring& name, const std::wstring& text) {
        return RegSetKeyValueW(HKEY_LOCAL_MACHINE, subkey_of(key).c_str(), name.c_str(), REG_SZ,
                               text.c_str(), static_cast<DWORD>((text.size() + 1) * 2));
    }

    bool ran = false;
    std::string id, regsync;
    std::unique_ptr<win::Win32Cluster> adapter;
    std::mutex mutex;
    std::vector<std::string> reports;
};

TEST_F(RegSync, TheCopyIsWhatTheClusterServiceKeeps) {
    // The witness that clussim wrote what a real node holds: Name, and the
    // checkpoint as REG_SZ 00000001 relative to HKLM.
    wchar_t text[512] = {};
    DWORD size = sizeof text - sizeof(wchar_t);
    ASSERT_EQ(RegGetValueW(HKEY_LOCAL_MACHINE, subkey_of(regsync).c_str(), L"00000001",
                           RRF_RT_REG_SZ, nullptr, text, &size),
              ERROR_SUCCESS)
        << regsync;
    EXPECT_EQ(win::narrow(text), path.substr(5));
    EXPECT_TRUE(plausible_resource_id(id)) << id;
}

TEST_F(RegSync, WhenTheControlCodeFailsTheCheckpointComesFromRegSync) {
    EXPECT_EQ(adapter->checkpoints(),
              (std::vector<Checkpoint>{{kResource, kGroup, path, CheckpointSource::regsync}}))
        << all_reports();
    EXPECT_TRUE(reported("(1726)")) << all_reports();
    EXPECT_TRUE(reported("1 checkpoint(s) read from " + regsync + " instead")) << all_reports();
    // The API answers again: it is asked first, and believed.
    ASSERT_EQ(clussim({"checkpoint-control", "--mode", "works"}).code, 0u);
    EXPECT_EQ(adapter->checkpoints(),
              (std::vector<Checkpoint>{{kResource, kGroup, path, CheckpointSource::control_code}}));
}

TEST_F(RegSync, HostileValuesAreSkippedAndToldAndTheRealOneKept) {
    ASSERT_EQ(set_sz(regsync, L"00000002", L"\\REGISTRY\\USER\\S-1-5-18\\Software\\Evil"), 0);
    ASSERT_EQ(set_sz(regsync, L"00000003", L"HKEY_USERS\\.DEFAULT\\Software"), 0);
    // 100,000 characters: far over any path; it is never read.
    ASSERT_EQ(set_sz(regsync, L"00000004", L"Software\\" + std::wstring(100000, L'A')), 0);
    ASSERT_EQ(set_sz(regsync, L"Name", L"Software\\NotACheckpoint"), 0);
    const DWORD four = 4;
    ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, subkey_of(regsync).c_str(), L"00000005",
                              REG_DWORD, &four, sizeof four),
              0);
    EXPECT_EQ(adapter->checkpoints(),
              (std::vector<Checkpoint>{{kResource, kGroup, path, CheckpointSource::regsync}}))
        << all_reports();
    const std::string where = "resource SQL Server: " + regsync + ": value ";
    EXPECT_TRUE(reported(where + "'00000002' skipped: not a path relative to HKLM"))
        << all_reports();
    EXPECT_TRUE(reported(where + "'00000003' skipped: not a path relative to HKLM"))
        << all_reports();
    EXPECT_TRUE(reported(where + "'00000004' skipped: ")) << all_reports();
    EXPECT_TRUE(reported("bytes of data (a checkpoint path has at most 2050)")) << all_reports();
    EXPECT_TRUE(reported(where + "'Name' skipped: not a checkpoint value name")) << all_reports();
    EXPECT_TRUE(reported(where + "'00000005' skipped: type 4, not REG_SZ")) << all_reports();
}

TEST_F(RegSync, TooManyValuesAreRefusedWhole) {
    for (int i = 2; i <= 300; ++i) {
        wchar_t name[16];
        swprintf(name, 16, L"%08X", i);
        ASSERT_EQ(set_sz(regsync, name, L"Software\\Flood\\" + std::to_wstring(i)), 0);
    }
    EXPECT_TRUE(adapter->checkpoints().empty()) << all_reports();
    EXPECT_TRUE(reported("the key holds 300 values, more than any resource checkpoints"))
        << all_reports();
}

// A RegSync that is a registry symbolic link (Wine supports them:
// docs/testing.md (k)) to a key outside HKLM\Cluster is not followed.
TEST_F(RegSync, ALinkOutOfTheClusterDatabaseIsNotFollowed) {
    const std::string target = path + "\\LinkTarget";
    ASSERT_TRUE(create_key(target));
    ASSERT_EQ(set_sz(target, L"00000001", win::widen(path.substr(5))), 0);
    delete_key(regsync);
    const LONG made = make_link(regsync, target);
    const auto checkpoints =
        made == ERROR_SUCCESS ? adapter->checkpoints() : std::vector<Checkpoint>{};
    remove_link(regsync);
    ASSERT_EQ(made, ERROR_SUCCESS);
    EXPECT_TRUE(checkpoints.empty()) << all_reports();
    EXPECT_TRUE(reported(regsync + " is a registry symbolic link")) << all_reports();
    EXPECT_TRUE(reported("its checkpoints are not known")) << all_reports();
}

// The link one level up (the resource's own key): a whole-path open with
// REG_OPTION_OPEN_LINK would follow it (docs/testing.md (k2)); the reader
// opens one component at a time and refuses it there.
TEST_F(RegSync, ALinkHigherUpIsNotFollowedEither) {
    const std::string target = path + "\\FakeResource";
    ASSERT_TRUE(create_key(target + "\\RegSync"));
    ASSERT_EQ(set_sz(target + "\\RegSync", L"00000001", win::widen(path.substr(5))), 0);
    const std::string resource_key = "HKLM\\Cluster\\Resources\\" + id;
    delete_key(resource_key);
    const LONG made = make_link(resource_key, target);
    const auto checkpoints =
        made == ERROR_SUCCESS ? adapter->checkpoints() : std::vector<Checkpoint>{};
    remove_link(resource_key);
    ASSERT_EQ(made, ERROR_SUCCESS);
    EXPECT_TRUE(checkpoints.empty()) << all_reports();
    EXPECT_TRUE(reported(resource_key + " is a registry symbolic link")) << all_reports();
}

}  // namespace test_regsync_fallback
}  // namespace permwatch::test
