// (r2) What the Win32 calls of an append and a repair cost under Wine: each
// call that goes to the wineserver is a round trip, and a round trip made
// after the process did 250 us of its own work costs more than one made in a
// tight loop (the server has gone to sleep). Prints microseconds per call;
// the figures move with the machine's load, so read them as proportions.
#include <chrono>
#include <thread>

#include "probe_util.hpp"

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double us_per_call(int n, F f) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) f();
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
}

void work_250us() {
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < std::chrono::microseconds(250)) {
    }
}

}  // namespace

int main() {
    const int n = 2000;
    HANDLE mutex = CreateMutexW(nullptr, FALSE, L"Local\\PermWatchProbeCallCosts");
    std::printf("[r2] named mutex WaitForSingleObject+ReleaseMutex: %.1f us\n", us_per_call(n, [&] {
                    WaitForSingleObject(mutex, 5000);
                    ReleaseMutex(mutex);
                }));
    // A mutex released while another thread waits goes to that thread, even
    // if the releasing thread waits again at once (what the journal's lease
    // limit relies on).
    WaitForSingleObject(mutex, 5000);
    bool waiter_first = false;
    std::thread waiter([&] {
        WaitForSingleObject(mutex, 5000);
        waiter_first = true;
        Sleep(100);
        ReleaseMutex(mutex);
    });
    Sleep(200);  // it is waiting by now (a margin, not a measurement)
    ReleaseMutex(mutex);
    WaitForSingleObject(mutex, 5000);
    const bool got_it_after_waiter = waiter_first;
    ReleaseMutex(mutex);
    waiter.join();
    std::printf("[r2] a released mutex goes to the thread already waiting: %s\n",
                got_it_after_waiter ? "yes" : "no (the releaser took it back)");
    CloseHandle(mutex);

    const wchar_t* file = L"C:\\probe-call-costs.txt";
    HANDLE append = CreateFileW(file, FILE_APPEND_DATA | FILE_READ_ATTRIBUTES, 7, nullptr,
                                CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    HANDLE flush =
        CreateFileW(file, GENERIC_WRITE, 7, nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    LARGE_INTEGER size{};
    std::printf("[r2] GetFileSizeEx: %.1f us\n",
                us_per_call(n, [&] { GetFileSizeEx(append, &size); }));
    const std::string line(300, 'x');
    DWORD wrote = 0;
    std::printf("[r2] WriteFile of 300 bytes (FILE_APPEND_DATA): %.1f us\n", us_per_call(n, [&] {
                    WriteFile(append, line.data(), static_cast<DWORD>(line.size()), &wrote,
                              nullptr);
                }));
    std::printf("[r2] WriteFile + FlushFileBuffers: %.1f us\n", us_per_call(200, [&] {
                    WriteFile(append, line.data(), static_cast<DWORD>(line.size()), &wrote,
                              nullptr);
                    FlushFileBuffers(flush);
                }));
    CloseHandle(append);
    CloseHandle(flush);
    DeleteFileW(file);

    const wchar_t* sub = L"SOFTWARE\\PermWatchProbeCallCosts";
    HKEY key = nullptr;
    RegCreateKeyExW(HKEY_LOCAL_MACHINE, sub, 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &key, nullptr);
    std::printf("[r2] RegOpenKeyExW+RegCloseKey: %.1f us\n", us_per_call(n, [&] {
                    HKEY k = nullptr;
                    RegOpenKeyExW(HKEY_LOCAL_MACHINE, sub, REG_OPTION_OPEN_LINK,
                                  READ_CONTROL | KEY_QUERY_VALUE, &k);
                    RegCloseKey(k);
                }));
    std::printf("[r2] RegQueryValueExW of an absent SymbolicLinkValue: %.1f us\n",
                us_per_call(n, [&] {
                    wchar_t target[512];
                    DWORD bytes = sizeof target, type = 0;
                    RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &type,
                                     reinterpret_cast<BYTE*>(target), &bytes);
                }));
    alignas(8) unsigned char sd[4096];
    auto get = [&] {
        DWORD bytes = sizeof sd;
        RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, sd, &bytes);
    };
    std::printf("[r2] RegGetKeySecurity: %.1f us\n", us_per_call(n, get));
    std::printf("[r2] RegSetKeySecurity: %.1f us\n",
                us_per_call(n, [&] { RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd); }));
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    std::printf("[r2] SetSecurityInfo (DACL): %.1f us\n", us_per_call(n, [&] {
                    SetSecurityInfo(
                        key, SE_REGISTRY_KEY,
                        DACL_SECURITY_INFORMATION | UNPROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                        nullptr, dacl, nullptr);
                }));
    const double alone = us_per_call(1000, work_250us);
    const double with_get = us_per_call(1000, [&] {
        get();
        work_250us();
    });
    std::printf("[r2] RegGetKeySecurity after 250 us of work: %.1f us\n", with_get - alone);
    RegCloseKey(key);
    RegDeleteKeyW(HKEY_LOCAL_MACHINE, sub);
    return 0;
}
