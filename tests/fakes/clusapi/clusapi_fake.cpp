// TEST FAKE clusapi.dll (see clussim_state.hpp for why it exists and how it
// shares state with clussim.exe). Exports the real names with the documented
// signatures (service/clusapi_types.hpp); built twice from this file:
// clusapi.dll with the V2 notification API, and clusapi_v1/clusapi.dll whose
// .def leaves CreateClusterNotifyPortV2/GetClusterNotifyV2 out, so that
// GetProcAddress fails for them as on Windows Server 2008 R2 and older. Only
// the .def files export (no dllexport here), so the two lists are the truth.
#include <windows.h>

#include <cstring>
#include <string>
#include <vector>

#include "service/clusapi_types.hpp"
#include "tests/fakes/clusapi/clusapi_fake_internal.hpp"
#include "tests/fakes/clusapi/clusapi_fake_properties.hpp"
#include "tests/fakes/clusapi/clussim_state.hpp"

namespace clus = permwatch::clus;

namespace {

constexpr DWORD kTagCluster = 0x434C5553;
constexpr DWORD kTagGroup = 0x47525550;
constexpr DWORD kTagResource = 0x52455352;
constexpr DWORD kTagNode = 0x4E4F4445;
constexpr DWORD kTagPort = 0x504F5254;
constexpr DWORD kTagEnum = 0x454E554D;
constexpr DWORD kPollMs = 10;

// One mapping per process, opened by the first OpenCluster that finds the file.
clussim::Mapping g_map;
CRITICAL_SECTION g_cs;
bool g_open = false;

clussim::State* shared() {
    EnterCriticalSection(&g_cs);
    if (!g_open) g_open = g_map.open(false);
    LeaveCriticalSection(&g_cs);
    return g_open && g_map.valid() ? g_map.state() : nullptr;
}

struct Named {
    DWORD tag;
    wchar_t name[clussim::kName];
};

struct Port {
    DWORD tag;
    bool v2;
    DWORD v1_filter;
    std::vector<clus::NotifyFilterAndType> filters;
    ULONGLONG next_seq;
    DWORD epoch;
    DWORD_PTR key;
};

struct Enum {
    DWORD tag;
    std::vector<std::pair<DWORD, std::wstring>> items;
};

template <typename T>
T* as(void* handle, DWORD tag) {
    auto* p = static_cast<T*>(handle);
    return (p && p->tag == tag) ? p : nullptr;
}

Named* make_named(DWORD tag, const wchar_t* name) {
    auto* h = new Named{};
    h->tag = tag;
    clussim::copy(h->name, clussim::kName, name ? name : L"");
    return h;
}

BOOL close_named(void* handle, DWORD tag) {
    Named* h = as<Named>(handle, tag);
    if (!h) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    h->tag = 0;
    delete h;
    return TRUE;
}

// `clussim hostile --mode sizes`: records the offer and, below the hostile
// size, answers ERROR_MORE_DATA asking for it (the caller's *size is set).
// Called without the state lock held.
bool hostile_more(DWORD offered_bytes, LPDWORD size, DWORD asked) {
    clussim::State* s = shared();
    if (!s || !size) return false;
    clussim::Lock lock(g_map);
    if (!(s->hostile & clussim::kHostileSizes)) return false;
    if (offered_bytes > s->largest_offer) s->largest_offer = offered_bytes;
    if (*size >= asked) return false;
    *size = asked;
    return true;
}

// Copies `text` into a caller's buffer with the API's convention: *cch in is
// the buffer size in characters, out the length without the NUL.
DWORD out_string(const wchar_t* text, LPWSTR buf, LPDWORD cch) {
    const DWORD len = static_cast<DWORD>(wcslen(text));
    if (!cch) return ERROR_SUCCESS;
    if (buf &&
        hostile_more(*cch * static_cast<DWORD>(sizeof(wchar_t)), cch, clussim::kHostileChars)) {
        return ERROR_MORE_DATA;
    }
    if (!buf || *cch <= len) {
        *cch = len;
        return buf ? ERROR_MORE_DATA : ERROR_SUCCESS;
    }
    memcpy(buf, text, (len + 1) * sizeof(wchar_t));
    *cch = len;
    return ERROR_SUCCESS;
}

bool running(const clussim::State* s) { return s && s->running; }
bool unreachable(const clussim::State* s) { return s && GetTickCount64() < s->down_until; }
constexpr DWORD kRpcServerUnavailable = 1722;

// Next notification for `port`: ERROR_SUCCESS with *out, WAIT_TIMEOUT, or an
// error when the connection "broke" (clussim drop-connection / teardown).
DWORD next_notification(Port* port, DWORD timeout_ms, clussim::Notification* out) {
    const ULONGLONG deadline = GetTickCount64() + timeout_ms;
    for (;;) {
        clussim::State* s = shared();
        if (!s) return ERROR_INVALID_HANDLE;
        {
            clussim::Lock lock(g_map);
            if (!s->running || s->epoch != port->epoch) return ERROR_INVALID_HANDLE;
            if (s->next_seq > clussim::kRing && port->next_seq < s->next_seq - clussim::kRing) {
                // The ring overran this port: tell it as a reconnect (resync).
                port->next_seq = s->next_seq;
                *out = clussim::Notification{};
                out->v1_filter = clus::kChangeClusterReconnect;
                out->v2_type = clus::kObjectTypeCluster;
                out->v2_flags = clus::kClusterLostNotificationsV2;
                return ERROR_SUCCESS;
            }
            while (port->next_seq < s->next_seq) {
                const clussim::Notification& n = s->ring[port->next_seq % clussim::kRing];
                ++port->next_seq;
                bool match = false;
                if (port->v2) {
                    for (const auto& f : port->filters)
                        match =
                            match || (f.dwObjectType == n.v2_type && (f.FilterFlags & n.v2_flags));
                } else {
                    match = (port->v1_filter & n.v1_filter) != 0;
                }
                if (match) {
                    *out = n;
                    return ERROR_SUCCESS;
                }
            }
        }
        if (GetTickCount64() >= deadline) return WAIT_TIMEOUT;
        Sleep(kPollMs);
    }
}

}  // namespace

