// Probe (r3): LockFileEx as the journal's writer lock, within one prefix
// (service/journal_lock.hpp). A lock file of 8 bytes (the rotation count) is
// locked at an offset far past its end, so the count stays readable.
//
//   probe_journal_lock FILE          the parent: starts a child that holds
//                                    the lock, measures, then kills it
//   probe_journal_lock hold FILE     the child: locks, says so, sleeps
#include <windows.h>
// after windows.h
#include <shellapi.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace {

constexpr DWORD kLockAt = 1u << 20;  // the writer lock: one byte at 1 MiB
constexpr DWORD kQueueAt = kLockAt + 1;

HANDLE open_file(const wchar_t* path) {
    return CreateFileW(path, GENERIC_READ | GENERIC_WRITE,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS,
                       FILE_ATTRIBUTE_NORMAL, nullptr);
}

bool lock(HANDLE f, DWORD at, DWORD flags) {
    OVERLAPPED ov{};
    ov.Offset = at;
    return LockFileEx(f, flags | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ov) != FALSE;
}

bool unlock(HANDLE f, DWORD at) {
    OVERLAPPED ov{};
    ov.Offset = at;
    return UnlockFileEx(f, 0, 1, 0, &ov) != FALSE;
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv) return 2;
    if (argc == 3 && std::wstring(argv[1]) == L"hold") {
        HANDLE f = open_file(argv[2]);
        const bool got = lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
        std::printf("[r3] child: exclusive lock past the end %s\n", got ? "taken" : "FAILED");
        std::fflush(stdout);
        Sleep(60000);  // killed by the parent
        return 0;
    }
    if (argc != 2) return 2;
    HANDLE f = open_file(argv[1]);
    if (f == INVALID_HANDLE_VALUE) return 2;
    std::uint64_t count = 7;
    DWORD n = 0;
    OVERLAPPED at0{};
    WriteFile(f, &count, sizeof count, &n, &at0);

    // Cost of an uncontended lock + unlock pair.
    const ULONGLONG c0 = GetTickCount64();
    for (int i = 0; i < 2000; ++i) {
        lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
        unlock(f, kLockAt);
    }
    std::printf("[r3] uncontended LockFileEx + UnlockFileEx: %.1f us a pair (2,000)\n",
                (GetTickCount64() - c0) * 1000.0 / 2000);
    // A second handle in the same process: not re-entrant.
    HANDLE f2 = open_file(argv[1]);
    lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
    bool got = lock(f2, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
    std::printf("[r3] second handle, same process, while the first holds it: %s (error %lu)\n",
                got ? "TAKEN" : "refused", got ? 0ul : GetLastError());
    got = lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
    std::printf("[r3] same handle again while it holds it: %s (error %lu)\n",
                got ? "TAKEN" : "refused", got ? 0ul : GetLastError());
    unlock(f, kLockAt);
    unlock(f, kLockAt);
    CloseHandle(f2);

    wchar_t exe[MAX_PATH];
    GetModuleFileNameW(nullptr, exe, MAX_PATH);
    std::wstring cmd = L"\"" + std::wstring(exe) + L"\" hold \"" + argv[1] + L"\"";
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    if (!CreateProcessW(nullptr, cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si,
                        &pi))
        return 3;
    // Wide margin for the child to take it (no timing asserted: it says so).
    bool held = false;
    for (int i = 0; i < 600 && !held; ++i) {
        Sleep(50);
        held = !lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK);
        if (!held) unlock(f, kLockAt);
    }
    std::printf("[r3] another process holds it: LockFileEx(FAIL_IMMEDIATELY) %s (error %lu)\n",
                held ? "refused" : "TAKEN", held ? GetLastError() : 0ul);
    std::uint64_t read_back = 0;
    OVERLAPPED r0{};
    const BOOL read_ok = ReadFile(f, &read_back, sizeof read_back, &n, &r0);
    std::printf("[r3] reading bytes 0-7 meanwhile: %s, %llu\n", read_ok ? "ok" : "FAILED",
                static_cast<unsigned long long>(read_back));
    count = 8;
    OVERLAPPED w0{};
    std::printf("[r3] writing bytes 0-7 meanwhile: %s\n",
                WriteFile(f, &count, sizeof count, &n, &w0) ? "ok" : "FAILED");
    const bool queued = lock(f, kQueueAt, 0);
    std::printf("[r3] a shared lock on the next byte meanwhile: %s\n", queued ? "taken" : "FAILED");
    HANDLE f3 = open_file(argv[1]);
    got = lock(f3, kQueueAt, LOCKFILE_EXCLUSIVE_LOCK);
    std::printf("[r3] an exclusive try on that byte from another handle: %s (error %lu)\n",
                got ? "TAKEN" : "refused", got ? 0ul : GetLastError());
    unlock(f, kQueueAt);
    std::printf("[r3] the same try after the shared lock is gone: %s\n",
                lock(f3, kQueueAt, LOCKFILE_EXCLUSIVE_LOCK) ? "taken" : "REFUSED");
    unlock(f3, kQueueAt);
    CloseHandle(f3);
    // The holder dies without unlocking.
    TerminateProcess(pi.hProcess, 1);
    WaitForSingleObject(pi.hProcess, INFINITE);
    const ULONGLONG t0 = GetTickCount64();
    unsigned tries = 0;
    while (!lock(f, kLockAt, LOCKFILE_EXCLUSIVE_LOCK) && tries < 10000) {
        ++tries;
        Sleep(1);
    }
    std::printf("[r3] after the holder was killed: %s after %u failed tries (%llu ms)\n",
                tries < 10000 ? "taken" : "STILL HELD", tries, GetTickCount64() - t0);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    CloseHandle(f);
    DeleteFileW(argv[1]);
    return 0;
}
