// The FAKE clusapi.dll goes where the service loads clusapi.dll from: the
// prefix's System32 (service/cluster_adapter.cpp loads it with
// LOAD_LIBRARY_SEARCH_SYSTEM32 only, so a DLL beside the exe is never used).
// Wine's own clusapi.dll in System32 is a placeholder that marks its builtin;
// it is kept aside as clusapi.dll.wine and put back when the tests end, so
// other tests in the prefix (ClusterStandalone) still get Wine's builtin.
// cluster_tests runs alone (RUN_SERIAL, tests/fakes/CMakeLists.txt) because
// of this swap. docs/testing.md (y) has the measurements.
#pragma once

#include <windows.h>

#include <filesystem>
#include <string>

namespace permwatch::test {

inline std::filesystem::path system32() {
    wchar_t buf[MAX_PATH] = {};
    GetSystemDirectoryW(buf, MAX_PATH);
    return buf;
}

// Copies `fake` over System32\clusapi.dll; Wine's file is saved first (once).
// Returns the Win32 error, 0 on success.
inline DWORD put_fake_in_system32(const std::filesystem::path& fake) {
    const auto target = system32() / "clusapi.dll";
    const auto saved = system32() / "clusapi.dll.wine";
    if (!std::filesystem::exists(saved) && !CopyFileW(target.c_str(), saved.c_str(), TRUE))
        return GetLastError();
    return CopyFileW(fake.c_str(), target.c_str(), FALSE) ? 0 : GetLastError();
}

// Puts Wine's own clusapi.dll back. Returns the Win32 error, 0 on success.
inline DWORD restore_system32_clusapi() {
    const auto target = system32() / "clusapi.dll";
    const auto saved = system32() / "clusapi.dll.wine";
    if (!std::filesystem::exists(saved)) return 0;
    if (!CopyFileW(saved.c_str(), target.c_str(), FALSE)) return GetLastError();
    DeleteFileW(saved.c_str());
    return 0;
}

// True when LoadLibraryEx(System32) gives the fake (it exports the V2 notify
// API; Wine's builtin does not).
inline bool system32_clusapi_is_fake() {
    HMODULE h = LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
    if (!h) return false;
    const bool fake = GetProcAddress(h, "CreateClusterNotifyPortV2") != nullptr;
    FreeLibrary(h);
    return fake;
}

}  // namespace permwatch::test

// Every cluster test's first step: skipped when the simulated cluster (the
// fake clusapi.dll and clussim.exe) is not beside the test executable, failed
// when System32's clusapi.dll is not the fake (a run without the override).
#define PERMWATCH_REQUIRE_SIMULATED_CLUSTER()                                                 \
    do {                                                                                      \
        const auto beside = ::permwatch::test::exe_dir();                                     \
        if (!std::filesystem::exists(beside / "clussim.exe") ||                               \
            !std::filesystem::exists(beside / "clusapi.dll")) {                               \
            GTEST_SKIP() << "the fake clusapi.dll and clussim.exe are not next to this exe: " \
                            "run cluster_tests (tests/fakes)";                                \
        }                                                                                     \
        ASSERT_TRUE(::permwatch::test::system32_clusapi_is_fake())                            \
            << "System32\\clusapi.dll is not the fake: set WINEDLLOVERRIDES=clusapi=n";       \
    } while (0)
