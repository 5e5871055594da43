#include "service/cluster_adapter.hpp"

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <utility>

#include "core/cluster/auto_keys.hpp"
#include "core/cluster/regsync_values.hpp"
#include "core/common/ascii.hpp"
#include "core/common/foreign_sizes.hpp"
#include "core/common/grow_buffer.hpp"
#include "service/clusapi_calls.hpp"
#include "service/clusapi_library.hpp"
#include "service/clusapi_types.hpp"
#include "service/regsync_reader.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// How long one GetClusterNotify* call may block: bounds disconnect().
constexpr DWORD kNotifyTimeoutMs = 200;

// The resource an UnreadCheckpoints names when the resources could not even
// be listed: any key may be among any resource's checkpoints.
constexpr const char* kEveryResource = "*";

bool same_name(const std::wstring& a, const std::wstring& b) {
    return CompareStringOrdinal(a.c_str(), static_cast<int>(a.size()), b.c_str(),
                                static_cast<int>(b.size()), TRUE) == CSTR_EQUAL;
}

// State, owner node and group of the resource named `resource`; the state
// is the API's unknown one when the resource cannot be opened.
ObjectState resource_state_of(const ClusapiLibrary& api, clus::HCluster cluster,
                              const std::wstring& resource) {
    const ClusterObject r(api.OpenClusterResource(cluster, resource.c_str()),
                          {api.CloseClusterResource});
    if (!r) return {};
    return resource_state(api, r.get());
}

// State and owner node of the group named `group`.
ObjectState group_state_of(const ClusapiLibrary& api, clus::HCluster cluster,
                           const std::wstring& group) {
    const ClusterObject g(api.OpenClusterGroup(cluster, group.c_str()), {api.CloseClusterGroup});
    if (!g) return {};
    return group_state(api, g.get());
}

