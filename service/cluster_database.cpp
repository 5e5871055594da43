#include "service/cluster_database.hpp"

#include <algorithm>
#include <cstring>

#include "core/cluster/node_summary.hpp"
#include "core/common/ascii.hpp"
#include "core/common/foreign_sizes.hpp"
#include "core/common/grow_buffer.hpp"
#include "service/clusapi_calls.hpp"
#include "service/clusapi_library.hpp"
#include "service/clusapi_types.hpp"
#include "service/regsync_reader.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

std::string node_state_name(int state) {
    switch (state) {
        case clus::kNodeUp:
            return "up";
        case clus::kNodeDown:
            return "down";
        case clus::kNodePaused:
            return "paused";
        case clus::kNodeJoining:
            return "joining";
        default:
            return "unknown";
    }
}

void add_unique(std::vector<std::string>& names, const std::string& name) {
    if (std::none_of(names.begin(), names.end(),
                     [&](const std::string& n) { return iequals(n, name); })) {
        names.push_back(name);
    }
}

// ERROR_RESOURCE_NOT_FOUND: the resource was deleted after it was enumerated.
constexpr DWORD kErrorResourceNotFound = 5007;

// How many registry checkpoints resource `r` has, learned as the watchdog
// learns them (service/cluster_adapter): the control code, and when that
// fails the RegSync copy in this node's cluster hive. nullopt, with `why`,
// when neither answered: then any key may be among its checkpoints.
std::optional<std::size_t> checkpoint_count(const ClusapiLibrary& api, clus::HResource r,
                                            std::string& why) {
    const CheckpointList list = registry_checkpoints(api, r);
    if (list.rc == ERROR_SUCCESS) return list.paths.size();
    const std::string failed =
        list.refused ? "CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS asked for a buffer of " +
                           std::to_string(list.asked) + " bytes; not read"
                     : describe("CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS", list.rc);
    DWORD id_rc = ERROR_SUCCESS;
    const std::wstring id = resource_id(api, r, id_rc);
    if (id.empty()) {
        why = failed + "; its id could not be read either (" +
              describe("CLUSCTL_RESOURCE_GET_ID", id_rc) + ")";
        return std::nullopt;
    }
    RegSyncRead read;
    try {
        read = read_regsync(narrow(id));
    } catch (const InvalidText& e) {
        // An id or a RegSync value that is not valid UTF-16 tells nothing.
        why = failed + "; the RegSync fallback: " + e.what();
        return std::nullopt;
    }
    if (!read.error.empty()) {
        why = failed + "; the RegSync fallback: " + read.error;
        return std::nullopt;
    }
    // Values that were there but not believed are checkpoints all the same:
    // with nothing else, "none" would be a claim this node cannot make.
    if (read.keys.empty() && !read.problems.empty()) {
        why = failed + "; the RegSync fallback, " + read.where + ": " + read.problems.front();
        return std::nullopt;
    }
    return read.keys.size();
}

// Names from an enumeration, or the ClusterViewError that says why there
// are none to give (clusapi_calls.hpp: a failed list is never "none").
std::vector<std::wstring> names_or_throw(ClusterNames list) {
    if (!list.ok()) throw ClusterViewError(list.error);
    return std::move(list.names);
}

// A node's name is one key below PermWatch\Nodes: a backslash would reach
// another key, a control character another line.
std::optional<std::string> bad_node_name(const std::wstring& node) {
    if (node.empty() || node.size() > 256 || node.find(L'\\') != std::wstring::npos ||
        has_control_char(node.data(), node.size())) {
        return "the node name '" + narrow_for_message(node) + "' cannot name a key";
    }
    return std::nullopt;
}

}  // namespace

struct ClusterConnection {
    std::shared_ptr<const ClusapiLibrary> api;
    ClusterObject cluster;  // closed before `api` lets the DLL go

    // Opens the local cluster, after asking whether this node runs the
    // Cluster service (clusapi_calls.hpp, ask_cluster_service).
    static ClusterViewPort::Open open(std::unique_ptr<ClusterConnection>& out, std::string& why) {
        auto api = ClusapiLibrary::load(why);
        if (!api) return ClusterViewPort::Open::no_cluster;
        const ClusterServiceState service = ask_cluster_service(*api);
        if (!service.running()) {
            why = service.why;
            return ClusterViewPort::Open::no_cluster;
        }
        if (const std::string missing = api->missing(kClusapiDatabase); !missing.empty()) {
            why = "clusapi.dll lacks " + missing;
            return ClusterViewPort::Open::error;
        }
        ClusterObject cluster = open_local_cluster(*api, why);
        if (!cluster) return ClusterViewPort::Open::error;
        out = std::make_unique<ClusterConnection>();
        out->api = api;
        out->cluster = std::move(cluster);
        return ClusterViewPort::Open::ok;
    }

