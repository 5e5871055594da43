// The cluster database calls of clusapi.h as Microsoft documents them
// (learn.microsoft.com, "clusapi.h"), written out here on purpose rather than
// taken from service/: the fake's test and clussim.exe call the fake through
// the documented signatures, so a slip in PermWatch's own declarations is not
// copied into what checks the fake.
#pragma once

#include <windows.h>

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

}  // namespace clusapi_h
