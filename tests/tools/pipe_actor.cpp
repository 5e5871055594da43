// pipe_actor.exe: hostile processes for the status pipe's tests
// (tests/windows/test_pipe_server.cpp), with plain Win32 calls. Not part of
// the product.
//
//   pipe_actor squat NAME
//       Creates \\.\pipe\NAME first and answers every line with a status
//       reply of its own ("version":"squatter"), until it is killed.
//   pipe_actor flood NAME COUNT SECONDS
//       Keeps trying to hold COUNT connections to \\.\pipe\NAME for SECONDS
//       (retrying at once whatever the server says: busy, refused, closed,
//       not there yet). Odd connections dribble one byte now and then and
//       never end a line; even ones send a whole status line every 4 s (the
//       pattern that beat the idle timeout). Replies are read only to notice
//       a closed connection sooner. Prints one line at the end:
//       "attempts A opened O max_held M".
#include <windows.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::wstring pipe_path(const char* name) {
    std::wstring w = L"\\\\.\\pipe\\";
    for (const char* p = name; *p; ++p) w.push_back(static_cast<wchar_t>(*p));
    return w;
}

int squat(const std::wstring& path) {
    const char reply[] =
        "{\"ok\":true,\"version\":\"squatter\",\"mode\":\"enforce\",\"keys\":[]}\n";
    for (;;) {
        HANDLE h = CreateNamedPipeW(path.c_str(), PIPE_ACCESS_DUPLEX,
                                    PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, nullptr);
        if (h == INVALID_HANDLE_VALUE) {
            std::fprintf(stderr, "pipe_actor: CreateNamedPipe failed: %lu\n", GetLastError());
            return 2;
        }
        if (ConnectNamedPipe(h, nullptr) || GetLastError() == ERROR_PIPE_CONNECTED) {
            char buf[4096];
            DWORD n = 0;
            while (ReadFile(h, buf, sizeof buf, &n, nullptr) && n > 0) {
                if (std::find(buf, buf + n, '\n') == buf + n) continue;
                DWORD written = 0;
                WriteFile(h, reply, sizeof reply - 1, &written, nullptr);
            }
        }
        DisconnectNamedPipe(h);
        CloseHandle(h);
    }
}

int flood(const std::wstring& path, std::size_t count, double seconds) {
    struct Slot {
        HANDLE h = INVALID_HANDLE_VALUE;
        ULONGLONG next_send = 0;
    };
    std::vector<Slot> slots(count);
    const ULONGLONG end = GetTickCount64() + static_cast<ULONGLONG>(seconds * 1000);
    unsigned long long attempts = 0, opened = 0;
    std::size_t max_held = 0;
    const char line[] = "{\"cmd\":\"status\"}\n";
    while (GetTickCount64() < end) {
        std::size_t held = 0;
        const ULONGLONG now = GetTickCount64();
        for (std::size_t i = 0; i < slots.size(); ++i) {
            Slot& s = slots[i];
            if (s.h == INVALID_HANDLE_VALUE) {
                ++attempts;
                s.h = CreateFileW(path.c_str(), GENERIC_READ | FILE_WRITE_DATA, 0, nullptr,
                                  OPEN_EXISTING, 0, nullptr);
                if (s.h == INVALID_HANDLE_VALUE) continue;
                ++opened;
                s.next_send = now;
            }
            if (now >= s.next_send) {
                DWORD n = 0;
                const bool dribbler = i % 2 == 1;
                const BOOL ok = dribbler ? WriteFile(s.h, "{", 1, &n, nullptr)
                                         : WriteFile(s.h, line, sizeof line - 1, &n, nullptr);
                s.next_send = now + (dribbler ? 1000 : 4000);
                if (!ok) {
                    CloseHandle(s.h);
                    s.h = INVALID_HANDLE_VALUE;
                    continue;
                }
            }
            // A connection the server closed (refused, timed out) is noticed
            // at once: PeekNamedPipe fails on it once what the server wrote
            // last (a refusal) has been read.
            DWORD avail = 0;
            bool alive = PeekNamedPipe(s.h, nullptr, 0, nullptr, &avail, nullptr);
            if (alive && avail > 0) {
                std::string sink(avail, '\0');
                DWORD n = 0;
                alive = ReadFile(s.h, sink.data(), avail, &n, nullptr) &&
                        PeekNamedPipe(s.h, nullptr, 0, nullptr, &avail, nullptr);
            }
            if (!alive) {
                CloseHandle(s.h);
                s.h = INVALID_HANDLE_VALUE;
                continue;
            }
            ++held;
        }
        max_held = std::max(max_held, held);
        Sleep(1);
    }
    for (Slot& s : slots) {
        if (s.h != INVALID_HANDLE_VALUE) CloseHandle(s.h);
    }
    std::printf("attempts %llu opened %llu max_held %zu\n", attempts, opened, max_held);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "squat") return squat(pipe_path(argv[2]));
    if (argc == 5 && std::string(argv[1]) == "flood") {
        return flood(pipe_path(argv[2]), std::strtoul(argv[3], nullptr, 10), std::atof(argv[4]));
    }
    std::fprintf(stderr, "usage: pipe_actor squat NAME | pipe_actor flood NAME COUNT SECONDS\n");
    return 2;
}