    const ClusapiLibrary& fn() const { return *api; }

    std::vector<std::wstring> enumerate(DWORD type, const std::string& what) const {
        return names_or_throw(cluster_objects(fn(), cluster.get(), type, what));
    }

    ClusterKey root(REGSAM access) const {
        ClusterKey key(fn().GetClusterKey(cluster.get(), access), {fn().ClusterRegCloseKey});
        if (!key)
            throw ClusterViewError(describe("opening the cluster's root key", GetLastError()));
        return key;
    }
};

namespace {

// A name the cluster hands out, as UTF-8; one that is not valid UTF-16 makes
// the answer unreadable rather than a name with U+FFFD in it.
std::string cluster_text(const std::wstring& text, const char* what) {
    try {
        return narrow(text);
    } catch (const InvalidText& e) {
        throw ClusterViewError(std::string(what) + " '" + narrow_for_message(text) +
                               "': " + e.what());
    }
}

}  // namespace

Win32ClusterView::Win32ClusterView() = default;
Win32ClusterView::~Win32ClusterView() = default;

ClusterViewPort::Open Win32ClusterView::open(std::string& why) {
    return ClusterConnection::open(connection_, why);
}

std::string Win32ClusterView::cluster_name() {
    const auto name = cluster_name_of(connection_->fn(), connection_->cluster.get());
    if (!name) return {};
    const std::wstring& got = *name;
    if (has_control_char(got.data(), got.size())) return "?";
    return narrow(got);
}

std::vector<ClusterNodeInfo> Win32ClusterView::nodes() {
    const ClusterConnection& c = *connection_;
    std::vector<ClusterNodeInfo> out;
    for (const std::wstring& name : c.enumerate(clus::kEnumNode, "enumerating the nodes")) {
        ClusterObject node(c.fn().OpenClusterNode(c.cluster.get(), name.c_str()),
                           {c.fn().CloseClusterNode});
        const int state = node ? c.fn().GetClusterNodeState(node.get()) : clus::kNodeStateUnknown;
        out.push_back({cluster_text(name, "a node name"), node_state_name(state)});
    }
    return out;
}

std::vector<std::string> Win32ClusterView::groups() {
    std::vector<std::string> out;
    for (const std::wstring& name :
         connection_->enumerate(clus::kEnumGroup, "enumerating the groups")) {
        out.push_back(cluster_text(name, "a group name"));
    }
    return out;
}

GroupOwners Win32ClusterView::owners(const std::string& group) {
    const ClusterConnection& c = *connection_;
    const ClusapiLibrary& api = c.fn();
    GroupOwners out;
    out.group = group;
    const std::wstring wgroup = widen(group);
    {
        ClusterObject g(api.OpenClusterGroup(c.cluster.get(), wgroup.c_str()),
                        {api.CloseClusterGroup});
        if (!g) throw ClusterViewError(describe("opening group " + group, GetLastError()));
        for (const std::wstring& n :
             names_or_throw(group_members(api, g.get(), clus::kGroupEnumNodes,
                                          "listing the preferred owners of group " + group)))
            add_unique(out.preferred, cluster_text(n, "a node name"));
    }
    // The group's resources: every resource whose state names this group.
    for (const std::wstring& resource :
         c.enumerate(clus::kEnumResource, "enumerating the resources")) {
        // A resource whose group cannot be told may be this group's: its
        // checkpoints are then as unknown as if they could not be read.
        ClusterObject r(api.OpenClusterResource(c.cluster.get(), resource.c_str()),
                        {api.CloseClusterResource});
        if (!r) {
            const DWORD rc = GetLastError();
            if (rc != kErrorResourceNotFound) {  // else deleted meanwhile
                out.unreadable.push_back(
                    {cluster_text(resource, "a resource name"), group,
                     describe("opening the resource, so its group is not known", rc)});
            }
            continue;
        }
        const ObjectState state = resource_state(api, r.get());
        const std::wstring& its_group = state.group;
        if (state.state == clus::kResourceStateUnknown && its_group.empty()) {
            const DWORD rc = state.error;
            if (rc != kErrorResourceNotFound) {
                out.unreadable.push_back(
                    {cluster_text(resource, "a resource name"), group,
                     describe("reading the resource's state, so its group is not known", rc)});
            }
            continue;
        }
        if (!iequals(cluster_text(its_group, "a group name"), group)) continue;
        out.resources.push_back(cluster_text(resource, "a resource name"));
        std::string why;
        if (const auto count = checkpoint_count(api, r.get(), why)) {
            out.checkpoint_count += *count;
        } else {
            out.unreadable.push_back({cluster_text(resource, "a resource name"), group, why});
        }
        const std::string what =
            "listing the possible owners of resource " + cluster_text(resource, "a resource name");
        for (const std::wstring& n :
             names_or_throw(resource_members(api, r.get(), clus::kResourceEnumNodes, what)))
            add_unique(out.possible, cluster_text(n, "a node name"));
    }
    return out;
}

