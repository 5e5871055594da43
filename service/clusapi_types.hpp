// The part of clusapi.h that PermWatch uses (notifications, checkpoints,
// owners, the cluster database), each constant and signature declared once
// here from Microsoft's reference (learn.microsoft.com, "clusapi.h"):
// MinGW-w64's clusapi.h declares no V2 notification API and only compiles
// with _WIN32_WINNT=0x0502, and
// clusapi.dll is loaded at run time (LoadLibrary + GetProcAddress), never
// linked. Names are PermWatch's own (namespace permwatch::clus) so that they
// never clash with the SDK's macros and enums where clusapi.h is included.
// The test fake (tests/fakes/clusapi) implements the same signatures.
#pragma once

#include <windows.h>

namespace permwatch::clus {

// Opaque handles (HCLUSTER, HRESOURCE, HGROUP, HNODE, HCHANGE, HCLUSENUM).
using HCluster = void*;
using HResource = void*;
using HGroup = void*;
using HNode = void*;
using HChange = void*;
using HClusEnum = void*;
using HGroupEnum = void*;     // HGROUPENUM
using HResourceEnum = void*;  // HRESENUM

// CLUSTER_CHANGE (V1 notification filter), one bit per kind.
inline constexpr DWORD kChangeResourceState = 0x00000100;
inline constexpr DWORD kChangeResourceDeleted = 0x00000200;
inline constexpr DWORD kChangeResourceAdded = 0x00000400;
inline constexpr DWORD kChangeGroupState = 0x00001000;
inline constexpr DWORD kChangeGroupDeleted = 0x00002000;
inline constexpr DWORD kChangeGroupAdded = 0x00004000;
inline constexpr DWORD kChangeClusterReconnect = 0x00080000;
inline constexpr DWORD kChangeHandleClose = 0x80000000;

// CLUSTER_OBJECT_TYPE (V2).
inline constexpr DWORD kObjectTypeCluster = 1;
inline constexpr DWORD kObjectTypeGroup = 2;
inline constexpr DWORD kObjectTypeResource = 3;

// CLUSTER_CHANGE_CLUSTER_V2 / _GROUP_V2 / _RESOURCE_V2.
inline constexpr LONGLONG kClusterReconnectV2 = 0x00000001;
// A new group was created: posted on the cluster object, named after the group.
inline constexpr LONGLONG kClusterGroupAddedV2 = 0x00000004;
inline constexpr LONGLONG kClusterHandleCloseV2 = 0x00000008;
inline constexpr LONGLONG kClusterLostNotificationsV2 = 0x00000200;
inline constexpr LONGLONG kGroupDeletedV2 = 0x00000001;
inline constexpr LONGLONG kGroupStateV2 = 0x00000008;
inline constexpr LONGLONG kGroupOwnerNodeV2 = 0x00000010;
inline constexpr LONGLONG kGroupResourceAddedV2 = 0x00000040;
inline constexpr LONGLONG kGroupResourceGainedV2 = 0x00000080;
inline constexpr LONGLONG kGroupResourceLostV2 = 0x00000100;
inline constexpr LONGLONG kResourceStateV2 = 0x00000004;
inline constexpr LONGLONG kResourceDeletedV2 = 0x00000080;
inline constexpr LONGLONG kResourceHandleCloseV2 = 0x00000200;

// NOTIFY_FILTER_AND_TYPE.
struct NotifyFilterAndType {
    DWORD dwObjectType;
    LONGLONG FilterFlags;
};

// CLUSTER_ENUM.
inline constexpr DWORD kEnumNode = 0x00000001;
inline constexpr DWORD kEnumResource = 0x00000004;
inline constexpr DWORD kEnumGroup = 0x00000008;

// CLUSTER_GROUP_ENUM: CLUSTER_GROUP_ENUM_NODES lists the group's preferred owners.
inline constexpr DWORD kGroupEnumContains = 0x00000001;
inline constexpr DWORD kGroupEnumNodes = 0x00000002;
// CLUSTER_RESOURCE_ENUM: CLUSTER_RESOURCE_ENUM_NODES lists a resource's possible owners.
inline constexpr DWORD kResourceEnumNodes = 0x00000004;

// The states the API returns as int (CLUSTER_GROUP_STATE,
// CLUSTER_RESOURCE_STATE, CLUSTER_NODE_STATE); -1 (the ...StateUnknown value) when the
// call failed.
enum GroupState : int {
    kGroupStateUnknown = -1,
    kGroupOnline,
    kGroupOffline,
    kGroupFailed,
    kGroupPartialOnline,
    kGroupPending,
};
enum ResourceState : int {
    kResourceStateUnknown = -1,
    kResourceOnline = 2,  // then Offline 3, Failed 4
    kResourceOffline,
    kResourceFailed,
    kResourcePending = 128,  // then OnlinePending 129, OfflinePending 130
    kResourceOnlinePending,
    kResourceOfflinePending,
};
enum NodeState : int { kNodeStateUnknown = -1, kNodeUp, kNodeDown, kNodePaused, kNodeJoining };

// CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS =
// CLUSCTL_RESOURCE_CODE(CLCTL_EXTERNAL_CODE(42, CLUS_ACCESS_READ, CLUS_NO_MODIFY)):
// out buffer = MULTI_SZ of key paths relative to HKEY_LOCAL_MACHINE.
inline constexpr DWORD kCtlResourceGetRegistryCheckpoints = 0x010000A9;
// CLUSCTL_RESOURCE_GET_ID = CLUSCTL_RESOURCE_CODE(CLCTL_EXTERNAL_CODE(14,
// CLUS_ACCESS_READ, CLUS_NO_MODIFY)): out buffer = the resource's id (a GUID
// string, NUL-terminated), the name of its key under HKLM\Cluster\Resources.
inline constexpr DWORD kCtlResourceGetId = 0x01000039;
// CLUSCTL_RESOURCE_GET_RESOURCE_TYPE = CLUSCTL_RESOURCE_CODE(CLCTL_EXTERNAL_CODE(11,
// CLUS_ACCESS_READ, CLUS_NO_MODIFY)): out buffer = the resource type's name
// ("Generic Service"), NUL-terminated.
inline constexpr DWORD kCtlResourceGetResourceType = 0x0100002D;
// CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES = CLUSCTL_RESOURCE_CODE(CLCTL_EXTERNAL_CODE(32,
// CLUS_ACCESS_READ, CLUS_NO_MODIFY)): out buffer = a property list
// (core/cluster/property_list.hpp); a Generic Service's names its service.
inline constexpr DWORD kCtlResourceGetPrivateProperties = 0x01000081;

// Errors the API returns besides the usual Win32 ones.
inline constexpr DWORD kErrorClusterNodeNotFound = 5042;  // ERROR_CLUSTER_NODE_NOT_FOUND

// Function pointer types, exactly the documented signatures (WINAPI).
using GetNodeClusterStateFn = DWORD(WINAPI*)(LPCWSTR lpszNodeName, LPDWORD pdwClusterState);
// NODE_CLUSTER_STATE: the Cluster service is installed, configured and running.
inline constexpr DWORD kClusterStateRunning = 0x13;
using OpenClusterFn = HCluster(WINAPI*)(LPCWSTR lpszClusterName);
using CloseClusterFn = BOOL(WINAPI*)(HCluster hCluster);
using GetClusterInformationFn = DWORD(WINAPI*)(HCluster hCluster, LPWSTR lpszClusterName,
                                               LPDWORD lpcchClusterName, void* lpClusterInfo);
using GetClusterNodeIdFn = DWORD(WINAPI*)(HNode hNode, LPWSTR lpszNodeId, LPDWORD lpcchName);
using OpenClusterNodeFn = HNode(WINAPI*)(HCluster hCluster, LPCWSTR lpszNodeName);
using CloseClusterNodeFn = BOOL(WINAPI*)(HNode hNode);
using CreateClusterNotifyPortFn = HChange(WINAPI*)(HChange hChange, HCluster hCluster,
                                                   DWORD dwFilter, DWORD_PTR dwNotifyKey);
using RegisterClusterNotifyFn = DWORD(WINAPI*)(HChange hChange, DWORD dwFilterType, HANDLE hObject,
                                               DWORD_PTR dwNotifyKey);
using GetClusterNotifyFn = DWORD(WINAPI*)(HChange hChange, DWORD_PTR* lpdwNotifyKey,
                                          LPDWORD lpdwFilterType, LPWSTR lpszName,
                                          LPDWORD lpcchName, DWORD dwMilliseconds);
using CreateClusterNotifyPortV2Fn = HChange(WINAPI*)(HChange hChange, HCluster hCluster,
                                                     NotifyFilterAndType* Filters,
                                                     DWORD dwFilterCount, DWORD_PTR dwNotifyKey);
using GetClusterNotifyV2Fn = DWORD(WINAPI*)(HChange hChange, DWORD_PTR* lpdwNotifyKey,
                                            NotifyFilterAndType* pFilterAndType, BYTE* buffer,
                                            LPDWORD lpbBufferSize, LPWSTR lpszObjectId,
                                            LPDWORD lpcchObjectId, LPWSTR lpszParentId,
                                            LPDWORD lpcchParentId, LPWSTR lpszName,
                                            LPDWORD lpcchName, LPWSTR lpszType, LPDWORD lpcchType,
                                            DWORD dwMilliseconds);
using CloseClusterNotifyPortFn = BOOL(WINAPI*)(HChange hChange);
using ClusterOpenEnumFn = HClusEnum(WINAPI*)(HCluster hCluster, DWORD dwType);
using ClusterEnumFn = DWORD(WINAPI*)(HClusEnum hEnum, DWORD dwIndex, LPDWORD lpdwType,
                                     LPWSTR lpszName, LPDWORD lpcchName);
using ClusterCloseEnumFn = DWORD(WINAPI*)(HClusEnum hEnum);
using OpenClusterResourceFn = HResource(WINAPI*)(HCluster hCluster, LPCWSTR lpszResourceName);
using CloseClusterResourceFn = BOOL(WINAPI*)(HResource hResource);
using ClusterResourceControlFn = DWORD(WINAPI*)(HResource hResource, HNode hHostNode,
                                                DWORD dwControlCode, LPVOID lpInBuffer,
                                                DWORD cbInBufferSize, LPVOID lpOutBuffer,
                                                DWORD cbOutBufferSize, LPDWORD lpBytesReturned);
// Returns CLUSTER_RESOURCE_STATE.
using GetClusterResourceStateFn = int(WINAPI*)(HResource hResource, LPWSTR lpszNodeName,
                                               LPDWORD lpcchNodeName, LPWSTR lpszGroupName,
                                               LPDWORD lpcchGroupName);
using OpenClusterGroupFn = HGroup(WINAPI*)(HCluster hCluster, LPCWSTR lpszGroupName);
using CloseClusterGroupFn = BOOL(WINAPI*)(HGroup hGroup);
// Returns CLUSTER_GROUP_STATE.
using GetClusterGroupStateFn = int(WINAPI*)(HGroup hGroup, LPWSTR lpszNodeName,
                                            LPDWORD lpcchNodeName);
using GetClusterNodeStateFn = int(WINAPI*)(HNode hNode);  // returns CLUSTER_NODE_STATE
using ClusterGroupOpenEnumFn = HGroupEnum(WINAPI*)(HGroup hGroup, DWORD dwType);
using ClusterGroupEnumFn = DWORD(WINAPI*)(HGroupEnum hGroupEnum, DWORD dwIndex, LPDWORD lpdwType,
                                          LPWSTR lpszResourceName, LPDWORD lpcchName);
using ClusterGroupCloseEnumFn = DWORD(WINAPI*)(HGroupEnum hGroupEnum);
using ClusterResourceOpenEnumFn = HResourceEnum(WINAPI*)(HResource hResource, DWORD dwType);
using ClusterResourceEnumFn = DWORD(WINAPI*)(HResourceEnum hResEnum, DWORD dwIndex,
                                             LPDWORD lpdwType, LPWSTR lpszName, LPDWORD lpcchName);
using ClusterResourceCloseEnumFn = DWORD(WINAPI*)(HResourceEnum hResEnum);

// The cluster database (cluster registry).
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
