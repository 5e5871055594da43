// TEST FAKE clusapi.dll: who may own a group or a resource, and whether a
// node is up, with the documented signatures (learn.microsoft.com, clusapi.h):
//   ClusterGroupOpenEnum(CLUSTER_GROUP_ENUM_NODES)       preferred owners, in order
//   ClusterGroupOpenEnum(CLUSTER_GROUP_ENUM_CONTAINS)    the group's resources
//   ClusterResourceOpenEnum(CLUSTER_RESOURCE_ENUM_NODES) possible owners
//   GetClusterNodeState                                  up / down
// clussim sets them (set-preferred, set-possible, node-down, node-up).
#include <windows.h>

#include <string>
#include <utility>
#include <vector>

#include "tests/fakes/clusapi/clusapi_fake_internal.hpp"

namespace {

// From clusapi.h (CLUSTER_GROUP_ENUM, CLUSTER_RESOURCE_ENUM, CLUSTER_NODE_STATE).
constexpr DWORD kGroupEnumContains = 0x1;
constexpr DWORD kGroupEnumNodes = 0x2;
constexpr DWORD kResourceEnumNodes = 0x4;
constexpr int kNodeStateUnknown = -1;
constexpr int kNodeUp = 0;
constexpr int kNodeDown = 1;

constexpr DWORD kTagGroupEnum = 0x47454E4D;     // "GENM"
constexpr DWORD kTagResourceEnum = 0x52454E4D;  // "RENM"

struct OwnerEnum {
    DWORD tag;
    std::vector<std::pair<DWORD, std::wstring>> items;
};

OwnerEnum* as_enum(void* handle, DWORD tag) {
    auto* e = static_cast<OwnerEnum*>(handle);
    return (e && e->tag == tag) ? e : nullptr;
}

DWORD enum_item(void* handle, DWORD tag, DWORD index, LPDWORD type, LPWSTR name, LPDWORD cch) {
    OwnerEnum* e = as_enum(handle, tag);
    if (!e) return ERROR_INVALID_HANDLE;
    if (index >= e->items.size()) return ERROR_NO_MORE_ITEMS;
    if (type) *type = e->items[index].first;
    return fake::out_string(e->items[index].second.c_str(), name, cch);
}

DWORD enum_close(void* handle, DWORD tag) {
    OwnerEnum* e = as_enum(handle, tag);
    if (!e) return ERROR_INVALID_HANDLE;
    e->tag = 0;
    delete e;
    return ERROR_SUCCESS;
}

}  // namespace

extern "C" {

void* WINAPI ClusterGroupOpenEnum(void* group, DWORD type) {
    const wchar_t* name = fake::group_name(group);
    clussim::State* s = fake::shared();
    if (!name || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    clussim::Lock lock(fake::mapping());
    clussim::Group* g = clussim::find_group(*s, name);
    if (!g) {
        SetLastError(5013);  // ERROR_GROUP_NOT_FOUND
        return nullptr;
    }
    auto* e = new OwnerEnum{kTagGroupEnum, {}};
    if (type & kGroupEnumContains)
        for (const auto& r : s->resources)
            if (r.used && clussim::same(r.group, g->name))
                e->items.emplace_back(kGroupEnumContains, r.name);
    if (type & kGroupEnumNodes)
        for (DWORD i = 0; i < g->preferred_count && i < static_cast<DWORD>(clussim::kNodes); ++i)
            e->items.emplace_back(kGroupEnumNodes, g->preferred[i]);
    return e;
}

DWORD WINAPI ClusterGroupGetEnumCount(void* handle) {
    OwnerEnum* e = as_enum(handle, kTagGroupEnum);
    return e ? static_cast<DWORD>(e->items.size()) : 0;
}

DWORD WINAPI ClusterGroupEnum(void* handle, DWORD index, LPDWORD type, LPWSTR name, LPDWORD cch) {
    return enum_item(handle, kTagGroupEnum, index, type, name, cch);
}

DWORD WINAPI ClusterGroupCloseEnum(void* handle) { return enum_close(handle, kTagGroupEnum); }

void* WINAPI ClusterResourceOpenEnum(void* resource, DWORD type) {
    const wchar_t* name = fake::resource_name(resource);
    clussim::State* s = fake::shared();
    if (!name || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    clussim::Lock lock(fake::mapping());
    clussim::Resource* r = clussim::find_resource(*s, name);
    if (!r) {
        SetLastError(5007);  // ERROR_RESOURCE_NOT_FOUND
        return nullptr;
    }
    auto* e = new OwnerEnum{kTagResourceEnum, {}};
    // Dependencies (DEPENDS, PROVIDES) are not simulated: none.
    if (type & kResourceEnumNodes) {
        if (r->possible_set) {
            for (DWORD i = 0; i < r->possible_count && i < static_cast<DWORD>(clussim::kNodes); ++i)
                e->items.emplace_back(kResourceEnumNodes, r->possible[i]);
        } else {
            for (const auto& n : s->nodes)
                if (n.used) e->items.emplace_back(kResourceEnumNodes, n.name);
        }
    }
    return e;
}

DWORD WINAPI ClusterResourceGetEnumCount(void* handle) {
    OwnerEnum* e = as_enum(handle, kTagResourceEnum);
    return e ? static_cast<DWORD>(e->items.size()) : 0;
}

DWORD WINAPI ClusterResourceEnum(void* handle, DWORD index, LPDWORD type, LPWSTR name,
                                 LPDWORD cch) {
    return enum_item(handle, kTagResourceEnum, index, type, name, cch);
}

DWORD WINAPI ClusterResourceCloseEnum(void* handle) { return enum_close(handle, kTagResourceEnum); }

// Returns CLUSTER_NODE_STATE.
int WINAPI GetClusterNodeState(void* node) {
    const wchar_t* name = fake::node_name(node);
    clussim::State* s = fake::shared();
    if (!name || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return kNodeStateUnknown;
    }
    clussim::Lock lock(fake::mapping());
    const clussim::Node* n = clussim::find_node(*s, name);
    if (!n) {
        SetLastError(5042);  // ERROR_CLUSTER_NODE_NOT_FOUND
        return kNodeStateUnknown;
    }
    return n->up ? kNodeUp : kNodeDown;
}

}  // extern "C"