// The RegSync fallback: CLUSCTL_RESOURCE_GET_REGISTRY_
// CHECKPOINTS failed for `resource` with `control_rc`, so its checkpoints are
// read from this node's copy of the cluster database, read-only; every value
// that is not believed is told (service/regsync_reader, core/regsync_values).
// Returns why the checkpoints stay unknown, or "" when RegSync told them.
std::string add_regsync_checkpoints(const std::function<void(const std::string&)>& report,
                                    const std::wstring& resource, const std::wstring& group,
                                    DWORD control_rc, const std::wstring& id, DWORD id_rc,
                                    std::vector<Checkpoint>& out) {
    const std::string who = "resource " + narrow(resource) + ": ";
    const std::string failed =
        describe("asking for its registry checkpoints (CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS)",
                 control_rc);
    if (id.empty()) {
        const std::string why = failed + "; its id could not be read either (" +
                                describe("CLUSCTL_RESOURCE_GET_ID", id_rc) + ")";
        report(who + why + ": its checkpoints are not known");
        return why;
    }
    const RegSyncRead read = read_regsync(narrow(id));
    for (const std::string& problem : read.problems) report(who + read.where + ": " + problem);
    if (!read.error.empty()) {
        const std::string why = failed + "; the RegSync fallback: " + read.error;
        report(who + why + ": its checkpoints are not known");
        return why;
    }
    report(who + failed + "; " + std::to_string(read.keys.size()) + " checkpoint(s) read from " +
           read.where + " instead");
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
    std::shared_ptr<const ClusapiLibrary> api;
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
        const ObjectState g = group_state_of(*api, cluster.get(), group);
        const int state = g.state;
        const std::wstring& owner = g.node;
        if (state == clus::kGroupStateUnknown || owner.empty()) return;
        if (!same_name(owner, node)) {
            // Ends a freeze here if this node was preparing for the group.
            emit(ClusterEvent::Kind::group_elsewhere, group, L"", owner);
        } else if (state == clus::kGroupPending) {
            emit(ClusterEvent::Kind::group_moving_here, group, L"", owner);
        }
    }

    void on_resource(const std::wstring& resource) {
        const ObjectState r = resource_state_of(*api, cluster.get(), resource);
        const int state = r.state;
        const std::wstring& owner = r.node;
        const std::wstring& group = r.group;
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
        const auto got = call_growing<wchar_t, DWORD>(
            {512, kMaxForeignNameChars, 0}, [&](wchar_t* name, DWORD& cch) {
                return api->GetClusterNotify(port.get(), &key, &filter, name, &cch,
                                             kNotifyTimeoutMs);
            });
        if (got.refused) {
            // The notification cannot be read: as good as lost, so resync.
            report("GetClusterNotify asked for a name of " + std::to_string(got.size) +
                   " characters; the notification is dropped and the cluster resynced");
            return false;
        }
        const DWORD rc = got.status;
        if (rc == WAIT_TIMEOUT) return true;
        if (rc != ERROR_SUCCESS) return false;
        const std::wstring object = text_in(got.buffer);
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
        std::vector<wchar_t> id(256);
        std::vector<wchar_t> parent(256);
        std::vector<wchar_t> name(512);
        std::vector<wchar_t> type(256);
        // One call fills five buffers, so call_growing cannot drive it; each
        // buffer that asked for more grows as that helper grows one, once.
        constexpr GrowLimits kPayload{0, kMaxForeignPayloadBytes, 0};
        constexpr GrowLimits kName{0, kMaxForeignNameChars, 0};
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
            if (rc == ERROR_MORE_DATA) {
                bool ok = cb <= buffer.size() || grow_to_ask(buffer, cb, kPayload);
                for (auto [text, cch] : {std::pair{&id, id_cch}, std::pair{&parent, parent_cch},
                                         std::pair{&name, name_cch}, std::pair{&type, type_cch}}) {
                    if (cch < text->size()) continue;
                    ok = grow_to_ask(*text, cch, kName) && ok;
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
        const std::wstring object = text_in(name);
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
    std::shared_ptr<const ClusapiLibrary> api = ClusapiLibrary::load(why_);
    if (!api) return false;
    if (!api->missing(kClusapiNotifications).empty() || !(api->has_v2() || api->has_v1())) {
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
    const ClusterServiceState service = ask_cluster_service(*api_);
    if (service.outcome == ClusterServiceState::Outcome::failed) {
        cluster_node_ = true;  // it could not say: assume the worst
    } else if (service.outcome == ClusterServiceState::Outcome::answered) {
        // Not installed (0) or not configured (1): no checkpoint can be
        // restored here. Anything else is a cluster node, even while its
        // service is down.
        cluster_node_ = service.state > 1;
    }
    if (!service.running()) {
        why_ = service.why;
        return false;
    }
    auto s = std::make_shared<Session>();
    s->api = api_;
    s->report = report_ ? report_ : [](const std::string&) {};
    s->cluster = open_local_cluster(*api_, why_);
    if (!s->cluster) return false;
    s->cluster_name = cluster_name_of(*api_, s->cluster.get()).value_or(L"");
    // This node: the cluster's own answer (the local node's id, matched against
    // every node's id), else the physical NetBIOS name, which is what a
    // cluster node is named after.
    if (api_->GetClusterNodeId && api_->OpenClusterNode && api_->CloseClusterNode) {
        if (const auto local_id = node_id_of(*api_, nullptr)) {
            const ClusterNames nodes =
                cluster_objects(*api_, s->cluster.get(), clus::kEnumNode, "enumerating the nodes");
            if (!nodes.ok()) s->report(nodes.error + "; this node is known by its own name");
            for (const auto& node : nodes.names) {
                const ClusterObject h(api_->OpenClusterNode(s->cluster.get(), node.c_str()),
                                      {api_->CloseClusterNode});
                if (h && node_id_of(*api_, h.get()) == local_id) {
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

std::vector<ResourceFacts> Win32Cluster::resource_facts() const {
    std::lock_guard lock(mutex_);
    return facts_;
}

namespace {

// What "keys": "auto" needs of a resource: its type, a Generic Service's
// ServiceName, and whether `node` may own it. What cannot be learned is said
// in `problem`; a possible-owner list that cannot be read counts as "may own
// it", so that its keys are guarded rather than dropped.
ResourceFacts learn_facts(const ClusapiLibrary& api, clus::HResource r,
                          const std::wstring& resource, const std::wstring& node) {
    ResourceFacts f;
    f.resource = narrow(resource);
    std::vector<std::string> problems;
    DWORD rc = ERROR_SUCCESS;
    const std::wstring type = resource_type(api, r, rc);
    if (rc != ERROR_SUCCESS || type.empty() || has_control_char(type.data(), type.size())) {
        problems.push_back(rc != ERROR_SUCCESS ? describe("reading its type", rc)
                                               : "its type is empty or malformed");
    } else {
        f.type = narrow(type);
    }
    if (iequals(f.type, kGenericServiceType)) {
        const ServiceNameAnswer service = generic_service_name(api, r);
        if (service.name.empty()) {
            problems.push_back(service.problem);
        } else {
            f.service_name = narrow(service.name);
        }
    }
    const ClusterNames owners =
        resource_members(api, r, clus::kResourceEnumNodes, "listing its possible owners");
    if (!owners.ok()) {
        problems.push_back(owners.error);
    } else if (!owners.names.empty()) {
        f.possible_here = std::any_of(owners.names.begin(), owners.names.end(),
                                      [&](const std::wstring& n) { return same_name(n, node); });
    }
    for (const std::string& p : problems) f.problem += (f.problem.empty() ? "" : "; ") + p;
    return f;
}

}  // namespace

std::vector<Checkpoint> Win32Cluster::checkpoints() {
    const std::shared_ptr<Session> s = session();
    std::vector<Checkpoint> out;
    std::vector<UnreadCheckpoints> unread;
    std::vector<ResourceFacts> facts;
    const auto publish_unread = [&] {
        std::lock_guard lock(mutex_);
        unread_ = std::move(unread);
        facts_ = std::move(facts);
    };
    if (!s) {
        publish_unread();
        return out;
    }
    const ClusapiLibrary& api = *s->api;
    const ClusterNames resources =
        cluster_objects(api, s->cluster.get(), clus::kEnumResource, "enumerating the resources");
    if (!resources.ok()) {
        // Not "no resources": every resource's checkpoints are unknown.
        s->report(resources.error + "; no resource's checkpoints are known");
        unread.push_back({kEveryResource, "", resources.error});
    }
    for (const auto& resource : resources.names) {
        const std::wstring group = resource_state_of(api, s->cluster.get(), resource).group;
        try {
            ClusterObject r(api.OpenClusterResource(s->cluster.get(), resource.c_str()),
                            {api.CloseClusterResource});
            if (!r) {
                unread.push_back({narrow(resource), narrow(group),
                                  describe("opening the resource", GetLastError())});
                continue;
            }
            const CheckpointList list = registry_checkpoints(api, r.get());
            if (list.refused) {
                s->report("the registry checkpoints of resource " + narrow(resource) +
                          " asked for a buffer of " + std::to_string(list.asked) +
                          " bytes; that resource's checkpoints are not known");
            }
            // What "auto" needs, asked while the handle is open, only of a
            // resource that has checkpoints or may have (its list read from
            // RegSync below): a discovery runs at each sweep, and most
            // resources have none. Kept only if checkpoints were found.
            const std::size_t had = out.size();
            std::optional<ResourceFacts> f;
            if (list.rc != ERROR_SUCCESS || !list.paths.empty())
                f = learn_facts(api, r.get(), resource, s->node);
            const auto keep_facts = [&] {
                if (f && out.size() > had) facts.push_back(std::move(*f));
            };
            if (list.rc != ERROR_SUCCESS) {
                DWORD id_rc = ERROR_SUCCESS;
                const std::wstring id = resource_id(api, r.get(), id_rc);
                r.reset();
                std::string why =
                    add_regsync_checkpoints(s->report, resource, group, list.rc, id, id_rc, out);
                if (!why.empty())
                    unread.push_back({narrow(resource), narrow(group), std::move(why)});
                keep_facts();
                continue;
            }
            r.reset();
            for (std::wstring path : list.paths) {
                while (!path.empty() && path.front() == L'\\') path.erase(0, 1);
                // The same rules as a RegSync value: a path that is not a key
                // below HKLM is told and skipped, never watched or frozen.
                if (const auto problem = regsync_path_problem(narrow(path))) {
                    s->report("resource " + narrow(resource) + " names a checkpoint key with " +
                              *problem + "; ignored");
                    continue;
                }
                out.push_back(Checkpoint{narrow(resource), narrow(group), "HKLM\\" + narrow(path)});
            }
            keep_facts();
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
    const ClusapiLibrary& api = *s->api;
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
    const ClusterNames groups =
        cluster_objects(api, s->cluster.get(), clus::kEnumGroup, "enumerating the groups");
    if (!groups.ok()) s->report(groups.error + "; no group is known to be moving here");
    for (const auto& group : groups.names) {
        const ObjectState g = group_state_of(api, s->cluster.get(), group);
        if (g.state == clus::kGroupPending && same_name(g.node, s->node)) {
            add(ClusterEvent::Kind::group_moving_here, group, L"", g.node);
        }
    }
    const ClusterNames resources =
        cluster_objects(api, s->cluster.get(), clus::kEnumResource, "enumerating the resources");
    if (!resources.ok())
        s->report(resources.error + "; no resource is known to be coming online here");
    for (const auto& resource : resources.names) {
        const ObjectState r = resource_state_of(api, s->cluster.get(), resource);
        if (r.state == clus::kResourceOnlinePending && same_name(r.node, s->node)) {
            add(ClusterEvent::Kind::resource_online_pending, r.group, resource, r.node);
        }
    }
    return out;
}

}  // namespace permwatch::win
