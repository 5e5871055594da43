// Probe (p2): can a pipe's client learn who serves it, and can the server
// learn who the client is, under Wine? (what the pipe's trust and admission rest on)
//
//   probe_pipe_identity            the parent: starts a child server, asks
//   probe_pipe_identity serve N    the child: serves \\.\pipe\N until a client
//                                  has written a line, then exits
//
// Measures: GetNamedPipeServerProcessId / GetNamedPipeClientProcessId across
// processes and in-process, OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION) +
// QueryFullProcessImageNameW on the server's pid, OpenProcessToken on another
// process, ImpersonateNamedPipeClient before any byte was read (Windows: error
// 1368 "Unable to impersonate using a named pipe until data has been read"),
// and QueryServiceStatusEx's pid for a running service.
#include <windows.h>

#include <cstdio>
#include <string>

#include "probe_util.hpp"

namespace {

std::string image_of(DWORD pid) {
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!p) return "OpenProcess error " + std::to_string(GetLastError());
    wchar_t buf[MAX_PATH * 2];
    DWORD size = MAX_PATH * 2;
    std::string out = QueryFullProcessImageNameW(p, 0, buf, &size)
                          ? probe::narrow(buf)
                          : "QueryFullProcessImageNameW error " + std::to_string(GetLastError());
    CloseHandle(p);
    return out;
}

// Is this process's primary token in Administrators (via a duplicate)?
std::string token_admin(DWORD pid) {
    HANDLE p = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
    if (!p) return "OpenProcess error " + std::to_string(GetLastError());
    HANDLE token = nullptr, dup = nullptr;
    std::string out;
    if (!OpenProcessToken(p, TOKEN_QUERY | TOKEN_DUPLICATE, &token)) {
        out = "OpenProcessToken error " + std::to_string(GetLastError());
    } else if (!DuplicateToken(token, SecurityIdentification, &dup)) {
        out = "DuplicateToken error " + std::to_string(GetLastError());
    } else {
        BYTE sid[SECURITY_MAX_SID_SIZE];
        DWORD sid_size = sizeof sid;
        BOOL member = FALSE;
        if (CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid, &sid_size) &&
            CheckTokenMembership(dup, sid, &member)) {
            out = member ? "administrator" : "not administrator";
        } else {
            out = "CheckTokenMembership error " + std::to_string(GetLastError());
        }
    }
    if (dup) CloseHandle(dup);
    if (token) CloseHandle(token);
    CloseHandle(p);
    return out;
}

HANDLE make_pipe(const std::wstring& path) {
    return CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE,
                            PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT, 4, 4096, 4096, 0,
                            nullptr);
}

