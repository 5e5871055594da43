// Probe (docs/testing.md (z)): what serialises two processes that run under
// two different wineservers (two prefixes), as the simulated multi-node
// cluster needs (tests/fakes/clusapi/clussim_state.hpp).
//   probe_cross_prefix_lock hold FILE MS   LockFileEx(exclusive) on FILE, hold MS ms
//                                          (a named mutex "Local\PermWatchProbeMutex" too)
//   probe_cross_prefix_lock try FILE       one LockFileEx(FAIL_IMMEDIATELY) and the mutex
//   probe_cross_prefix_lock wait FILE      a blocking LockFileEx: how long it waited
//   probe_cross_prefix_lock poll FILE      LockFileEx(FAIL_IMMEDIATELY) every 1 ms until it
//                                          succeeds: how long it took
// Run `hold` in one prefix and the others in a second prefix meanwhile
// (scripts/probes.sh does).
#include <windows.h>
// after windows.h
#include <shellapi.h>

#include <cstdio>
#include <cwchar>

namespace {

HANDLE open_file(const wchar_t* path) {
    return CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, nullptr);
}

bool lock(HANDLE f, DWORD flags) {
    OVERLAPPED ov{};
    return LockFileEx(f, LOCKFILE_EXCLUSIVE_LOCK | flags, 0, 1, 0, &ov) != FALSE;
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv || argc < 3) {
        std::fprintf(stderr, "usage: probe_cross_prefix_lock hold|try|wait|poll FILE [MS]\n");
        return 2;
    }
    const wchar_t* mode = argv[1];
    HANDLE f = open_file(argv[2]);
    if (f == INVALID_HANDLE_VALUE) {
        std::printf("[z] CreateFile failed: %lu\n", GetLastError());
        return 2;
    }
    HANDLE mutex = CreateMutexW(nullptr, FALSE, L"Local\\PermWatchProbeMutex");
    const DWORD mutex_error = GetLastError();
    const ULONGLONG t0 = GetTickCount64();
    if (wcscmp(mode, L"hold") == 0) {
        const bool got = lock(f, LOCKFILE_FAIL_IMMEDIATELY);
        WaitForSingleObject(mutex, 0);
        std::printf("[z] hold: LockFileEx %s, mutex %s; holding %ls ms\n", got ? "ok" : "FAILED",
                    mutex_error == ERROR_ALREADY_EXISTS ? "already existed" : "created", argv[3]);
        std::fflush(stdout);
        Sleep(static_cast<DWORD>(_wtoi(argc > 3 ? argv[3] : L"3000")));
        OVERLAPPED ov{};
        UnlockFileEx(f, 0, 1, 0, &ov);
        std::printf("[z] hold: released after %llu ms\n", GetTickCount64() - t0);
    } else if (wcscmp(mode, L"try") == 0) {
        const bool got = lock(f, LOCKFILE_FAIL_IMMEDIATELY);
        std::printf(
            "[z] try from the other prefix: LockFileEx(FAIL_IMMEDIATELY) %s (error %lu); "
            "named mutex %s\n",
            got ? "SUCCEEDED" : "failed", got ? 0ul : GetLastError(),
            mutex_error == ERROR_ALREADY_EXISTS ? "already existed (shared)"
                                                : "was created anew (not shared)");
    } else if (wcscmp(mode, L"wait") == 0) {
        const bool got = lock(f, 0);
        std::printf("[z] wait from the other prefix: blocking LockFileEx %s after %llu ms\n",
                    got ? "returned ok" : "failed", GetTickCount64() - t0);
    } else if (wcscmp(mode, L"poll") == 0) {
        unsigned tries = 0;
        while (!lock(f, LOCKFILE_FAIL_IMMEDIATELY)) {
            ++tries;
            Sleep(1);
        }
        std::printf("[z] poll from the other prefix: got the lock after %llu ms, %u failed tries\n",
                    GetTickCount64() - t0, tries);
    }
    CloseHandle(mutex);
    CloseHandle(f);
    return 0;
}
