#include "service/cluster_adapter.hpp"

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>

#include "core/cluster/regsync_values.hpp"
#include "core/common/foreign_sizes.hpp"
#include "service/clusapi_library.hpp"
#include "service/clusapi_types.hpp"
#include "service/regsync_reader.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// How long one GetClusterNotify* call may block: bounds disconnect().
constexpr DWORD kNotifyTimeoutMs = 200;

// The text in a fixed buffer filled by clusapi: up to its first NUL, never
// past the buffer (a DLL that writes no NUL does not make us read on).
template <std::size_t N>
std::wstring_view view_of(const wchar_t (&buffer)[N]) {
    return {buffer, bounded_length(buffer, N)};
}

template <std::size_t N>
std::wstring text_of(const wchar_t (&buffer)[N]) {
    return std::wstring(view_of(buffer));
}

std::wstring text_of(const std::wstring& buffer) {
    return std::wstring(buffer.data(), bounded_length(buffer.data(), buffer.size()));
}

bool same_name(const std::wstring& a, const std::wstring& b) {
    return CompareStringOrdinal(a.c_str(), static_cast<int>(a.size()), b.c_str(),
                                static_cast<int>(b.size()), TRUE) == CSTR_EQUAL;
}

}  // namespace

struct Win32Cluster::Api {
    std::shared_ptr<ClusapiLibrary> library;
    clus::GetNodeClusterStateFn GetNodeClusterState = nullptr;
    clus::OpenClusterFn OpenCluster = nullptr;
    clus::CloseClusterFn CloseCluster = nullptr;
    clus::GetClusterInformationFn GetClusterInformation = nullptr;
    clus::GetClusterNodeIdFn GetClusterNodeId = nullptr;
    clus::OpenClusterNodeFn OpenClusterNode = nullptr;
    clus::CloseClusterNodeFn CloseClusterNode = nullptr;
    clus::CreateClusterNotifyPortFn CreateClusterNotifyPort = nullptr;
    clus::GetClusterNotifyFn GetClusterNotify = nullptr;
    clus::CreateClusterNotifyPortV2Fn CreateClusterNotifyPortV2 = nullptr;
    clus::GetClusterNotifyV2Fn GetClusterNotifyV2 = nullptr;
    clus::CloseClusterNotifyPortFn CloseClusterNotifyPort = nullptr;
    clus::ClusterOpenEnumFn ClusterOpenEnum = nullptr;
    clus::ClusterEnumFn ClusterEnum = nullptr;
    clus::ClusterCloseEnumFn ClusterCloseEnum = nullptr;
    clus::OpenClusterResourceFn OpenClusterResource = nullptr;
    clus::CloseClusterResourceFn CloseClusterResource = nullptr;
    clus::ClusterResourceControlFn ClusterResourceControl = nullptr;
    clus::GetClusterResourceStateFn GetClusterResourceState = nullptr;
    clus::OpenClusterGroupFn OpenClusterGroup = nullptr;
    clus::CloseClusterGroupFn CloseClusterGroup = nullptr;
    clus::GetClusterGroupStateFn GetClusterGroupState = nullptr;

    // Where answers that are not followed are told (never null).
    std::function<void(const std::string&)> report = [](const std::string&) {};

    bool has_v2() const { return CreateClusterNotifyPortV2 && GetClusterNotifyV2; }
    bool has_v1() const { return CreateClusterNotifyPort && GetClusterNotify; }

