#include "service/accounts_adapter.hpp"

#include <windows.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "core/ascii.hpp"
#include "service/security_convert.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

using ScHandle = UniqueServiceHandle;

}  // namespace

std::optional<Sid> well_known_logon_account(std::string_view name) {
    if (iequals(name, "LocalSystem") || iequals(name, ".\\LocalSystem") ||
        iequals(name, "NT AUTHORITY\\SYSTEM")) {
        return local_system_sid();
    }
    if (iequals(name, "NT AUTHORITY\\LocalService") ||
        iequals(name, "NT AUTHORITY\\LOCAL SERVICE")) {
        return Sid::parse("S-1-5-19");
    }
    if (iequals(name, "NT AUTHORITY\\NetworkService") ||
        iequals(name, "NT AUTHORITY\\NETWORK SERVICE")) {
        return Sid::parse("S-1-5-20");
    }
    return std::nullopt;
}

AccountLookup Win32Accounts::account_sid(std::string_view account_name) {
    if (auto sid = well_known_logon_account(account_name)) return {sid, {}};
    const std::wstring name = widen(std::string(account_name));
    DWORD sid_size = 0, domain_size = 0;
    SID_NAME_USE use{};
    LookupAccountNameW(nullptr, name.c_str(), nullptr, &sid_size, nullptr, &domain_size, &use);
    DWORD err = GetLastError();
    if (err == ERROR_INSUFFICIENT_BUFFER) {
        std::vector<unsigned char> sid(sid_size);
        std::wstring domain(domain_size, L'\0');
        if (LookupAccountNameW(nullptr, name.c_str(), sid.data(), &sid_size, domain.data(),
                               &domain_size, &use)) {
            return {from_psid(sid.data()), {}};
        }
        err = GetLastError();
    }
    return {std::nullopt, describe("looking up account " + std::string(account_name), err)};
}

AccountLookup Win32Accounts::service_account_sid(std::string_view service_name) {
    const std::string service(service_name);
    ScHandle scm(OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT));
    if (!scm)
        return {std::nullopt, describe("opening the service control manager", GetLastError())};
    ScHandle svc(OpenServiceW(scm.get(), widen(service).c_str(), SERVICE_QUERY_CONFIG));
    if (!svc) return {std::nullopt, describe("opening service " + service, GetLastError())};
    DWORD needed = 0;
    QueryServiceConfigW(svc.get(), nullptr, 0, &needed);
    std::vector<unsigned char> buf(needed ? needed : sizeof(QUERY_SERVICE_CONFIGW));
    auto* config = reinterpret_cast<QUERY_SERVICE_CONFIGW*>(buf.data());
    if (!QueryServiceConfigW(svc.get(), config, static_cast<DWORD>(buf.size()), &needed)) {
        return {std::nullopt,
                describe("reading the configuration of service " + service, GetLastError())};
    }
    // An empty logon account means LocalSystem for a Win32 service.
    const std::string account = config->lpServiceStartName && *config->lpServiceStartName
                                    ? narrow(config->lpServiceStartName)
                                    : "LocalSystem";
    AccountLookup lookup = account_sid(account);
    if (!lookup.sid) {
        lookup.error = "service " + service + " logs on as " + account + ": " + lookup.error;
    }
    return lookup;
}

}  // namespace permwatch::win