namespace fake {

clussim::State* shared() { return ::shared(); }
const clussim::Mapping& mapping() { return g_map; }
DWORD out_string(const wchar_t* text, LPWSTR buf, LPDWORD cch) {
    return ::out_string(text, buf, cch);
}
bool hostile_more(DWORD offered_bytes, LPDWORD size, DWORD asked) {
    return ::hostile_more(offered_bytes, size, asked);
}
bool is_cluster(void* handle) { return as<Named>(handle, kTagCluster) != nullptr; }
const wchar_t* group_name(void* handle) {
    Named* n = as<Named>(handle, kTagGroup);
    return n ? n->name : nullptr;
}
const wchar_t* resource_name(void* handle) {
    Named* n = as<Named>(handle, kTagResource);
    return n ? n->name : nullptr;
}
const wchar_t* node_name(void* handle) {
    Named* n = as<Named>(handle, kTagNode);
    return n ? n->name : nullptr;
}
DWORD reachable(const clussim::State* s) {
    if (!s) return ERROR_INVALID_HANDLE;
    if (unreachable(s)) return kRpcServerUnavailable;
    return running(s) ? ERROR_SUCCESS : kRpcServerUnavailable;
}

}  // namespace fake

extern "C" {

BOOL WINAPI DllMain(HINSTANCE, DWORD reason, LPVOID) {
    if (reason == DLL_PROCESS_ATTACH) InitializeCriticalSection(&g_cs);
    return TRUE;
}

clus::HCluster WINAPI OpenCluster(LPCWSTR name) {
    (void)name;
    clussim::State* s = shared();
    if (unreachable(s)) {
        SetLastError(kRpcServerUnavailable);
        return nullptr;
    }
    if (!running(s)) {
        // As on a node whose Cluster service does not run.
        SetLastError(clus::kErrorClusterNodeNotFound);
        return nullptr;
    }
    auto* h = new Named{};
    h->tag = kTagCluster;
    return h;
}

BOOL WINAPI CloseCluster(clus::HCluster h) { return close_named(h, kTagCluster); }

DWORD WINAPI GetClusterInformation(clus::HCluster h, LPWSTR name, LPDWORD cch, void* info) {
    (void)info;
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s) return ERROR_INVALID_HANDLE;
    clussim::Lock lock(g_map);
    return out_string(s->cluster_name, name, cch);
}

