// Probe (y): where LoadLibraryExW(L"clusapi.dll", LOAD_LIBRARY_SEARCH_SYSTEM32)
// finds the DLL under Wine, with and without WINEDLLOVERRIDES=clusapi=n,
// with a fake clusapi.dll beside the exe (a planted DLL) and/or in system32.
// The fake is told from Wine's builtin by its CreateClusterNotifyPortV2 export.
//   probe_dll_search.exe
#include "probe_util.hpp"

namespace {

void report(const char* what, HMODULE h) {
    if (!h) {
        std::printf("[y] %s: not loaded (%lu)\n", what, GetLastError());
        return;
    }
    wchar_t path[MAX_PATH] = L"";
    GetModuleFileNameW(h, path, MAX_PATH);
    const bool fake = GetProcAddress(h, "CreateClusterNotifyPortV2") != nullptr;
    std::printf("[y] %s: %s (%s)\n", what, probe::narrow(path).c_str(),
                fake ? "the fake" : "not the fake: Wine's builtin");
    FreeLibrary(h);
}

}  // namespace

int main() {
    wchar_t env[512] = L"";
    GetEnvironmentVariableW(L"WINEDLLOVERRIDES", env, 512);
    std::printf("[y] WINEDLLOVERRIDES=%s\n", probe::narrow(env).c_str());
    wchar_t sys[MAX_PATH] = L"";
    GetSystemDirectoryW(sys, MAX_PATH);
    std::printf("[y] system directory %s\n", probe::narrow(sys).c_str());
    report("LoadLibraryExW(clusapi.dll, SEARCH_SYSTEM32)",
           LoadLibraryExW(L"clusapi.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32));
    report("LoadLibraryW(clusapi.dll)", LoadLibraryW(L"clusapi.dll"));
    std::printf("[y] SetDefaultDllDirectories(SEARCH_SYSTEM32) = %d\n",
                SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_SYSTEM32));
    report("after SetDefaultDllDirectories, LoadLibraryW(clusapi.dll)",
           LoadLibraryW(L"clusapi.dll"));
    report("LoadLibraryExW(clusapi_v1.dll, SEARCH_SYSTEM32)",
           LoadLibraryExW(L"clusapi_v1.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32));
    return 0;
}
