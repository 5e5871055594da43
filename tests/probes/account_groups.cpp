// Probe (e2): what NetUserGetLocalGroups and NetUserGetGroups answer under
// Wine for the prefix user, SYSTEM and an unknown name. Loaded at run time so
// the probe needs no import library beyond the usual ones.
#include "probe_util.hpp"

#include <lm.h>

namespace {

using LocalGroupsFn = NET_API_STATUS(WINAPI*)(LPCWSTR, LPCWSTR, DWORD, DWORD, LPBYTE*, DWORD,
                                              LPDWORD, LPDWORD);
using GroupsFn = NET_API_STATUS(WINAPI*)(LPCWSTR, LPCWSTR, DWORD, LPBYTE*, DWORD, LPDWORD, LPDWORD);
using FreeFn = NET_API_STATUS(WINAPI*)(LPVOID);

}  // namespace

int main() {
    HMODULE net = LoadLibraryW(L"netapi32.dll");
    if (!net) {
        std::printf("[e2] netapi32.dll does not load: %lu\n", GetLastError());
        return 0;
    }
    auto local_groups = reinterpret_cast<LocalGroupsFn>(
        reinterpret_cast<void*>(GetProcAddress(net, "NetUserGetLocalGroups")));
    auto groups = reinterpret_cast<GroupsFn>(
        reinterpret_cast<void*>(GetProcAddress(net, "NetUserGetGroups")));
    auto free_buffer =
        reinterpret_cast<FreeFn>(reinterpret_cast<void*>(GetProcAddress(net, "NetApiBufferFree")));
    std::printf("[e2] exports: NetUserGetLocalGroups %s, NetUserGetGroups %s\n",
                local_groups ? "yes" : "no", groups ? "yes" : "no");
    wchar_t user[256];
    DWORD user_size = 256;
    GetUserNameW(user, &user_size);
    for (const std::wstring& name :
         {std::wstring(user), std::wstring(L"SYSTEM"), std::wstring(L"Administrator"),
          std::wstring(L"NoSuchUser42")}) {
        if (local_groups) {
            LPBYTE buf = nullptr;
            DWORD read = 0, total = 0;
            const NET_API_STATUS rc = local_groups(nullptr, name.c_str(), 0, LG_INCLUDE_INDIRECT,
                                                   &buf, MAX_PREFERRED_LENGTH, &read, &total);
            std::printf("[e2] NetUserGetLocalGroups(\"%s\") = %lu, %lu of %lu:",
                        probe::narrow(name.c_str()).c_str(), rc, read, total);
            const auto* g = reinterpret_cast<const LOCALGROUP_USERS_INFO_0*>(buf);
            for (DWORD i = 0; rc == 0 && g && i < read; ++i)
                std::printf(" \"%s\"", probe::narrow(g[i].lgrui0_name).c_str());
            std::printf("\n");
            if (buf && free_buffer) free_buffer(buf);
        }
        if (groups) {
            LPBYTE buf = nullptr;
            DWORD read = 0, total = 0;
            const NET_API_STATUS rc =
                groups(nullptr, name.c_str(), 0, &buf, MAX_PREFERRED_LENGTH, &read, &total);
            std::printf("[e2] NetUserGetGroups(\"%s\") = %lu, %lu of %lu:",
                        probe::narrow(name.c_str()).c_str(), rc, read, total);
            const auto* g = reinterpret_cast<const GROUP_USERS_INFO_0*>(buf);
            for (DWORD i = 0; rc == 0 && g && i < read; ++i)
                std::printf(" \"%s\"", probe::narrow(g[i].grui0_name).c_str());
            std::printf("\n");
            if (buf && free_buffer) free_buffer(buf);
        }
    }
    return 0;
}