    // Names of every object of one CLUSTER_ENUM type.
    std::vector<std::wstring> enumerate(clus::HCluster cluster, DWORD type) const {
        std::vector<std::wstring> out;
        const ClusterEnumeration e(ClusterOpenEnum(cluster, type), {ClusterCloseEnum});
        if (!e) return out;
        std::wstring name(256, L'\0');
        // Bounded: a DLL that never says ERROR_NO_MORE_ITEMS ends here too.
        for (DWORD i = 0; i < kMaxForeignObjects; ++i) {
            DWORD got_type = 0;
            DWORD cch = static_cast<DWORD>(name.size());
            DWORD rc = ClusterEnum(e.get(), i, &got_type, name.data(), &cch);
            if (rc == ERROR_MORE_DATA) {
                const auto grown = grown_size(cch, name.size(), kMaxForeignNameChars);
                if (!grown) {
                    report("ClusterEnum asked for a name of " + std::to_string(cch) +
                           " characters; the enumeration stops there");
                    break;
                }
                name.assign(*grown, L'\0');
                cch = static_cast<DWORD>(name.size());
                rc = ClusterEnum(e.get(), i, &got_type, name.data(), &cch);
            }
            if (rc != ERROR_SUCCESS) break;  // ERROR_NO_MORE_ITEMS, or give up
            out.push_back(text_of(name));
        }
        return out;
    }

    // State, owner node and group of a resource; state -1 when it cannot be read.
    int resource_state(clus::HCluster cluster, const std::wstring& resource, std::wstring& node,
                       std::wstring& group) const {
        const ClusterObject r(OpenClusterResource(cluster, resource.c_str()),
                              {CloseClusterResource});
        if (!r) return clus::kResourceStateUnknown;
        wchar_t node_buf[256] = {};
        wchar_t group_buf[512] = {};
        DWORD node_cch = 256;
        DWORD group_cch = 512;
        const int state =
            GetClusterResourceState(r.get(), node_buf, &node_cch, group_buf, &group_cch);
        node = text_of(node_buf);
        group = text_of(group_buf);
        return state;
    }

    // The resource's id (CLUSCTL_RESOURCE_GET_ID), "" when it cannot be read
    // (`rc` says why).
    std::wstring resource_id(clus::HResource r, DWORD& rc) const {
        std::vector<BYTE> buf(128 * sizeof(wchar_t));
        DWORD returned = 0;
        rc = ClusterResourceControl(r, nullptr, clus::kCtlResourceGetId, nullptr, 0, buf.data(),
                                    static_cast<DWORD>(buf.size()), &returned);
        if (rc == ERROR_MORE_DATA) {
            const auto grown =
                grown_size(returned, buf.size(), kMaxForeignNameChars * sizeof(wchar_t));
            if (!grown) return {};
            buf.assign(*grown + sizeof(wchar_t), 0);
            rc = ClusterResourceControl(r, nullptr, clus::kCtlResourceGetId, nullptr, 0, buf.data(),
                                        static_cast<DWORD>(buf.size()), &returned);
        }
        if (rc != ERROR_SUCCESS) return {};
        const auto* text = reinterpret_cast<const wchar_t*>(buf.data());
        const size_t units = std::min<size_t>(returned, buf.size()) / sizeof(wchar_t);
        return std::wstring(text, bounded_length(text, units));
    }

    int group_state(clus::HCluster cluster, const std::wstring& group, std::wstring& owner) const {
        const ClusterObject g(OpenClusterGroup(cluster, group.c_str()), {CloseClusterGroup});
        if (!g) return clus::kGroupStateUnknown;
        wchar_t node_buf[256] = {};
        DWORD node_cch = 256;
        const int state = GetClusterGroupState(g.get(), node_buf, &node_cch);
        owner = text_of(node_buf);
        return state;
    }
};