// NODE_CLUSTER_STATE: ClusterStateNotRunning 3, ClusterStateRunning 0x13.
DWORD WINAPI GetNodeClusterState(LPCWSTR node, LPDWORD state) {
    (void)node;
    if (!state) return ERROR_INVALID_PARAMETER;
    if (unreachable(shared())) return kRpcServerUnavailable;
    *state = running(shared()) ? 0x13 : 3;
    return ERROR_SUCCESS;
}

clus::HNode WINAPI OpenClusterNode(clus::HCluster h, LPCWSTR node) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    clussim::Lock lock(g_map);
    if (!clussim::find_node(*s, node)) {
        SetLastError(clus::kErrorClusterNodeNotFound);
        return nullptr;
    }
    return make_named(kTagNode, node);
}

BOOL WINAPI CloseClusterNode(clus::HNode h) { return close_named(h, kTagNode); }

DWORD WINAPI GetClusterNodeId(clus::HNode h, LPWSTR id, LPDWORD cch) {
    clussim::State* s = shared();
    if (!s) return ERROR_INVALID_HANDLE;
    clussim::Lock lock(g_map);
    const std::wstring here = clussim::this_node(*s);
    const wchar_t* name = here.c_str();
    if (h) {
        Named* n = as<Named>(h, kTagNode);
        if (!n) return ERROR_INVALID_HANDLE;
        name = n->name;
    }
    clussim::Node* node = clussim::find_node(*s, name);
    if (!node) return clus::kErrorClusterNodeNotFound;
    const std::wstring text = std::to_wstring(node->id);
    return out_string(text.c_str(), id, cch);
}

clus::HChange WINAPI CreateClusterNotifyPort(clus::HChange existing, clus::HCluster h, DWORD filter,
                                             DWORD_PTR key) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s || (existing && existing != INVALID_HANDLE_VALUE)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return nullptr;
    }
    auto* p = new Port{};
    p->tag = kTagPort;
    p->v2 = false;
    p->v1_filter = filter;
    p->key = key;
    clussim::Lock lock(g_map);
    p->next_seq = s->next_seq;
    p->epoch = s->epoch;
    return p;
}

// Per-object registration is not needed by the cluster-wide filter above;
// accepted and ignored.
DWORD WINAPI RegisterClusterNotify(clus::HChange port, DWORD filter, HANDLE object, DWORD_PTR key) {
    (void)filter;
    (void)object;
    (void)key;
    return as<Port>(port, kTagPort) ? ERROR_SUCCESS : ERROR_INVALID_HANDLE;
}

DWORD WINAPI GetClusterNotify(clus::HChange h, DWORD_PTR* key, LPDWORD filter, LPWSTR name,
                              LPDWORD cch, DWORD timeout_ms) {
    Port* port = as<Port>(h, kTagPort);
    if (!port || port->v2) return ERROR_INVALID_HANDLE;
    if (cch && name && *cch <= static_cast<DWORD>(clussim::kName)) {
        // Names are < kName characters: ask for a buffer that always fits
        // rather than keeping a half-delivered notification.
        *cch = clussim::kName;
        return ERROR_MORE_DATA;
    }
    if (cch && name &&
        hostile_more(*cch * static_cast<DWORD>(sizeof(wchar_t)), cch, clussim::kHostileChars)) {
        return ERROR_MORE_DATA;
    }
    clussim::Notification n{};
    const DWORD rc = next_notification(port, timeout_ms, &n);
    if (rc != ERROR_SUCCESS) return rc;
    if (key) *key = port->key;
    if (filter) *filter = n.v1_filter;
    return out_string(n.name, name, cch);
}

clus::HChange WINAPI CreateClusterNotifyPortV2(clus::HChange existing, clus::HCluster h,
                                               clus::NotifyFilterAndType* filters, DWORD count,
                                               DWORD_PTR key) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s || !filters || count == 0 ||
        (existing && existing != INVALID_HANDLE_VALUE)) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return nullptr;
    }
    auto* p = new Port{};
    p->tag = kTagPort;
    p->v2 = true;
    p->filters.assign(filters, filters + count);
    p->key = key;
    clussim::Lock lock(g_map);
    p->next_seq = s->next_seq;
    p->epoch = s->epoch;
    return p;
}