PublishedText Win32ClusterView::read_summary(const std::string& node) {
    const ClusterConnection& c = *connection_;
    const ClusapiLibrary& api = c.fn();
    auto error = [](std::string why) {
        return PublishedText{PublishedText::Status::error, {}, std::move(why)};
    };
    const std::wstring wnode = widen(node);
    if (auto bad = bad_node_name(wnode)) return error(*bad);
    ClusterKey key;
    try {
        key = c.root(KEY_READ);
    } catch (const ClusterViewError& e) {
        return error(e.what());
    }
    for (const std::wstring& part :
         {std::wstring(kSummaryKeyPath[0]), std::wstring(kSummaryKeyPath[1]), wnode}) {
        HKEY sub = nullptr;
        const LONG rc = api.ClusterRegOpenKey(key.get(), part.c_str(), KEY_READ, &sub);
        if (rc == ERROR_FILE_NOT_FOUND) return {};
        if (rc != ERROR_SUCCESS) return error(describe("opening " + narrow(part), rc));
        key = ClusterKey(sub, {api.ClusterRegCloseKey});
    }
    // REG_SZ: UTF-16, so at most two bytes per character of a summary that
    // is within kMaxSummaryBytes, and its NUL.
    constexpr std::size_t kMaxValueBytes = 2 * kMaxSummaryBytes + 2;
    DWORD type = 0;
    const auto got =
        call_growing<BYTE, DWORD>({4096, kMaxValueBytes, 0}, [&](BYTE* data, DWORD& cb) {
            return api.ClusterRegQueryValue(key.get(), kSummaryValue, &type, data, &cb);
        });
    if (got.refused) {
        return error("the summary is " + std::to_string(got.size) + " bytes, more than " +
                     std::to_string(kMaxValueBytes));
    }
    const LONG rc = static_cast<LONG>(got.status);
    if (rc == ERROR_FILE_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS) return error(describe("reading the summary", rc));
    if (type != REG_SZ)
        return error("the summary is not a string (type " + std::to_string(type) + ")");
    const std::size_t chars = got.filled() / sizeof(wchar_t);
    std::wstring text(chars, L'\0');
    std::memcpy(text.data(), got.buffer.data(), chars * sizeof(wchar_t));
    text.resize(bounded_length(text.data(), chars));
    try {
        return {PublishedText::Status::found, narrow(text), {}};
    } catch (const InvalidText& e) {
        // Replaced by U+FFFD, the text would parse and be believed.
        return error(std::string("the summary is malformed: ") + e.what());
    }
}

Win32SummaryStore::Win32SummaryStore() = default;
Win32SummaryStore::~Win32SummaryStore() = default;

std::optional<std::string> Win32SummaryStore::write(const std::string& node,
                                                    const std::string& text) {
    const std::wstring wnode = widen(node);
    if (auto bad = bad_node_name(wnode)) return bad;
    if (!connection_) {
        std::string why;
        if (ClusterConnection::open(connection_, why) != ClusterViewPort::Open::ok) {
            connection_.reset();
            return why;
        }
    }
    const ClusterConnection& c = *connection_;
    const ClusapiLibrary& api = c.fn();
    std::optional<std::string> failed;
    try {
        ClusterKey key = c.root(KEY_READ | KEY_WRITE);
        for (const std::wstring& part :
             {std::wstring(kSummaryKeyPath[0]), std::wstring(kSummaryKeyPath[1]), wnode}) {
            HKEY sub = nullptr;
            DWORD disposition = 0;
            const LONG rc =
                api.ClusterRegCreateKey(key.get(), part.c_str(), REG_OPTION_NON_VOLATILE,
                                        KEY_READ | KEY_WRITE, nullptr, &sub, &disposition);
            if (rc != ERROR_SUCCESS)
                throw ClusterViewError(describe("creating " + narrow(part), rc));
            key = ClusterKey(sub, {api.ClusterRegCloseKey});
        }
        const std::wstring value = widen(text);
        const DWORD rc = api.ClusterRegSetValue(
            key.get(), kSummaryValue, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
            static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t)));
        if (rc != ERROR_SUCCESS) failed = describe("writing PermWatch\\Nodes\\" + node, rc);
    } catch (const ClusterViewError& e) {
        failed = e.what();
    }
    // A failed write may mean a lost connection: open again next time.
    if (failed) connection_.reset();
    return failed;
}

}  // namespace permwatch::win