namespace {

// The RegSync fallback: CLUSCTL_RESOURCE_GET_REGISTRY_
// CHECKPOINTS failed for `resource` with `control_rc`, so its checkpoints are
// read from this node's copy of the cluster database, read-only; every value
// that is not believed is told (service/regsync_reader, core/regsync_values).
// Returns why the checkpoints stay unknown, or "" when RegSync told them.
std::string add_regsync_checkpoints(const Win32Cluster::Api& api, const std::wstring& resource,
                                    const std::wstring& group, DWORD control_rc,
                                    const std::wstring& id, DWORD id_rc,
                                    std::vector<Checkpoint>& out) {
    const std::string who = "resource " + narrow(resource) + ": ";
    const std::string failed =
        describe("asking for its registry checkpoints (CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS)",
                 control_rc);
    if (id.empty()) {
        const std::string why = failed + "; its id could not be read either (" +
                                describe("CLUSCTL_RESOURCE_GET_ID", id_rc) + ")";
        api.report(who + why + ": its checkpoints are not known");
        return why;
    }
    const RegSyncRead read = read_regsync(narrow(id));
    for (const std::string& problem : read.problems) api.report(who + read.where + ": " + problem);
    if (!read.error.empty()) {
        const std::string why = failed + "; the RegSync fallback: " + read.error;
        api.report(who + why + ": its checkpoints are not known");
        return why;
    }
    api.report(who + failed + "; " + std::to_string(read.keys.size()) +
               " checkpoint(s) read from " + read.where + " instead");
    for (const std::string& key : read.keys) {
        out.push_back(Checkpoint{narrow(resource), narrow(group), key, CheckpointSource::regsync});
    }
    return {};
}

ClusterEvent make_event(ClusterEvent::Kind kind, const std::wstring& group,
                        const std::wstring& resource, const std::wstring& node,
                        std::chrono::steady_clock::time_point received) {
    ClusterEvent event;
    event.kind = kind;
    event.group = narrow(group);
    event.resource = narrow(resource);
    event.node = narrow(node);
    event.received = received;
    return event;
}

}  // namespace

// One connection: the cluster handle, the notify port and the thread reading
// it. Shared by the adapter and its thread; the last owner closes the handles.
struct Win32Cluster::Session {
    std::shared_ptr<Api> api;
    // Declared in this order so that the port closes before the cluster.
    ClusterObject cluster;
    ClusterObject port;
    bool v2 = false;
    std::wstring cluster_name;
    std::wstring node;
    std::function<void(const ClusterEvent&)> on_event;
    std::function<void(const std::string&)> report;
    std::atomic<bool> stop{false};
    std::atomic<bool> alive{true};
    std::thread thread;

    void emit(ClusterEvent::Kind kind, const std::wstring& group, const std::wstring& resource,
              const std::wstring& at_node) {
        if (stop.load() || !on_event) return;
        ClusterEvent event;
        try {
            event = make_event(kind, group, resource, at_node, std::chrono::steady_clock::now());
        } catch (const InvalidText&) {
            // Such a group's checkpoints are unknown (checkpoints()), so its
            // keys are kept right all the time; the event itself is not
            // believed.
            report(
                "a cluster notification names a group, resource or node that is not valid "
                "UTF-16 (" +
                narrow_for_message(group) + ", " + narrow_for_message(resource) + "); ignored");
            return;
        }
        on_event(event);
    }

    // A group changed owner or state: is it coming here?
    void on_group(const std::wstring& group) {
        std::wstring owner;
        const int state = api->group_state(cluster.get(), group, owner);
        if (state == clus::kGroupStateUnknown || owner.empty()) return;
        if (!same_name(owner, node)) {
            // Ends a freeze here if this node was preparing for the group.
            emit(ClusterEvent::Kind::group_elsewhere, group, L"", owner);
        } else if (state == clus::kGroupPending) {
            emit(ClusterEvent::Kind::group_moving_here, group, L"", owner);
        }
    }

    void on_resource(const std::wstring& resource) {
        std::wstring owner;
        std::wstring group;
        const int state = api->resource_state(cluster.get(), resource, owner, group);
        if (!same_name(owner, node)) return;  // restores on other nodes are theirs
        switch (state) {
            case clus::kResourceOnlinePending:
                emit(ClusterEvent::Kind::resource_online_pending, group, resource, owner);
                break;
            case clus::kResourceOnline:
                emit(ClusterEvent::Kind::resource_online, group, resource, owner);
                break;
            case clus::kResourceFailed:
                emit(ClusterEvent::Kind::resource_failed, group, resource, owner);
                break;
            default:
                break;
        }
    }