DWORD WINAPI GetClusterNotifyV2(clus::HChange h, DWORD_PTR* key, clus::NotifyFilterAndType* what,
                                BYTE* buffer, LPDWORD buffer_size, LPWSTR object_id,
                                LPDWORD object_id_cch, LPWSTR parent_id, LPDWORD parent_id_cch,
                                LPWSTR name, LPDWORD name_cch, LPWSTR type, LPDWORD type_cch,
                                DWORD timeout_ms) {
    (void)buffer;
    Port* port = as<Port>(h, kTagPort);
    if (!port || !port->v2) return ERROR_INVALID_HANDLE;
    for (LPDWORD cch : {object_id_cch, parent_id_cch, name_cch}) {
        if (cch && *cch <= static_cast<DWORD>(clussim::kName)) {
            *cch = clussim::kName;
            return ERROR_MORE_DATA;
        }
    }
    if (buffer_size && hostile_more(*buffer_size, buffer_size, clussim::kHostileChars * 2)) {
        return ERROR_MORE_DATA;
    }
    if (name_cch && hostile_more(*name_cch * static_cast<DWORD>(sizeof(wchar_t)), name_cch,
                                 clussim::kHostileChars)) {
        return ERROR_MORE_DATA;
    }
    clussim::Notification n{};
    const DWORD rc = next_notification(port, timeout_ms, &n);
    if (rc != ERROR_SUCCESS) return rc;
    if (key) *key = port->key;
    if (what) {
        what->dwObjectType = n.v2_type;
        what->FilterFlags = n.v2_flags;
    }
    if (buffer_size) *buffer_size = 0;             // no payload: read the state back
    out_string(n.name, object_id, object_id_cch);  // the fake's ids are the names
    out_string(n.parent, parent_id, parent_id_cch);
    out_string(L"", type, type_cch);
    return out_string(n.name, name, name_cch);
}

BOOL WINAPI CloseClusterNotifyPort(clus::HChange h) {
    Port* port = as<Port>(h, kTagPort);
    if (!port) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    port->tag = 0;
    delete port;
    return TRUE;
}

clus::HClusEnum WINAPI ClusterOpenEnum(clus::HCluster h, DWORD type) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    auto* e = new Enum{};
    e->tag = kTagEnum;
    clussim::Lock lock(g_map);
    if (type & clus::kEnumNode)
        for (const auto& n : s->nodes)
            if (n.used) e->items.emplace_back(clus::kEnumNode, n.name);
    if (type & clus::kEnumResource)
        for (const auto& r : s->resources)
            if (r.used) e->items.emplace_back(clus::kEnumResource, r.name);
    if (type & clus::kEnumGroup)
        for (const auto& g : s->groups)
            if (g.used) e->items.emplace_back(clus::kEnumGroup, g.name);
    return e;
}

DWORD WINAPI ClusterEnum(clus::HClusEnum h, DWORD index, LPDWORD type, LPWSTR name, LPDWORD cch) {
    Enum* e = as<Enum>(h, kTagEnum);
    if (!e) return ERROR_INVALID_HANDLE;
    if (index >= e->items.size()) return ERROR_NO_MORE_ITEMS;
    if (type) *type = e->items[index].first;
    return out_string(e->items[index].second.c_str(), name, cch);
}

DWORD WINAPI ClusterCloseEnum(clus::HClusEnum h) {
    Enum* e = as<Enum>(h, kTagEnum);
    if (!e) return ERROR_INVALID_HANDLE;
    e->tag = 0;
    delete e;
    return ERROR_SUCCESS;
}

clus::HResource WINAPI OpenClusterResource(clus::HCluster h, LPCWSTR name) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    clussim::Lock lock(g_map);
    if (!clussim::find_resource(*s, name)) {
        SetLastError(5007);  // ERROR_RESOURCE_NOT_FOUND
        return nullptr;
    }
    return make_named(kTagResource, name);
}

BOOL WINAPI CloseClusterResource(clus::HResource h) { return close_named(h, kTagResource); }

