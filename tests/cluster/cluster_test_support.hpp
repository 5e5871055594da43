// Shared by the cluster tests: the simulated cluster (tests/fakes/clusapi and
// clussim.exe) stands in for a real failover cluster, which Wine cannot run:
// Wine's own clusapi.dll stubs every call but OpenCluster/CloseCluster/
// GetNodeClusterState. clussim plays ClusSvc's part, including the registry
// checkpoint restore that fails (event 1024) when the key lacks the service
// account's access or a process holds a handle inside the subtree.
#pragma once

#include <windows.h>
// sddl.h needs windows.h first
#include <sddl.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/win32_error.hpp"

namespace permwatch::test {

inline std::filesystem::path exe_dir() {
    wchar_t buf[MAX_PATH] = {};
    GetModuleFileNameW(nullptr, buf, MAX_PATH);
    return std::filesystem::path(buf).parent_path();
}

inline std::string current_user_sid() {
    HANDLE token = nullptr;
    OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
    DWORD size = 0;
    GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<BYTE> buf(size);
    std::string out;
    if (GetTokenInformation(token, TokenUser, buf.data(), size, &size)) {
        wchar_t* text = nullptr;
        if (ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, &text)) {
            out = win::narrow(text);
            LocalFree(text);
        }
    }
    CloseHandle(token);
    return out;
}

// The policy a cluster test's watchdog enforces: `path` with full control
// for `account` (the resource's service account) and SYSTEM, the journal in
// `dir`, and a pipe of this process's own (ctest runs the test executables
// side by side, and the service test serves the default name).
inline nlohmann::json cluster_test_policy(const std::string& path, const std::string& account,
                                          const std::filesystem::path& dir) {
    auto full_control = [](const std::string& principal) {
        return nlohmann::json{
            {"principal", principal}, {"rights", {"KEY_ALL_ACCESS"}}, {"inherit", {"container"}}};
    };
    return {{"version", 1},
            {"journal", (dir / "journal.jsonl").string()},
            {"pipe", "permwatch-test-" + std::to_string(GetCurrentProcessId())},
            {"keys", {{{"path", path}, {"require", {full_control(account), full_control("SY")}}}}}};
}

// The state file of the simulated cluster for the fake clusapi.dll loaded in
// THIS process and the clussim.exe it starts: one per test process, set
// before the fake first maps it (the fake maps it once per process).
inline void use_in_process_state_file() {
    static const std::wstring state =
        (std::filesystem::temp_directory_path() /
         ("permwatch-clussim-test-" + std::to_string(GetCurrentProcessId()) + ".state"))
            .wstring();
    SetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_STATE", state.c_str());
}

struct SimRun {
    DWORD code = 0;
    std::string out;
};

// Runs clussim.exe with `args`, waits for it, returns its exit code and stdout.
inline SimRun clussim(const std::vector<std::string>& args) {
    std::wstring cmd = L"\"" + (exe_dir() / "clussim.exe").wstring() + L"\"";
    for (const auto& a : args) cmd += L" \"" + win::widen(a) + L"\"";
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    HANDLE read = nullptr;
    HANDLE write = nullptr;
    SimRun run;
    if (!CreatePipe(&read, &write, &sa, 0)) {
        run.code = 999;
        return run;
    }
    SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = write;
    si.hStdError = write;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    PROCESS_INFORMATION pi{};
    // Starting a process is the rig's step, not the behaviour under test; on
    // a loaded machine Wine has failed it once in a run (the test then saw
    // exit code 998 and no output). Try three times and say why each failed.
    BOOL started = FALSE;
    for (int attempt = 0; attempt < 3 && !started; ++attempt) {
        started = CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                                 &si, &pi);
        if (!started) {
            run.out += "CreateProcess of clussim.exe failed: error " +
                       std::to_string(GetLastError()) + "\n";
            Sleep(200);
        }
    }
    CloseHandle(write);
    if (!started) {
        CloseHandle(read);
        run.code = 998;
        return run;
    }
    char buf[4096];
    DWORD got = 0;
    while (ReadFile(read, buf, sizeof buf, &got, nullptr) && got > 0) run.out.append(buf, got);
    CloseHandle(read);
    WaitForSingleObject(pi.hProcess, 60000);
    GetExitCodeProcess(pi.hProcess, &run.code);
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    return run;
}

}  // namespace permwatch::test