    // One notification, or an error: false ends the thread.
    bool next_v1() {
        DWORD_PTR key = 0;
        DWORD filter = 0;
        std::wstring name(512, L'\0');
        DWORD cch = static_cast<DWORD>(name.size());
        DWORD rc =
            api->GetClusterNotify(port.get(), &key, &filter, name.data(), &cch, kNotifyTimeoutMs);
        if (rc == ERROR_MORE_DATA) {
            const auto grown = grown_size(cch, name.size(), kMaxForeignNameChars);
            if (!grown) {
                // The notification cannot be read: as good as lost, so resync.
                report("GetClusterNotify asked for a name of " + std::to_string(cch) +
                       " characters; the notification is dropped and the cluster resynced");
                return false;
            }
            name.assign(*grown, L'\0');
            cch = static_cast<DWORD>(name.size());
            rc = api->GetClusterNotify(port.get(), &key, &filter, name.data(), &cch,
                                       kNotifyTimeoutMs);
        }
        if (rc == WAIT_TIMEOUT) return true;
        if (rc != ERROR_SUCCESS) return false;
        const std::wstring object = text_of(name);
        if (filter & (clus::kChangeClusterReconnect | clus::kChangeHandleClose)) return false;
        if (filter & clus::kChangeGroupState) on_group(object);
        if (filter & clus::kChangeResourceState) on_resource(object);
        if (filter & (clus::kChangeResourceAdded | clus::kChangeResourceDeleted)) {
            emit(ClusterEvent::Kind::resources_changed, L"", object, L"");
        }
        return true;
    }

    bool next_v2() {
        DWORD_PTR key = 0;
        clus::NotifyFilterAndType what{};
        std::vector<BYTE> buffer(1024);
        std::wstring id(256, L'\0');
        std::wstring parent(256, L'\0');
        std::wstring name(512, L'\0');
        std::wstring type(256, L'\0');
        DWORD rc = ERROR_MORE_DATA;
        for (int attempt = 0; attempt < 2 && rc == ERROR_MORE_DATA; ++attempt) {
            DWORD cb = static_cast<DWORD>(buffer.size());
            DWORD id_cch = static_cast<DWORD>(id.size());
            DWORD parent_cch = static_cast<DWORD>(parent.size());
            DWORD name_cch = static_cast<DWORD>(name.size());
            DWORD type_cch = static_cast<DWORD>(type.size());
            rc = api->GetClusterNotifyV2(port.get(), &key, &what, buffer.data(), &cb, id.data(),
                                         &id_cch, parent.data(), &parent_cch, name.data(),
                                         &name_cch, type.data(), &type_cch, kNotifyTimeoutMs);
            if (rc == ERROR_MORE_DATA) {  // grow everything that asked for more, within bounds
                bool ok = true;
                if (cb > buffer.size()) {
                    const auto grown = grown_size(cb, buffer.size(), kMaxForeignPayloadBytes);
                    if (grown) buffer.resize(*grown);
                    ok = ok && grown;
                }
                for (auto [text, cch] : {std::pair{&id, id_cch}, std::pair{&parent, parent_cch},
                                         std::pair{&name, name_cch}, std::pair{&type, type_cch}}) {
                    if (cch < text->size()) continue;
                    const auto grown = grown_size(cch, text->size(), kMaxForeignNameChars);
                    if (grown) text->assign(*grown, L'\0');
                    ok = ok && grown;
                }
                if (!ok) {
                    report("GetClusterNotifyV2 asked for " + std::to_string(cb) + " bytes and " +
                           std::to_string(id_cch) + "/" + std::to_string(parent_cch) + "/" +
                           std::to_string(name_cch) + "/" + std::to_string(type_cch) +
                           " characters; the notification is dropped and the cluster resynced");
                    return false;
                }
            }
        }
        if (rc == WAIT_TIMEOUT) return true;
        if (rc != ERROR_SUCCESS) return false;
        const std::wstring object = text_of(name);
        const LONGLONG flags = what.FilterFlags;
        switch (what.dwObjectType) {
            case clus::kObjectTypeCluster:
                if (flags & (clus::kClusterReconnectV2 | clus::kClusterLostNotificationsV2 |
                             clus::kClusterHandleCloseV2)) {
                    return false;
                }
                break;
            case clus::kObjectTypeGroup:
                if (flags & (clus::kGroupStateV2 | clus::kGroupOwnerNodeV2)) on_group(object);
                if (flags & (clus::kGroupResourceAddedV2 | clus::kGroupResourceGainedV2 |
                             clus::kGroupResourceLostV2)) {
                    emit(ClusterEvent::Kind::resources_changed, object, L"", L"");
                }
                break;
            case clus::kObjectTypeResource:
                if (flags & clus::kResourceStateV2) on_resource(object);
                if (flags & clus::kResourceDeletedV2) {
                    emit(ClusterEvent::Kind::resources_changed, L"", object, L"");
                }
                break;
            default:
                break;
        }
        return true;
    }