DWORD WINAPI ClusterResourceControl(clus::HResource h, clus::HNode node, DWORD code, LPVOID in,
                                    DWORD in_size, LPVOID out, DWORD out_size, LPDWORD returned) {
    (void)node;
    (void)in;
    (void)in_size;
    Named* r = as<Named>(h, kTagResource);
    clussim::State* s = shared();
    if (!r || !s) return ERROR_INVALID_HANDLE;
    if (code != clus::kCtlResourceGetRegistryCheckpoints && code != clus::kCtlResourceGetId &&
        code != fake::kCtlResourceGetResourceType &&
        code != fake::kCtlResourceGetPrivateProperties) {
        return ERROR_INVALID_FUNCTION;
    }
    std::vector<BYTE> answer;
    {
        clussim::Lock lock(g_map);
        clussim::Resource* res = clussim::find_resource(*s, r->name);
        if (!res) return 5007;  // ERROR_RESOURCE_NOT_FOUND
        if (code == clus::kCtlResourceGetId) {
            answer = fake::PropertyListWriter::wide_bytes(clussim::resource_id(res->name));
        } else if (code == fake::kCtlResourceGetResourceType) {
            answer = fake::resource_type_answer(*res);
        } else if (code == fake::kCtlResourceGetPrivateProperties) {
            answer = fake::private_properties_answer(*res, s->hostile_property_list);
        } else {
            if (s->checkpoint_control_error) return s->checkpoint_control_error;
            std::wstring multi;
            for (DWORD i = 0; i < res->checkpoint_count && i < clussim::kCheckpoints; ++i) {
                multi += res->checkpoint[i];
                multi += L'\0';
            }
            answer = fake::PropertyListWriter::wide_bytes(multi);  // the list's final NUL
        }
    }
    const DWORD bytes = static_cast<DWORD>(answer.size());
    DWORD hostile = out_size;
    if (hostile_more(out_size, &hostile, clussim::kHostileChars * 2)) {
        if (returned) *returned = hostile;
        return ERROR_MORE_DATA;
    }
    // As documented: a buffer too small (or none) gets ERROR_MORE_DATA and,
    // in *lpBytesReturned, the size the answer needs.
    if (returned) *returned = bytes;
    if (!out || out_size < bytes) return ERROR_MORE_DATA;
    memcpy(out, answer.data(), bytes);
    return ERROR_SUCCESS;
}

int WINAPI GetClusterResourceState(clus::HResource h, LPWSTR node, LPDWORD node_cch, LPWSTR group,
                                   LPDWORD group_cch) {
    Named* r = as<Named>(h, kTagResource);
    clussim::State* s = shared();
    if (!r || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return clus::kResourceStateUnknown;
    }
    clussim::Lock lock(g_map);
    clussim::Resource* res = clussim::find_resource(*s, r->name);
    if (!res) {
        SetLastError(5007);
        return clus::kResourceStateUnknown;
    }
    clussim::Group* g = clussim::find_group(*s, res->group);
    out_string(g ? g->owner : L"", node, node_cch);
    out_string(res->group, group, group_cch);
    return res->state;
}

clus::HGroup WINAPI OpenClusterGroup(clus::HCluster h, LPCWSTR name) {
    clussim::State* s = shared();
    if (!as<Named>(h, kTagCluster) || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return nullptr;
    }
    clussim::Lock lock(g_map);
    if (!clussim::find_group(*s, name)) {
        SetLastError(5013);  // ERROR_GROUP_NOT_FOUND
        return nullptr;
    }
    return make_named(kTagGroup, name);
}

BOOL WINAPI CloseClusterGroup(clus::HGroup h) { return close_named(h, kTagGroup); }

int WINAPI GetClusterGroupState(clus::HGroup h, LPWSTR node, LPDWORD node_cch) {
    Named* g = as<Named>(h, kTagGroup);
    clussim::State* s = shared();
    if (!g || !s) {
        SetLastError(ERROR_INVALID_HANDLE);
        return clus::kGroupStateUnknown;
    }
    clussim::Lock lock(g_map);
    clussim::Group* group = clussim::find_group(*s, g->name);
    if (!group) {
        SetLastError(5013);
        return clus::kGroupStateUnknown;
    }
    out_string(group->owner, node, node_cch);
    return group->state;
}

}  // extern "C"
