// clusapi.dll, loaded at run time from System32 only (never linked: a node
// without the Failover Clustering feature has no clusapi.dll, or one whose
// functions fail, and PermWatch then runs standalone). The one place that
// loads it and resolves its exports; the cluster adapter (notifications,
// checkpoints) and the cluster database adapter (published summaries,
// owners) both call through it.
#pragma once

#include <windows.h>

#include <memory>
#include <string>

#include "service/clusapi_types.hpp"
#include "service/unique_handle.hpp"

namespace permwatch::win {

// Which adapter cannot work without a function.
enum ClusapiUser : unsigned {
    kClusapiOptional = 0,       // each user checks for it where it calls it
    kClusapiNotifications = 1,  // service/cluster_adapter (Win32Cluster)
    kClusapiDatabase = 2,       // service/cluster_database (Win32ClusterView, the store)
    kClusapiBoth = 1 | 2,
};

// Every export PermWatch calls, each named once: for loading, and for saying
// which one a DLL lacks. GetNodeClusterState is optional here because both
// users ask it first and say so in their own words; the notification
// functions because either the V1 or the V2 pair serves (has_v1, has_v2).
// clang-format off
#define PW_CLUSAPI_FUNCTIONS(X) \
    X(GetNodeClusterState, kClusapiOptional) \
    X(OpenCluster, kClusapiBoth) \
    X(CloseCluster, kClusapiBoth) \
    X(GetClusterInformation, kClusapiBoth) \
    X(ClusterOpenEnum, kClusapiBoth) \
    X(ClusterEnum, kClusapiBoth) \
    X(ClusterCloseEnum, kClusapiBoth) \
    X(OpenClusterNode, kClusapiDatabase) \
    X(CloseClusterNode, kClusapiDatabase) \
    X(GetClusterNodeState, kClusapiDatabase) \
    X(GetClusterNodeId, kClusapiOptional) \
    X(OpenClusterGroup, kClusapiBoth) \
    X(CloseClusterGroup, kClusapiBoth) \
    X(GetClusterGroupState, kClusapiNotifications) \
    X(ClusterGroupOpenEnum, kClusapiDatabase) \
    X(ClusterGroupEnum, kClusapiDatabase) \
    X(ClusterGroupCloseEnum, kClusapiDatabase) \
    X(OpenClusterResource, kClusapiBoth) \
    X(CloseClusterResource, kClusapiBoth) \
    X(GetClusterResourceState, kClusapiBoth) \
    X(ClusterResourceControl, kClusapiBoth) \
    X(ClusterResourceOpenEnum, kClusapiDatabase) \
    X(ClusterResourceEnum, kClusapiDatabase) \
    X(ClusterResourceCloseEnum, kClusapiDatabase) \
    X(GetClusterKey, kClusapiDatabase) \
    X(ClusterRegCreateKey, kClusapiDatabase) \
    X(ClusterRegOpenKey, kClusapiDatabase) \
    X(ClusterRegCloseKey, kClusapiDatabase) \
    X(ClusterRegSetValue, kClusapiDatabase) \
    X(ClusterRegQueryValue, kClusapiDatabase) \
    X(CreateClusterNotifyPort, kClusapiOptional) \
    X(GetClusterNotify, kClusapiOptional) \
    X(CreateClusterNotifyPortV2, kClusapiOptional) \
    X(GetClusterNotifyV2, kClusapiOptional) \
    X(CloseClusterNotifyPort, kClusapiNotifications)
// clang-format on

class ClusapiLibrary {
public:
    // The DLL with every export resolved (null where it has none), or
    // nullptr when it cannot be loaded; `why` says why.
    static std::shared_ptr<const ClusapiLibrary> load(std::string& why);
    ~ClusapiLibrary();
    ClusapiLibrary(const ClusapiLibrary&) = delete;
    ClusapiLibrary& operator=(const ClusapiLibrary&) = delete;

    // The first function `user` needs that the DLL does not export, or "".
    std::string missing(ClusapiUser user) const;
    bool has_v1() const { return CreateClusterNotifyPort && GetClusterNotify; }
    bool has_v2() const { return CreateClusterNotifyPortV2 && GetClusterNotifyV2; }

#define PW_CLUSAPI_MEMBER(name, user) clus::name##Fn name = nullptr;
    PW_CLUSAPI_FUNCTIONS(PW_CLUSAPI_MEMBER)
#undef PW_CLUSAPI_MEMBER

private:
    explicit ClusapiLibrary(HMODULE module) : module_(module) {}
    HMODULE module_;
};

// Handles from clusapi, closed through the function loaded from it: cluster,
// node, group, resource and notify-port handles (their closers return BOOL);
// enumerations (theirs return DWORD); keys of the cluster database (LONG).
using ClusterObject = UniqueHandle<NullIsNone<void*, CloseThrough<void*>>>;
using ClusterEnumeration = UniqueHandle<NullIsNone<void*, CloseThrough<void*, DWORD>>>;
using ClusterKey = UniqueHandle<NullIsNone<HKEY, CloseThrough<HKEY, LONG>>>;

}  // namespace permwatch::win
