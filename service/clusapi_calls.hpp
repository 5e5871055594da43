// The clusapi calls that both cluster adapters make (service/cluster_adapter,
// service/cluster_database), each written once over the functions
// ClusapiLibrary resolved: whether the Cluster service runs, opening the
// local cluster, listing names, an object's state, a resource's control-code
// answers. Every size clusapi hands back goes through call_growing
// (core/common/grow_buffer.hpp), bounded by core/common/foreign_sizes.hpp.
#pragma once

#include <windows.h>

#include <optional>
#include <string>
#include <vector>

#include "service/clusapi_library.hpp"

namespace permwatch::win {

// The text in a buffer clusapi filled: up to its first NUL, never past the
// buffer (a DLL that writes no NUL does not make PermWatch read on).
std::wstring text_in(const std::vector<wchar_t>& buffer);

// GetNodeClusterState(nullptr), asked before anything else: it is the
// documented check, and Wine's own clusapi.dll implements only it,
// OpenCluster and CloseCluster (its other exports raise an exception).
struct ClusterServiceState {
    enum class Outcome {
        no_function,  // the DLL does not export GetNodeClusterState
        failed,       // the call failed: whether this is a node is not known
        answered,     // `state` is NODE_CLUSTER_STATE
    };
    Outcome outcome = Outcome::no_function;
    DWORD state = 0;
    std::string why;  // unless running(): why there is no cluster to use
    bool running() const { return outcome == Outcome::answered && why.empty(); }
};
ClusterServiceState ask_cluster_service(const ClusapiLibrary& api);

// OpenCluster(nullptr); an empty handle, with `why`, when it fails.
ClusterObject open_local_cluster(const ClusapiLibrary& api, std::string& why);

// GetClusterInformation's cluster name, up to its first NUL; nullopt when
// the call fails.
std::optional<std::wstring> cluster_name_of(const ClusapiLibrary& api, clus::HCluster cluster);

// GetClusterNodeId of `node` (null: this node); nullopt when the call fails.
std::optional<std::wstring> node_id_of(const ClusapiLibrary& api, clus::HNode node);

// A list of names from clusapi: every one, or why they could not be had.
//
// The one error policy of every enumeration (ClusterEnum, ClusterGroupEnum,
// ClusterResourceEnum): a list is whole or it is an error, never a part of
// one. The enumeration that cannot be opened, a call that fails with
// anything but ERROR_NO_MORE_ITEMS, a name whose size is refused, an empty
// name or one with a control character, and more than kMaxForeignObjects
// names all make `error` non-empty and `names` empty. "The cluster has none"
// (ok() and no names) is then never said for "could not ask": a caller that
// cannot list the resources knows that their checkpoints are unknown, and
// says so (UnreadCheckpoints), rather than believing there are none.
struct ClusterNames {
    std::vector<std::wstring> names;
    std::string error;  // "" when `names` is the whole list
    bool ok() const { return error.empty(); }
};
// Every object of one CLUSTER_ENUM type; `what` opens the error's text.
ClusterNames cluster_objects(const ClusapiLibrary& api, clus::HCluster cluster, DWORD type,
                             const std::string& what);
// A group's or a resource's list of one CLUSTER_GROUP_ENUM /
// CLUSTER_RESOURCE_ENUM type (preferred owners, possible owners).
ClusterNames group_members(const ClusapiLibrary& api, clus::HGroup group, DWORD type,
                           const std::string& what);
ClusterNames resource_members(const ClusapiLibrary& api, clus::HResource resource, DWORD type,
                              const std::string& what);

// GetClusterResourceState / GetClusterGroupState: the state (the API's
// ...StateUnknown when the call failed, `error` then GetLastError), the
// owner node and, for a resource, its group.
struct ObjectState {
    int state = -1;
    std::wstring node;
    std::wstring group;
    DWORD error = ERROR_SUCCESS;
};
ObjectState resource_state(const ClusapiLibrary& api, clus::HResource resource);
ObjectState group_state(const ClusapiLibrary& api, clus::HGroup group);

// CLUSCTL_RESOURCE_GET_ID: the resource's id (a GUID string, the name of its
// key under HKLM\Cluster\Resources); "" when it cannot be read, `rc` then
// saying why.
std::wstring resource_id(const ClusapiLibrary& api, clus::HResource resource, DWORD& rc);

// CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS: the key paths (relative to
// HKLM, as the cluster gives them) when `rc` is ERROR_SUCCESS. `refused`:
// the DLL asked for `asked` bytes, more than any checkpoint list needs; `rc`
// is then ERROR_MORE_DATA.
struct CheckpointList {
    DWORD rc = ERROR_SUCCESS;
    bool refused = false;
    std::uint64_t asked = 0;
    std::vector<std::wstring> paths;
};
CheckpointList registry_checkpoints(const ClusapiLibrary& api, clus::HResource resource);

// CLUSCTL_RESOURCE_GET_RESOURCE_TYPE: the type's name ("Generic Service");
// "" when it cannot be read, `rc` then saying why.
std::wstring resource_type(const ClusapiLibrary& api, clus::HResource resource, DWORD& rc);

// The service a Generic Service resource runs: its private property
// ServiceName (CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES), read from a property
// list checked as hostile input. `problem` says why there is no name: the
// call failed or asked for too much, the list was refused (what and at which
// byte), or it holds no usable ServiceName.
struct ServiceNameAnswer {
    std::wstring name;
    std::string problem;
};
ServiceNameAnswer generic_service_name(const ClusapiLibrary& api, clus::HResource resource);

}  // namespace permwatch::win
