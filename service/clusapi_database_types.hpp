// The cluster registry (cluster database) and owner enumerations of
// clusapi.h, declared from Microsoft's reference (learn.microsoft.com,
// "clusapi.h"; they match MinGW-w64's clusapi.h), for the cluster database
// adapter. Loaded at run time like the rest (clusapi_library.hpp).
#pragma once

#include <windows.h>

#include "service/clusapi_types.hpp"

namespace permwatch::clus {

using HGroupEnum = void*;     // HGROUPENUM
using HResourceEnum = void*;  // HRESENUM

// CLUSTER_GROUP_ENUM: CLUSTER_GROUP_ENUM_NODES lists the group's preferred owners.
inline constexpr DWORD kGroupEnumContains = 0x00000001;
inline constexpr DWORD kGroupEnumNodes = 0x00000002;
// CLUSTER_RESOURCE_ENUM: CLUSTER_RESOURCE_ENUM_NODES lists a resource's possible owners.
inline constexpr DWORD kResourceEnumNodes = 0x00000004;

// CLUSTER_NODE_STATE.
inline constexpr int kNodeStateUnknown = -1;
inline constexpr int kNodeUp = 0;
inline constexpr int kNodeDown = 1;
inline constexpr int kNodePaused = 2;
inline constexpr int kNodeJoining = 3;

using GetClusterNodeStateFn = int(WINAPI*)(HNode hNode);
using ClusterGroupOpenEnumFn = HGroupEnum(WINAPI*)(HGroup hGroup, DWORD dwType);
using ClusterGroupEnumFn = DWORD(WINAPI*)(HGroupEnum hGroupEnum, DWORD dwIndex, LPDWORD lpdwType,
                                          LPWSTR lpszResourceName, LPDWORD lpcchName);
using ClusterGroupCloseEnumFn = DWORD(WINAPI*)(HGroupEnum hGroupEnum);
using ClusterResourceOpenEnumFn = HResourceEnum(WINAPI*)(HResource hResource, DWORD dwType);
using ClusterResourceEnumFn = DWORD(WINAPI*)(HResourceEnum hResEnum, DWORD dwIndex,
                                             LPDWORD lpdwType, LPWSTR lpszName, LPDWORD lpcchName);
using ClusterResourceCloseEnumFn = DWORD(WINAPI*)(HResourceEnum hResEnum);

using GetClusterKeyFn = HKEY(WINAPI*)(HCluster hCluster, REGSAM samDesired);
using ClusterRegCreateKeyFn = LONG(WINAPI*)(HKEY hKey, LPCWSTR lpszSubKey, DWORD dwOptions,
                                            REGSAM samDesired,
                                            LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                            PHKEY phkResult, LPDWORD lpdwDisposition);
using ClusterRegOpenKeyFn = LONG(WINAPI*)(HKEY hKey, LPCWSTR lpszSubKey, REGSAM samDesired,
                                          PHKEY phkResult);
using ClusterRegCloseKeyFn = LONG(WINAPI*)(HKEY hKey);
using ClusterRegSetValueFn = DWORD(WINAPI*)(HKEY hKey, LPCWSTR lpszValueName, DWORD dwType,
                                            const BYTE* lpData, DWORD cbData);
using ClusterRegQueryValueFn = LONG(WINAPI*)(HKEY hKey, LPCWSTR lpszValueName,
                                             LPDWORD lpdwValueType, LPBYTE lpData,
                                             LPDWORD lpcbData);

}  // namespace permwatch::clus