    // The thread's body. Nothing thrown here may end the process (an
    // exception leaving a std::thread calls std::terminate): an error while
    // reading or handing on a notification ends the session as a lost
    // connection, which the engine answers with a resync.
    void run() {
        try {
            while (!stop.load()) {
                if (!(v2 ? next_v2() : next_v1())) break;
            }
        } catch (const std::exception& e) {
            report(std::string("the cluster notification thread failed: ") + e.what() +
                   "; resyncing");
        } catch (...) {
            report("the cluster notification thread failed (unknown exception); resyncing");
        }
        if (stop.load()) return;
        alive = false;
        // A broken port or a reconnect: whatever happened meanwhile is
        // unknown, so the engine resyncs and calls connect() again.
        try {
            emit(ClusterEvent::Kind::connection_lost, L"", L"", L"");
        } catch (const std::exception& e) {
            report(std::string("the lost cluster connection could not be handed on: ") + e.what());
        } catch (...) {
            report("the lost cluster connection could not be handed on (unknown exception)");
        }
    }
};

Win32Cluster::Win32Cluster() = default;

Win32Cluster::~Win32Cluster() { disconnect(); }

bool Win32Cluster::load_api() {
    if (api_) return true;
    std::shared_ptr<ClusapiLibrary> library = ClusapiLibrary::load(why_);
    if (!library) return false;
    auto api = std::make_shared<Api>();
    api->library = library;
    if (report_) api->report = report_;
#define PW_LOAD(name) api->name = library->get<decltype(api->name)>(#name)
    PW_LOAD(GetNodeClusterState);
    PW_LOAD(OpenCluster);
    PW_LOAD(CloseCluster);
    PW_LOAD(GetClusterInformation);
    PW_LOAD(GetClusterNodeId);
    PW_LOAD(OpenClusterNode);
    PW_LOAD(CloseClusterNode);
    PW_LOAD(CreateClusterNotifyPort);
    PW_LOAD(GetClusterNotify);
    PW_LOAD(CreateClusterNotifyPortV2);
    PW_LOAD(GetClusterNotifyV2);
    PW_LOAD(CloseClusterNotifyPort);
    PW_LOAD(ClusterOpenEnum);
    PW_LOAD(ClusterEnum);
    PW_LOAD(ClusterCloseEnum);
    PW_LOAD(OpenClusterResource);
    PW_LOAD(CloseClusterResource);
    PW_LOAD(ClusterResourceControl);
    PW_LOAD(GetClusterResourceState);
    PW_LOAD(OpenClusterGroup);
    PW_LOAD(CloseClusterGroup);
    PW_LOAD(GetClusterGroupState);
#undef PW_LOAD
    const bool required = api->OpenCluster && api->CloseCluster && api->GetClusterInformation &&
                          api->CloseClusterNotifyPort && api->ClusterOpenEnum && api->ClusterEnum &&
                          api->ClusterCloseEnum && api->OpenClusterResource &&
                          api->CloseClusterResource && api->ClusterResourceControl &&
                          api->GetClusterResourceState && api->OpenClusterGroup &&
                          api->CloseClusterGroup && api->GetClusterGroupState;
    if (!required || !(api->has_v2() || api->has_v1())) {
        // Wine's builtin clusapi.dll is such a DLL: no notification functions.
        why_ = "clusapi.dll lacks functions PermWatch needs (no notification API)";
        return false;  // `api` lets the library go
    }
    api_ = std::move(api);
    return true;
}

