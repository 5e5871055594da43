// SCM helpers shared by the service and MSI tests: the PermWatch service's
// handle, its state, its configuration, and the event source key.
#pragma once

#include <windows.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace permwatch::test {

inline constexpr const wchar_t* kEventSourceKey =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\PermWatch";

struct ScCloser {
    void operator()(SC_HANDLE h) const { CloseServiceHandle(h); }
};
using ScHandle = std::unique_ptr<std::remove_pointer_t<SC_HANDLE>, ScCloser>;

inline ScHandle open_scm() {
    return ScHandle(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS));
}

inline ScHandle open_service(const ScHandle& scm, DWORD* error = nullptr) {
    ScHandle s(scm ? OpenServiceW(scm.get(), L"PermWatch", SERVICE_ALL_ACCESS) : nullptr);
    if (error) *error = s ? 0 : GetLastError();
    return s;
}

inline DWORD state_of(const ScHandle& service, SERVICE_STATUS* full = nullptr) {
    SERVICE_STATUS status{};
    if (!QueryServiceStatus(service.get(), &status)) return 0;
    if (full) *full = status;
    return status.dwCurrentState;
}

// Polls until the service is in `state`; returns how long it took, or nullopt.
inline std::optional<std::chrono::milliseconds> wait_for_state(const ScHandle& service, DWORD state,
                                                               std::chrono::milliseconds limit) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (state_of(service) == state)
            return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

struct ServiceConfig {
    std::wstring binary_path, account, display_name;
    DWORD start_type = 0, service_type = 0;
    bool operator==(const ServiceConfig&) const = default;
};

inline ServiceConfig query_config(const ScHandle& service) {
    DWORD need = 0;
    QueryServiceConfigW(service.get(), nullptr, 0, &need);
    std::vector<BYTE> buffer(need);
    auto* c = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buffer.data());
    if (!QueryServiceConfigW(service.get(), c, need, &need)) return {};
    return {c->lpBinaryPathName ? c->lpBinaryPathName : L"",
            c->lpServiceStartName ? c->lpServiceStartName : L"",
            c->lpDisplayName ? c->lpDisplayName : L"", c->dwStartType, c->dwServiceType};
}

inline bool event_source_exists() {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kEventSourceKey, 0, KEY_READ | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS) {
        return false;
    }
    RegCloseKey(key);
    return true;
}

}  // namespace permwatch::test
