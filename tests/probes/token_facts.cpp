// Probe (h2): what Wine reports about another process's token, which
// `status` judges a console pipe server by (core/pipe/pipe_trust.hpp):
// OpenProcess + OpenProcessToken(TOKEN_QUERY) + GetTokenInformation of
// TokenUser, TokenElevation, TokenElevationType and TokenGroups (is
// Administrators there, and with which attributes).
//
//   probe_token_facts            the parent: starts a child, reads its token
//   probe_token_facts child      waits until the parent has read it
#include <windows.h>

#include <cstdio>
#include <string>
#include <vector>

#include "probe_util.hpp"

namespace {

std::string sid_text(PSID sid) {
    LPWSTR s = nullptr;
    if (!ConvertSidToStringSidW(sid, &s)) return "error " + std::to_string(GetLastError());
    std::string out = probe::narrow(s);
    LocalFree(s);
    return out;
}

std::vector<BYTE> info(HANDLE token, TOKEN_INFORMATION_CLASS what, DWORD& error) {
    DWORD size = 0;
    GetTokenInformation(token, what, nullptr, 0, &size);
    std::vector<BYTE> buf(size ? size : 64);
    error = GetTokenInformation(token, what, buf.data(), static_cast<DWORD>(buf.size()), &size)
                ? 0
                : GetLastError();
    return buf;
}

void report(const char* who, DWORD pid) {
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!p) {
        std::printf("[h2] %s: OpenProcess error %lu\n", who, GetLastError());
        return;
    }
    HANDLE token = nullptr;
    if (!OpenProcessToken(p, TOKEN_QUERY, &token)) {
        std::printf("[h2] %s: OpenProcessToken(TOKEN_QUERY) error %lu\n", who, GetLastError());
        CloseHandle(p);
        return;
    }
    DWORD e = 0;
    auto user = info(token, TokenUser, e);
    std::printf("[h2] %s: TokenUser %s\n", who,
                e ? ("error " + std::to_string(e)).c_str()
                  : sid_text(reinterpret_cast<TOKEN_USER*>(user.data())->User.Sid).c_str());
    auto elevation = info(token, TokenElevation, e);
    if (e)
        std::printf("[h2] %s: TokenElevation error %lu\n", who, e);
    else
        std::printf("[h2] %s: TokenElevation %lu\n", who,
                    reinterpret_cast<TOKEN_ELEVATION*>(elevation.data())->TokenIsElevated);
    auto type = info(token, TokenElevationType, e);
    if (e)
        std::printf("[h2] %s: TokenElevationType error %lu\n", who, e);
    else
        std::printf("[h2] %s: TokenElevationType %d (1 default, 2 full, 3 limited)\n", who,
                    static_cast<int>(*reinterpret_cast<TOKEN_ELEVATION_TYPE*>(type.data())));
    auto groups = info(token, TokenGroups, e);
    if (e) {
        std::printf("[h2] %s: TokenGroups error %lu\n", who, e);
    } else {
        const auto* g = reinterpret_cast<TOKEN_GROUPS*>(groups.data());
        std::printf("[h2] %s: TokenGroups %lu groups:", who, g->GroupCount);
        for (DWORD i = 0; i < g->GroupCount; ++i)
            std::printf(" %s/0x%lx", sid_text(g->Groups[i].Sid).c_str(), g->Groups[i].Attributes);
        std::printf("\n");
    }
    CloseHandle(token);
    CloseHandle(p);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "child") {
        Sleep(30000);  // killed by the parent once read
        return 0;
    }
    report("own process", GetCurrentProcessId());
    wchar_t exe[MAX_PATH];
    GetModuleFileNameW(nullptr, exe, MAX_PATH);
    std::wstring cmd = L"\"" + std::wstring(exe) + L"\" child";
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si,
                        &pi)) {
        std::printf("[h2] CreateProcess error %lu\n", GetLastError());
        return 2;
    }
    Sleep(500);
    report("another process", pi.dwProcessId);
    TerminateProcess(pi.hProcess, 0);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return 0;
}