bool Win32Cluster::connect(std::function<void(const ClusterEvent&)> on_event) {
    disconnect();
    std::lock_guard lock(mutex_);
    if (!load_api()) return false;
    // Ask first whether the Cluster service runs on this node, and call
    // nothing else when it does not: that is the documented check, and Wine's
    // own clusapi.dll implements only it, OpenCluster and CloseCluster (every
    // other export is a stub that raises an exception when called).
    DWORD state = 0;
    if (!api_->GetNodeClusterState) {
        why_ = "clusapi.dll has no GetNodeClusterState";
        return false;
    }
    if (const DWORD rc = api_->GetNodeClusterState(nullptr, &state); rc != ERROR_SUCCESS) {
        cluster_node_ = true;  // it could not say: assume the worst
        why_ = describe("asking whether the Cluster service runs", rc);
        return false;
    }
    // Not installed (0) or not configured (1): no checkpoint can be restored
    // here. Anything else is a cluster node, even while its service is down.
    cluster_node_ = state > 1;
    if (state != clus::kClusterStateRunning) {
        why_ =
            "the Cluster service is not running on this node (state " + std::to_string(state) + ")";
        return false;
    }
    auto s = std::make_shared<Session>();
    s->api = api_;
    s->cluster = ClusterObject(api_->OpenCluster(nullptr), {api_->CloseCluster});
    if (!s->cluster.get()) {
        why_ = describe("opening the local cluster", GetLastError());
        return false;
    }
    {
        std::wstring name(256, L'\0');
        DWORD cch = static_cast<DWORD>(name.size());
        if (api_->GetClusterInformation(s->cluster.get(), name.data(), &cch, nullptr) ==
            ERROR_SUCCESS) {
            s->cluster_name = text_of(name);
        }
    }
    // This node: the cluster's own answer (the local node's id, matched against
    // every node's id), else the physical NetBIOS name, which is what a
    // cluster node is named after.
    if (api_->GetClusterNodeId && api_->OpenClusterNode && api_->CloseClusterNode) {
        wchar_t local_id[64] = {};
        DWORD cch = 64;
        if (api_->GetClusterNodeId(nullptr, local_id, &cch) == ERROR_SUCCESS) {
            for (const auto& node : api_->enumerate(s->cluster.get(), clus::kEnumNode)) {
                const ClusterObject h(api_->OpenClusterNode(s->cluster.get(), node.c_str()),
                                      {api_->CloseClusterNode});
                if (!h) continue;
                wchar_t id[64] = {};
                DWORD id_cch = 64;
                const bool match = api_->GetClusterNodeId(h.get(), id, &id_cch) == ERROR_SUCCESS &&
                                   view_of(id) == view_of(local_id);
                if (match) {
                    s->node = node;
                    break;
                }
            }
        }
    }
    if (s->node.empty()) {
        wchar_t name[MAX_COMPUTERNAME_LENGTH + 1] = {};
        DWORD cch = MAX_COMPUTERNAME_LENGTH + 1;
        if (GetComputerNameExW(ComputerNamePhysicalNetBIOS, name, &cch)) s->node = name;
    }
    if (api_->has_v2()) {
        clus::NotifyFilterAndType filters[] = {
            {clus::kObjectTypeGroup, clus::kGroupStateV2 | clus::kGroupOwnerNodeV2 |
                                         clus::kGroupResourceAddedV2 |
                                         clus::kGroupResourceGainedV2 | clus::kGroupResourceLostV2},
            {clus::kObjectTypeResource, clus::kResourceStateV2 | clus::kResourceDeletedV2},
            {clus::kObjectTypeCluster, clus::kClusterReconnectV2 |
                                           clus::kClusterLostNotificationsV2 |
                                           clus::kClusterHandleCloseV2},
        };
        s->port = ClusterObject(
            api_->CreateClusterNotifyPortV2(INVALID_HANDLE_VALUE, s->cluster.get(), filters,
                                            static_cast<DWORD>(std::size(filters)), 1),
            {api_->CloseClusterNotifyPort});
        s->v2 = true;
    } else {
        // Cluster-wide filter on the cluster handle: every group and resource
        // is covered without RegisterClusterNotify per object.
        s->port = ClusterObject(api_->CreateClusterNotifyPort(
                                    INVALID_HANDLE_VALUE, s->cluster.get(),
                                    clus::kChangeGroupState | clus::kChangeResourceState |
                                        clus::kChangeResourceAdded | clus::kChangeResourceDeleted |
                                        clus::kChangeClusterReconnect | clus::kChangeHandleClose,
                                    1),
                                {api_->CloseClusterNotifyPort});
    }
    if (!s->port) {
        why_ = describe(
            std::string("creating the cluster notify port (") + (s->v2 ? "V2" : "V1") + ")",
            GetLastError());
        return false;
    }
    s->on_event = std::move(on_event);
    s->report = api_->report;
    Session* raw = s.get();
    // The thread holds its own reference: it may outlive a detached session.
    s->thread = std::thread([keep = s, raw] { raw->run(); });
    session_ = std::move(s);
    why_.clear();
    return true;
}