int serve(const std::wstring& path) {
    HANDLE h = make_pipe(path);
    if (h == INVALID_HANDLE_VALUE) return 3;
    if (!ConnectNamedPipe(h, nullptr) && GetLastError() != ERROR_PIPE_CONNECTED) return 4;
    ULONG client = 0;
    const BOOL got = GetNamedPipeClientProcessId(h, &client);
    std::printf("[p2] child server: GetNamedPipeClientProcessId %s, pid %lu\n",
                got ? "ok" : "failed", got ? client : GetLastError());
    // Before any byte was read: Windows documents error 1368 here.
    if (ImpersonateNamedPipeClient(h)) {
        RevertToSelf();
        std::printf("[p2] child server: ImpersonateNamedPipeClient before reading: ok\n");
    } else {
        std::printf("[p2] child server: ImpersonateNamedPipeClient before reading: error %lu\n",
                    GetLastError());
    }
    char buf[64];
    DWORD n = 0;
    ReadFile(h, buf, sizeof buf, &n, nullptr);
    WriteFile(h, "ok\n", 3, &n, nullptr);
    FlushFileBuffers(h);
    std::fflush(stdout);
    CloseHandle(h);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "serve") {
        const std::string n = argv[2];
        return serve(L"\\\\.\\pipe\\" + std::wstring(n.begin(), n.end()));
    }
    const std::wstring name = L"permwatch-probe-" + std::to_wstring(GetCurrentProcessId());
    const std::wstring path = L"\\\\.\\pipe\\" + name;
    wchar_t self[MAX_PATH * 2];
    GetModuleFileNameW(nullptr, self, MAX_PATH * 2);
    std::printf("[p2] own pid %lu, GetModuleFileNameW %s\n", GetCurrentProcessId(),
                probe::narrow(self).c_str());
    std::printf("[p2] own image via QueryFullProcessImageNameW: %s\n",
                image_of(GetCurrentProcessId()).c_str());

    // In-process: both ends here.
    {
        HANDLE server = make_pipe(path + L"-self");
        HANDLE client = CreateFileW((path + L"-self").c_str(), GENERIC_READ | FILE_WRITE_DATA, 0,
                                    nullptr, OPEN_EXISTING, 0, nullptr);
        ULONG spid = 0, cpid = 0;
        const BOOL s = GetNamedPipeServerProcessId(client, &spid);
        const DWORD serr = s ? 0 : GetLastError();
        const BOOL c = GetNamedPipeClientProcessId(server, &cpid);
        const DWORD cerr = c ? 0 : GetLastError();
        std::printf("[p2] in-process: server pid %s %lu, client pid %s %lu (own %lu)\n",
                    s ? "ok" : "error", s ? spid : serr, c ? "ok" : "error", c ? cpid : cerr,
                    GetCurrentProcessId());
        CloseHandle(client);
        CloseHandle(server);
    }

    // Another process serves.
    std::wstring cmd = L"\"" + std::wstring(self) + L"\" serve " + name;
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si,
                        &pi)) {
        std::printf("[p2] CreateProcess failed: %lu\n", GetLastError());
        return 1;
    }
    HANDLE client = INVALID_HANDLE_VALUE;
    for (int i = 0; i < 200 && client == INVALID_HANDLE_VALUE; ++i) {
        client = CreateFileW(path.c_str(), GENERIC_READ | FILE_WRITE_DATA, 0, nullptr,
                             OPEN_EXISTING, 0, nullptr);
        if (client == INVALID_HANDLE_VALUE) Sleep(20);
    }
    if (client == INVALID_HANDLE_VALUE) {
        std::printf("[p2] could not connect to the child: %lu\n", GetLastError());
        return 1;
    }
    ULONG spid = 0;
    const BOOL s = GetNamedPipeServerProcessId(client, &spid);
    std::printf(
        "[p2] child server pid from CreateProcess %lu; GetNamedPipeServerProcessId %s %lu\n",
        pi.dwProcessId, s ? "ok" : "error", s ? spid : GetLastError());
    if (s) {
        std::printf("[p2] server image: %s\n", image_of(spid).c_str());
        std::printf("[p2] server process token: %s\n", token_admin(spid).c_str());
    }
    DWORD n = 0;
    WriteFile(client, "x\n", 2, &n, nullptr);
    char buf[16];
    ReadFile(client, buf, sizeof buf, &n, nullptr);
    CloseHandle(client);
    WaitForSingleObject(pi.hProcess, 10000);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);

    // A service's pid as the SCM reports it (Wine's own services).
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT);
    for (const wchar_t* svc : {L"RpcSs", L"PlugPlay", L"winmgmt", L"PermWatch"}) {
        SC_HANDLE h = scm ? OpenServiceW(scm, svc, SERVICE_QUERY_STATUS) : nullptr;
        if (!h) {
            std::printf("[p2] service %s: OpenService error %lu\n", probe::narrow(svc).c_str(),
                        GetLastError());
            continue;
        }
        SERVICE_STATUS_PROCESS st{};
        DWORD needed = 0;
        if (QueryServiceStatusEx(h, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st,
                                 &needed)) {
            std::printf("[p2] service %s: state %lu pid %lu image %s\n", probe::narrow(svc).c_str(),
                        st.dwCurrentState, st.dwProcessId,
                        st.dwProcessId ? image_of(st.dwProcessId).c_str() : "-");
        } else {
            std::printf("[p2] service %s: QueryServiceStatusEx error %lu\n",
                        probe::narrow(svc).c_str(), GetLastError());
        }
        CloseServiceHandle(h);
    }
    if (scm) CloseServiceHandle(scm);
    return 0;
}
