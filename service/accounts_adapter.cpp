#include "service/accounts_adapter.hpp"

#include <windows.h>
// lm.h needs windows.h first
#include <lm.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "core/common/ascii.hpp"
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

namespace {

using LocalGroupsFn = NET_API_STATUS(WINAPI*)(LPCWSTR, LPCWSTR, DWORD, DWORD, LPBYTE*, DWORD,
                                              LPDWORD, LPDWORD);
using GroupsFn = NET_API_STATUS(WINAPI*)(LPCWSTR, LPCWSTR, DWORD, LPBYTE*, DWORD, LPDWORD, LPDWORD);
using FreeFn = NET_API_STATUS(WINAPI*)(LPVOID);

// More than any real account has; a bound on what a hostile directory hands us.
constexpr DWORD kMaxGroups = 1024;

// netapi32 from System32 only, and loaded at run time: the service links
// nothing it needs only here.
struct NetApi {
    HMODULE module = nullptr;
    LocalGroupsFn local_groups = nullptr;
    GroupsFn groups = nullptr;
    FreeFn free_buffer = nullptr;

    static const NetApi& get() {
        static const NetApi api = [] {
            NetApi a;
            a.module = LoadLibraryExW(L"netapi32.dll", nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
            if (!a.module) return a;
            auto proc = [&](const char* name) {
                return reinterpret_cast<void*>(GetProcAddress(a.module, name));
            };
            a.local_groups = reinterpret_cast<LocalGroupsFn>(proc("NetUserGetLocalGroups"));
            a.groups = reinterpret_cast<GroupsFn>(proc("NetUserGetGroups"));
            a.free_buffer = reinterpret_cast<FreeFn>(proc("NetApiBufferFree"));
            return a;
        }();
        return api;
    }
};

// "DOMAIN\\name" of a SID, or empty.
std::wstring account_name_of(const Sid& sid) {
    std::vector<unsigned char> binary = to_binary_sid(sid);
    wchar_t name[256], domain[256];
    DWORD name_cch = 256, domain_cch = 256;
    SID_NAME_USE use{};
    if (!LookupAccountSidW(nullptr, binary.data(), name, &name_cch, domain, &domain_cch, &use) ||
        use != SidTypeUser)
        return {};
    return domain_cch ? std::wstring(domain) + L"\\" + name : std::wstring(name);
}

// Group names as NetUserGet*Groups hand them out: an array of structures
// whose first member is the name.
template <class Info>
void add_names(const NetApi& api, LPBYTE buffer, DWORD read, std::vector<std::wstring>& out) {
    const auto* info = reinterpret_cast<const Info*>(buffer);
    for (DWORD i = 0; i < std::min(read, kMaxGroups); ++i) {
        const wchar_t* name = *reinterpret_cast<const LPWSTR*>(&info[i]);
        if (name) out.emplace_back(name, wcsnlen(name, 256));
    }
    if (buffer) api.free_buffer(buffer);
}

}  // namespace

std::vector<Sid> Win32Accounts::account_groups(const Sid& account) {
    const auto& subs = account.sub_authorities();
    if (account.authority() != 5 || subs.empty() || subs[0] != 21) return {};
    const NetApi& api = NetApi::get();
    if (!api.local_groups || !api.groups || !api.free_buffer) return {};
    const std::wstring name = account_name_of(account);
    if (name.empty()) return {};
    std::vector<std::wstring> names;
    LPBYTE buffer = nullptr;
    DWORD read = 0, total = 0;
    if (api.local_groups(nullptr, name.c_str(), 0, LG_INCLUDE_INDIRECT, &buffer,
                         MAX_PREFERRED_LENGTH, &read, &total) == NERR_Success) {
        add_names<LOCALGROUP_USERS_INFO_0>(api, buffer, read, names);
    } else if (buffer) {
        api.free_buffer(buffer);
    }
    buffer = nullptr;
    // NetUserGetGroups wants the name without its domain.
    const std::wstring user = name.substr(name.find(L'\\') + 1);
    if (api.groups(nullptr, user.c_str(), 0, &buffer, MAX_PREFERRED_LENGTH, &read, &total) ==
        NERR_Success) {
        add_names<GROUP_USERS_INFO_0>(api, buffer, read, names);
    } else if (buffer) {
        api.free_buffer(buffer);
    }
    std::vector<Sid> out;
    for (const std::wstring& group : names) {
        try {
            const AccountLookup found = account_sid(narrow(group));
            if (found.sid && std::find(out.begin(), out.end(), *found.sid) == out.end())
                out.push_back(*found.sid);
        } catch (const InvalidText&) {
            // A group name that is not valid UTF-16 names no group we know.
        }
    }
    return out;
}

}  // namespace permwatch::win