void Win32Cluster::disconnect() {
    std::shared_ptr<Session> s;
    {
        std::lock_guard lock(mutex_);
        s = std::move(session_);
    }
    if (!s) return;
    s->stop = true;
    if (s->thread.joinable()) {
        if (s->thread.get_id() == std::this_thread::get_id()) {
            s->thread.detach();  // called from on_event: the thread ends by itself
        } else {
            s->thread.join();
        }
    }
}

void Win32Cluster::on_error(std::function<void(const std::string&)> report) {
    std::lock_guard lock(mutex_);
    report_ = std::move(report);
}

std::shared_ptr<Win32Cluster::Session> Win32Cluster::session() const {
    std::lock_guard lock(mutex_);
    return session_;
}

bool Win32Cluster::available() const {
    std::lock_guard lock(mutex_);
    return session_ && session_->alive.load();
}

std::string Win32Cluster::node_name() const {
    std::lock_guard lock(mutex_);
    return session_ ? narrow(session_->node) : std::string();
}

std::string Win32Cluster::cluster_name() const {
    std::lock_guard lock(mutex_);
    return session_ ? narrow(session_->cluster_name) : std::string();
}

std::string Win32Cluster::notify_api() const {
    std::lock_guard lock(mutex_);
    if (!session_) return {};
    return session_->v2 ? "V2" : "V1";
}

std::string Win32Cluster::why_unavailable() const {
    std::lock_guard lock(mutex_);
    return why_;
}

bool Win32Cluster::cluster_node() const {
    std::lock_guard lock(mutex_);
    return cluster_node_;
}

std::vector<UnreadCheckpoints> Win32Cluster::unread_checkpoints() const {
    std::lock_guard lock(mutex_);
    return unread_;
}

