// SCM helpers shared by the service and MSI tests: the PermWatch service's
// handle, its state, its configuration, and the event source key.
#pragma once

#include <gtest/gtest.h>

#include <windows.h>

#include <algorithm>
#include <iostream>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/unique_handle.hpp"

namespace permwatch::test {

inline constexpr const wchar_t* kEventSourceKey =
    L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\PermWatch";

using ScHandle = win::UniqueServiceHandle;

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

// The service's process, opened while it runs so that a test can see how it
// ended; none when the service has no process now.
inline win::UniqueKernelHandle open_service_process(const ScHandle& service) {
    SERVICE_STATUS_PROCESS status{};
    DWORD need = 0;
    if (!QueryServiceStatusEx(service.get(), SC_STATUS_PROCESS_INFO,
                              reinterpret_cast<BYTE*>(&status), sizeof status, &need) ||
        status.dwProcessId == 0) {
        return {};
    }
    return win::UniqueKernelHandle(
        OpenProcess(SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, status.dwProcessId));
}

// Waits up to `limit` for the process to end: its exit code, or nullopt.
inline std::optional<DWORD> exit_code_within(const win::UniqueKernelHandle& process,
                                             std::chrono::milliseconds limit) {
    if (WaitForSingleObject(process.get(), static_cast<DWORD>(limit.count())) != WAIT_OBJECT_0)
        return std::nullopt;
    DWORD code = 0;
    if (!GetExitCodeProcess(process.get(), &code)) return std::nullopt;
    return code;
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

// QueryServiceConfig2W; empty when the SCM does not answer for that level.
inline std::vector<BYTE> query_config2(const ScHandle& service, DWORD level, DWORD* error) {
    DWORD need = 0;
    QueryServiceConfig2W(service.get(), level, nullptr, 0, &need);
    std::vector<BYTE> buffer(std::max<DWORD>(need, 64));
    *error = QueryServiceConfig2W(service.get(), level, buffer.data(),
                                  static_cast<DWORD>(buffer.size()), &need)
                 ? 0
                 : GetLastError();
    if (*error) buffer.clear();
    return buffer;
}

// What `permwatch install` gives the service (service/service_install.cpp),
// as far as this SCM can say; the MSI's service must have the same. Wine 8
// stores failure actions but answers ERROR_INVALID_LEVEL when asked for them,
// and knows no service SID type or required privileges: each is checked where
// the SCM can answer.
inline void expect_configured_like_permwatch_install(const ScHandle& service) {
    ASSERT_TRUE(service);
    DWORD error = 0;
    const auto preshutdown = query_config2(service, SERVICE_CONFIG_PRESHUTDOWN_INFO, &error);
    ASSERT_EQ(error, 0u);
    EXPECT_EQ(
        reinterpret_cast<const SERVICE_PRESHUTDOWN_INFO*>(preshutdown.data())->dwPreshutdownTimeout,
        10'000u);
    const auto failure = query_config2(service, SERVICE_CONFIG_FAILURE_ACTIONS, &error);
    if (error == 0) {
        const auto* f = reinterpret_cast<const SERVICE_FAILURE_ACTIONSW*>(failure.data());
        EXPECT_EQ(f->dwResetPeriod, 86'400u);
        ASSERT_EQ(f->cActions, 3u);
        EXPECT_EQ(f->lpsaActions[0].Type, SC_ACTION_RESTART);
        EXPECT_EQ(f->lpsaActions[0].Delay, 5'000u);
        EXPECT_EQ(f->lpsaActions[1].Delay, 10'000u);
        EXPECT_EQ(f->lpsaActions[2].Delay, 60'000u);
    } else {
        EXPECT_EQ(error, static_cast<DWORD>(ERROR_INVALID_LEVEL));
        std::cout << "[ note     ] failure actions not readable here (error " << error << ")\n";
    }
    const auto sid = query_config2(service, SERVICE_CONFIG_SERVICE_SID_INFO, &error);
    if (error == 0) {
        EXPECT_EQ(reinterpret_cast<const SERVICE_SID_INFO*>(sid.data())->dwServiceSidType,
                  static_cast<DWORD>(SERVICE_SID_TYPE_UNRESTRICTED));
    } else {
        EXPECT_EQ(error, static_cast<DWORD>(ERROR_INVALID_LEVEL));
        std::cout << "[ note     ] service SID type not readable here (error " << error << ")\n";
    }
    const auto privileges = query_config2(service, SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, &error);
    if (error == 0) {
        const auto* p =
            reinterpret_cast<const SERVICE_REQUIRED_PRIVILEGES_INFOW*>(privileges.data());
        ASSERT_NE(p->pmszRequiredPrivileges, nullptr);
        EXPECT_EQ(std::wstring(p->pmszRequiredPrivileges), L"SeChangeNotifyPrivilege");
        EXPECT_EQ(p->pmszRequiredPrivileges[wcslen(p->pmszRequiredPrivileges) + 1], L'\0');
    } else {
        EXPECT_EQ(error, static_cast<DWORD>(ERROR_INVALID_LEVEL));
        std::cout << "[ note     ] required privileges not readable here (error " << error << ")\n";
    }
}

}  // namespace permwatch::test
