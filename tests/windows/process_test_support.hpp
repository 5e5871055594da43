// Child processes for the tests: permwatch.exe and the actors in tests/tools,
// started with their stdout and stderr collected by a thread while they run,
// and killed when the object goes if they still run.
#pragma once

#include <windows.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace permwatch::test {

// The folder of this test executable (build/.../tests), where the actors are.
inline std::filesystem::path test_exe_dir() {
    wchar_t self[MAX_PATH];
    const DWORD n = GetModuleFileNameW(nullptr, self, MAX_PATH);
    return std::filesystem::path(std::wstring(self, n)).parent_path();
}

// The build tree's permwatch.exe (build/.../service).
inline std::filesystem::path built_permwatch_exe() {
    return test_exe_dir().parent_path() / L"service" / L"permwatch.exe";
}

class ChildProcess {
public:
    // `command_line` as CreateProcessW takes it (the exe quoted by the caller).
    explicit ChildProcess(std::wstring command_line) {
        SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
        HANDLE read = nullptr;
        HANDLE write = nullptr;
        if (!CreatePipe(&read, &write, &inherit, 0)) {
            error_ = GetLastError();
            return;
        }
        SetHandleInformation(read, HANDLE_FLAG_INHERIT, 0);
        STARTUPINFOW si{};
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
        si.hStdOutput = write;
        si.hStdError = write;
        started_ = CreateProcessW(nullptr, command_line.data(), nullptr, nullptr, TRUE, 0, nullptr,
                                  nullptr, &si, &pi_);
        if (!started_) error_ = GetLastError();
        CloseHandle(write);
        reader_ = std::thread([this, read] {
            char buffer[4096];
            DWORD got = 0;
            while (ReadFile(read, buffer, sizeof buffer, &got, nullptr) && got > 0) {
                std::lock_guard lock(mutex_);
                text_.append(buffer, got);
            }
            CloseHandle(read);
        });
    }
    // `exe` with `args` after it.
    ChildProcess(const std::filesystem::path& exe, const std::wstring& args)
        : ChildProcess(L"\"" + exe.wstring() + L"\" " + args) {}
    ~ChildProcess() {
        kill();
        if (started_) {
            CloseHandle(pi_.hProcess);
            CloseHandle(pi_.hThread);
        }
        if (reader_.joinable()) reader_.join();
    }
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    bool started() const { return started_; }
    // GetLastError of a start that failed.
    DWORD start_error() const { return error_; }
    DWORD pid() const { return pi_.dwProcessId; }
    // Started and not yet exited.
    bool running() const {
        DWORD code = 0;
        return started_ && GetExitCodeProcess(pi_.hProcess, &code) && code == STILL_ACTIVE;
    }

    // Ends it now if it still runs, and waits (at most 30 s) until it has.
    void kill() {
        if (!started_) return;
        TerminateProcess(pi_.hProcess, 9);
        WaitForSingleObject(pi_.hProcess, 30000);
    }
    // The exit code, once it has exited within `limit`; else 0xFFFFFFFF.
    // Returns after the reader has taken everything it wrote (the pipe ends
    // when the process does), so text() is then complete.
    DWORD wait(std::chrono::milliseconds limit) {
        DWORD code = 0xFFFFFFFF;
        if (started_ &&
            WaitForSingleObject(pi_.hProcess, static_cast<DWORD>(limit.count())) == WAIT_OBJECT_0) {
            GetExitCodeProcess(pi_.hProcess, &code);
            if (reader_.joinable()) reader_.join();
        }
        return code;
    }
    // What it wrote so far, stdout and stderr together.
    std::string text() const {
        std::lock_guard lock(mutex_);
        return text_;
    }
    bool has(const std::string& s) const { return text().find(s) != std::string::npos; }

private:
    PROCESS_INFORMATION pi_{};
    bool started_ = false;
    DWORD error_ = 0;
    mutable std::mutex mutex_;
    std::string text_;
    std::thread reader_;
};

}  // namespace permwatch::test