std::vector<Checkpoint> Win32Cluster::checkpoints() {
    const std::shared_ptr<Session> s = session();
    std::vector<Checkpoint> out;
    std::vector<UnreadCheckpoints> unread;
    const auto publish_unread = [&] {
        std::lock_guard lock(mutex_);
        unread_ = std::move(unread);
    };
    if (!s) {
        publish_unread();
        return out;
    }
    const Api& api = *s->api;
    for (const auto& resource : api.enumerate(s->cluster.get(), clus::kEnumResource)) {
        std::wstring owner;
        std::wstring group;
        api.resource_state(s->cluster.get(), resource, owner, group);
        try {
            ClusterObject r(api.OpenClusterResource(s->cluster.get(), resource.c_str()),
                            {api.CloseClusterResource});
            if (!r) {
                unread.push_back({narrow(resource), narrow(group),
                                  describe("opening the resource", GetLastError())});
                continue;
            }
            std::vector<BYTE> buf(1024);
            DWORD returned = 0;
            DWORD rc = api.ClusterResourceControl(
                r.get(), nullptr, clus::kCtlResourceGetRegistryCheckpoints, nullptr, 0, buf.data(),
                static_cast<DWORD>(buf.size()), &returned);
            if (rc == ERROR_MORE_DATA) {
                const auto grown = grown_size(returned, buf.size(), kMaxForeignPayloadBytes);
                if (grown) {
                    buf.assign(*grown + sizeof(wchar_t) * 2, 0);
                    rc = api.ClusterResourceControl(
                        r.get(), nullptr, clus::kCtlResourceGetRegistryCheckpoints, nullptr, 0,
                        buf.data(), static_cast<DWORD>(buf.size()), &returned);
                } else {
                    api.report("the registry checkpoints of resource " + narrow(resource) +
                               " asked for a buffer of " + std::to_string(returned) +
                               " bytes; that resource's checkpoints are not known");
                }
            }
            if (rc != ERROR_SUCCESS) {
                DWORD id_rc = ERROR_SUCCESS;
                const std::wstring id = api.resource_id(r.get(), id_rc);
                r.reset();
                std::string why = add_regsync_checkpoints(api, resource, group, rc, id, id_rc, out);
                if (!why.empty())
                    unread.push_back({narrow(resource), narrow(group), std::move(why)});
                continue;
            }
            r.reset();
            // MULTI_SZ: paths relative to HKLM, each NUL-terminated, then a NUL.
            const size_t count = std::min<size_t>(returned, buf.size()) / sizeof(wchar_t);
            const auto* text = reinterpret_cast<const wchar_t*>(buf.data());
            size_t i = 0;
            while (i < count && text[i] != L'\0') {
                size_t end = i;
                while (end < count && text[end] != L'\0') ++end;
                std::wstring path(text + i, text + end);
                i = end + 1;
                while (!path.empty() && path.front() == L'\\') path.erase(0, 1);
                // The same rules as a RegSync value: a path that is not a key
                // below HKLM is told and skipped, never watched or frozen.
                if (const auto problem = regsync_path_problem(narrow(path))) {
                    api.report("resource " + narrow(resource) + " names a checkpoint key with " +
                               *problem + "; ignored");
                    continue;
                }
                out.push_back(Checkpoint{narrow(resource), narrow(group), "HKLM\\" + narrow(path)});
            }
        } catch (const InvalidText& e) {
            // A name or a checkpoint path that is not valid UTF-16 is not
            // believed: that resource's checkpoints are unknown.
            unread.push_back({narrow_for_message(resource), narrow_for_message(group),
                              std::string("a name or checkpoint path is malformed: ") + e.what()});
        }
    }
    publish_unread();
    return out;
}

std::vector<ClusterEvent> Win32Cluster::pending_here() {
    const std::shared_ptr<Session> s = session();
    std::vector<ClusterEvent> out;
    if (!s) return out;
    const Api& api = *s->api;
    const auto now = std::chrono::steady_clock::now();
    auto add = [&](ClusterEvent::Kind kind, const std::wstring& group, const std::wstring& resource,
                   const std::wstring& owner) {
        try {
            out.push_back(make_event(kind, group, resource, owner, now));
        } catch (const InvalidText&) {
            s->report("group " + narrow_for_message(group) +
                      " has a name that is not valid UTF-16; not prepared by name");
        }
    };
    for (const auto& group : api.enumerate(s->cluster.get(), clus::kEnumGroup)) {
        std::wstring owner;
        if (api.group_state(s->cluster.get(), group, owner) == clus::kGroupPending &&
            same_name(owner, s->node)) {
            add(ClusterEvent::Kind::group_moving_here, group, L"", owner);
        }
    }
    for (const auto& resource : api.enumerate(s->cluster.get(), clus::kEnumResource)) {
        std::wstring owner;
        std::wstring group;
        if (api.resource_state(s->cluster.get(), resource, owner, group) ==
                clus::kResourceOnlinePending &&
            same_name(owner, s->node)) {
            add(ClusterEvent::Kind::resource_online_pending, group, resource, owner);
        }
    }
    return out;
}

}  // namespace permwatch::win
