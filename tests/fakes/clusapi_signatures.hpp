// The cluster database calls of clusapi.h as Microsoft documents them
// (learn.microsoft.com, "clusapi.h"), written out here on purpose rather than
// taken from service/: the fake's test and clussim.exe call the fake through
// the documented signatures, so a slip in PermWatch's own declarations is not
// copied into what checks the fake.
#pragma once

#include <windows.h>

#include <type_traits>

namespace clusapi_h {

using OpenClusterFn = void*(WINAPI*)(LPCWSTR);
using CloseClusterFn = BOOL(WINAPI*)(void*);
using GetClusterKeyFn = HKEY(WINAPI*)(void*, REGSAM);
using ClusterRegCreateKeyFn = LONG(WINAPI*)(HKEY, LPCWSTR, DWORD, REGSAM, LPSECURITY_ATTRIBUTES,
                                            PHKEY, LPDWORD);
using ClusterRegOpenKeyFn = LONG(WINAPI*)(HKEY, LPCWSTR, REGSAM, PHKEY);
using ClusterRegCloseKeyFn = LONG(WINAPI*)(HKEY);
using ClusterRegSetValueFn = DWORD(WINAPI*)(HKEY, LPCWSTR, DWORD, const BYTE*, DWORD);
using ClusterRegQueryValueFn = LONG(WINAPI*)(HKEY, LPCWSTR, LPDWORD, LPBYTE, LPDWORD);
using ClusterRegDeleteValueFn = DWORD(WINAPI*)(HKEY, LPCWSTR);
using ClusterRegDeleteKeyFn = LONG(WINAPI*)(HKEY, LPCWSTR);
using ClusterRegEnumKeyFn = LONG(WINAPI*)(HKEY, DWORD, LPWSTR, LPDWORD, PFILETIME);
using ClusterRegEnumValueFn = DWORD(WINAPI*)(HKEY, DWORD, LPWSTR, LPDWORD, LPDWORD, LPBYTE,
                                             LPDWORD);

template <typename Fn>
Fn load(HMODULE dll, const char* name) {
    return reinterpret_cast<Fn>(reinterpret_cast<void*>(GetProcAddress(dll, name)));
}

// The cluster database calls of a loaded clusapi.dll, by their exported names.
struct DatabaseCalls {
    OpenClusterFn OpenCluster = nullptr;
    CloseClusterFn CloseCluster = nullptr;
    GetClusterKeyFn GetClusterKey = nullptr;
    ClusterRegCreateKeyFn ClusterRegCreateKey = nullptr;
    ClusterRegOpenKeyFn ClusterRegOpenKey = nullptr;
    ClusterRegCloseKeyFn ClusterRegCloseKey = nullptr;
    ClusterRegSetValueFn ClusterRegSetValue = nullptr;
    ClusterRegQueryValueFn ClusterRegQueryValue = nullptr;
    ClusterRegDeleteValueFn ClusterRegDeleteValue = nullptr;
    ClusterRegDeleteKeyFn ClusterRegDeleteKey = nullptr;
    ClusterRegEnumKeyFn ClusterRegEnumKey = nullptr;
    ClusterRegEnumValueFn ClusterRegEnumValue = nullptr;

    // Loads every call; returns the name of the first one `dll` lacks, or
    // nullptr when it has them all.
    const char* load_from(HMODULE dll) {
        const char* missing = nullptr;
        auto one = [&](auto& fn, const char* name) {
            fn = load<std::remove_reference_t<decltype(fn)>>(dll, name);
            if (!fn && !missing) missing = name;
        };
        one(OpenCluster, "OpenCluster");
        one(CloseCluster, "CloseCluster");
        one(GetClusterKey, "GetClusterKey");
        one(ClusterRegCreateKey, "ClusterRegCreateKey");
        one(ClusterRegOpenKey, "ClusterRegOpenKey");
        one(ClusterRegCloseKey, "ClusterRegCloseKey");
        one(ClusterRegSetValue, "ClusterRegSetValue");
        one(ClusterRegQueryValue, "ClusterRegQueryValue");
        one(ClusterRegDeleteValue, "ClusterRegDeleteValue");
        one(ClusterRegDeleteKey, "ClusterRegDeleteKey");
        one(ClusterRegEnumKey, "ClusterRegEnumKey");
        one(ClusterRegEnumValue, "ClusterRegEnumValue");
        return missing;
    }
};

}  // namespace clusapi_h
