#include "service/cluster_database.hpp"

#include <algorithm>
#include <cstring>

#include "core/cluster/node_summary.hpp"
#include "core/common/ascii.hpp"
#include "core/common/foreign_sizes.hpp"
#include "service/clusapi_database_types.hpp"
#include "service/clusapi_library.hpp"
#include "service/regsync_reader.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

// The functions this adapter takes from clusapi.dll; the list names each
// once, for loading and for saying which one a DLL lacks.
// clang-format off
#define PW_CLUSTER_DATABASE_FUNCTIONS(X) \
    X(OpenCluster) \
    X(CloseCluster) \
    X(GetClusterInformation) \
    X(ClusterOpenEnum) \
    X(ClusterEnum) \
    X(ClusterCloseEnum) \
    X(OpenClusterNode) \
    X(CloseClusterNode) \
    X(GetClusterNodeState) \
    X(OpenClusterGroup) \
    X(CloseClusterGroup) \
    X(ClusterGroupOpenEnum) \
    X(ClusterGroupEnum) \
    X(ClusterGroupCloseEnum) \
    X(OpenClusterResource) \
    X(CloseClusterResource) \
    X(GetClusterResourceState) \
    X(ClusterResourceControl) \
    X(ClusterResourceOpenEnum) \
    X(ClusterResourceEnum) \
    X(ClusterResourceCloseEnum) \
    X(GetClusterKey) \
    X(ClusterRegCreateKey) \
    X(ClusterRegOpenKey) \
    X(ClusterRegCloseKey) \
    X(ClusterRegSetValue) \
    X(ClusterRegQueryValue)
// clang-format on

struct ClusterDatabaseApi {
    std::shared_ptr<ClusapiLibrary> library;
    clus::GetNodeClusterStateFn GetNodeClusterState = nullptr;
#define PW_MEMBER(name) clus::name##Fn name = nullptr;
    PW_CLUSTER_DATABASE_FUNCTIONS(PW_MEMBER)
#undef PW_MEMBER

    // The first function the DLL does not export, or "".
    std::string missing() const {
#define PW_CHECK(name) \
    if (!name) return #name;
        PW_CLUSTER_DATABASE_FUNCTIONS(PW_CHECK)
#undef PW_CHECK
        return {};
    }
};

namespace {

std::shared_ptr<const ClusterDatabaseApi> load_api(std::string& why) {
    std::shared_ptr<ClusapiLibrary> library = ClusapiLibrary::load(why);
    if (!library) return nullptr;
    auto api = std::make_shared<ClusterDatabaseApi>();
    api->library = library;
    api->GetNodeClusterState = library->get<clus::GetNodeClusterStateFn>("GetNodeClusterState");
#define PW_LOAD(name) api->name = library->get<clus::name##Fn>(#name);
    PW_CLUSTER_DATABASE_FUNCTIONS(PW_LOAD)
#undef PW_LOAD
    return api;
}

std::wstring bounded_text(const std::wstring& buffer) {
    return std::wstring(buffer.data(), bounded_length(buffer.data(), buffer.size()));
}

// Every name of one enumeration (ClusterEnum, ClusterGroupEnum and
// ClusterResourceEnum share the shape). Sizes are bounded; a name with a
// control character is refused, as is an enumeration without end.
template <typename EnumFn>
std::vector<std::wstring> names_of(EnumFn next, void* enumeration, const std::string& what) {
    std::vector<std::wstring> out;
    std::wstring name(256, L'\0');
    for (DWORD i = 0;; ++i) {
        if (i >= kMaxForeignObjects) {
            throw ClusterViewError(what + ": more than " + std::to_string(kMaxForeignObjects) +
                                   " objects");
        }
        DWORD type = 0;
        DWORD cch = static_cast<DWORD>(name.size());
        DWORD rc = next(enumeration, i, &type, name.data(), &cch);
        if (rc == ERROR_MORE_DATA) {
            const auto grown = grown_size(cch, name.size(), kMaxForeignNameChars);
            if (!grown) {
                throw ClusterViewError(what + ": a name of " + std::to_string(cch) +
                                       " characters was offered; not read");
            }
            name.assign(*grown, L'\0');
            cch = static_cast<DWORD>(name.size());
            rc = next(enumeration, i, &type, name.data(), &cch);
        }
        if (rc == ERROR_NO_MORE_ITEMS) break;
        if (rc != ERROR_SUCCESS) throw ClusterViewError(describe(what, rc));
        std::wstring got = bounded_text(name);
        if (got.empty() || has_control_char(got.data(), got.size())) {
            throw ClusterViewError(what + ": an empty name or one with a control character");
        }
        out.push_back(std::move(got));
    }
    return out;
}

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

// One control code's output (CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS,
// CLUSCTL_RESOURCE_GET_ID) in `out`, grown once to what the call asks for
// within `cap` bytes, as service/cluster_adapter reads them. Returns the
// call's error, or ERROR_MORE_DATA when the size it asked for was refused.
DWORD resource_control(const ClusterDatabaseApi& api, clus::HResource r, DWORD code,
                       std::size_t cap, std::vector<BYTE>& out, DWORD& returned) {
    returned = 0;
    DWORD rc = api.ClusterResourceControl(r, nullptr, code, nullptr, 0, out.data(),
                                          static_cast<DWORD>(out.size()), &returned);
    if (rc == ERROR_MORE_DATA) {
        const auto grown = grown_size(returned, out.size(), cap);
        if (!grown) return ERROR_MORE_DATA;
        // Room for the MULTI_SZ's two closing NULs even if the DLL writes none.
        out.assign(*grown + 2 * sizeof(wchar_t), 0);
        returned = 0;
        rc = api.ClusterResourceControl(r, nullptr, code, nullptr, 0, out.data(),
                                        static_cast<DWORD>(out.size()), &returned);
    }
    return rc;
}

// How many registry checkpoints resource `r` has, learned as the watchdog
// learns them (service/cluster_adapter): the control code, and when that
// fails the RegSync copy in this node's cluster hive. nullopt, with `why`,
// when neither answered: then any key may be among its checkpoints.
std::optional<std::size_t> checkpoint_count(const ClusterDatabaseApi& api, clus::HResource r,
                                            std::string& why) {
    std::vector<BYTE> buf(1024);
    DWORD returned = 0;
    const DWORD rc = resource_control(api, r, clus::kCtlResourceGetRegistryCheckpoints,
                                      kMaxForeignPayloadBytes, buf, returned);
    if (rc == ERROR_SUCCESS) {
        // MULTI_SZ: each path NUL-terminated, then a NUL; read no further
        // than the buffer, whatever `returned` says.
        const std::size_t units = std::min<std::size_t>(returned, buf.size()) / sizeof(wchar_t);
        const auto* text = reinterpret_cast<const wchar_t*>(buf.data());
        std::size_t count = 0;
        std::size_t i = 0;
        while (i < units && text[i] != L'\0') {
            ++count;
            while (i < units && text[i] != L'\0') ++i;
            ++i;
        }
        return count;
    }
    const std::string failed =
        rc == ERROR_MORE_DATA ? "CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS asked for a buffer of " +
                                    std::to_string(returned) + " bytes; not read"
                              : describe("CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS", rc);
    std::vector<BYTE> id_buf(128 * sizeof(wchar_t));
    DWORD id_returned = 0;
    const DWORD id_rc =
        resource_control(api, r, clus::kCtlResourceGetId, kMaxForeignNameChars * sizeof(wchar_t),
                         id_buf, id_returned);
    std::wstring id;
    if (id_rc == ERROR_SUCCESS) {
        const auto* text = reinterpret_cast<const wchar_t*>(id_buf.data());
        const std::size_t units =
            std::min<std::size_t>(id_returned, id_buf.size()) / sizeof(wchar_t);
        id.assign(text, bounded_length(text, units));
    }
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
    std::shared_ptr<const ClusterDatabaseApi> api;
    ClusterObject cluster;  // closed before `api` lets the DLL go

    // Opens the local cluster, after asking whether this node runs the
    // Cluster service (Wine's own clusapi.dll implements only that question
    // and raises an exception for most other calls).
    static ClusterViewPort::Open open(std::unique_ptr<ClusterConnection>& out, std::string& why) {
        auto api = load_api(why);
        if (!api) return ClusterViewPort::Open::no_cluster;
        if (!api->GetNodeClusterState) {
            why = "clusapi.dll has no GetNodeClusterState";
            return ClusterViewPort::Open::no_cluster;
        }
        DWORD state = 0;
        if (const DWORD rc = api->GetNodeClusterState(nullptr, &state); rc != ERROR_SUCCESS) {
            why = describe("asking whether the Cluster service runs", rc);
            return ClusterViewPort::Open::no_cluster;
        }
        if (state != clus::kClusterStateRunning) {
            why = "the Cluster service is not running on this node (state " +
                  std::to_string(state) + ")";
            return ClusterViewPort::Open::no_cluster;
        }
        if (const std::string missing = api->missing(); !missing.empty()) {
            why = "clusapi.dll lacks " + missing;
            return ClusterViewPort::Open::error;
        }
        clus::HCluster h = api->OpenCluster(nullptr);
        if (!h) {
            why = describe("opening the local cluster", GetLastError());
            return ClusterViewPort::Open::error;
        }
        out = std::make_unique<ClusterConnection>();
        out->api = api;
        out->cluster = ClusterObject(h, {api->CloseCluster});
        return ClusterViewPort::Open::ok;
    }

    const ClusterDatabaseApi& fn() const { return *api; }

    std::vector<std::wstring> enumerate(DWORD type, const std::string& what) const {
        ClusterEnumeration e(fn().ClusterOpenEnum(cluster.get(), type), {fn().ClusterCloseEnum});
        if (!e) throw ClusterViewError(describe(what, GetLastError()));
        return names_of(fn().ClusterEnum, e.get(), what);
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
    std::wstring name(256, L'\0');
    DWORD cch = static_cast<DWORD>(name.size());
    if (connection_->fn().GetClusterInformation(connection_->cluster.get(), name.data(), &cch,
                                                nullptr) != ERROR_SUCCESS) {
        return {};
    }
    std::wstring got = bounded_text(name);
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
    const ClusterDatabaseApi& api = c.fn();
    GroupOwners out;
    out.group = group;
    const std::wstring wgroup = widen(group);
    {
        ClusterObject g(api.OpenClusterGroup(c.cluster.get(), wgroup.c_str()),
                        {api.CloseClusterGroup});
        if (!g) throw ClusterViewError(describe("opening group " + group, GetLastError()));
        const std::string what = "listing the preferred owners of group " + group;
        ClusterEnumeration e(api.ClusterGroupOpenEnum(g.get(), clus::kGroupEnumNodes),
                             {api.ClusterGroupCloseEnum});
        if (!e) throw ClusterViewError(describe(what, GetLastError()));
        for (const std::wstring& n : names_of(api.ClusterGroupEnum, e.get(), what))
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
        wchar_t node_buf[256] = {};
        wchar_t group_buf[512] = {};
        DWORD node_cch = 256;
        DWORD group_cch = 512;
        const int state =
            api.GetClusterResourceState(r.get(), node_buf, &node_cch, group_buf, &group_cch);
        const std::wstring its_group(group_buf, bounded_length(group_buf, 512));
        if (state == clus::kResourceStateUnknown && its_group.empty()) {
            const DWORD rc = GetLastError();
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
        ClusterEnumeration e(api.ClusterResourceOpenEnum(r.get(), clus::kResourceEnumNodes),
                             {api.ClusterResourceCloseEnum});
        if (!e) throw ClusterViewError(describe(what, GetLastError()));
        for (const std::wstring& n : names_of(api.ClusterResourceEnum, e.get(), what))
            add_unique(out.possible, cluster_text(n, "a node name"));
    }
    return out;
}

PublishedText Win32ClusterView::read_summary(const std::string& node) {
    const ClusterConnection& c = *connection_;
    const ClusterDatabaseApi& api = c.fn();
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
    std::vector<BYTE> buffer(4096);
    DWORD type = 0;
    DWORD cb = static_cast<DWORD>(buffer.size());
    LONG rc = api.ClusterRegQueryValue(key.get(), kSummaryValue, &type, buffer.data(), &cb);
    if (rc == ERROR_MORE_DATA) {
        const auto grown = grown_size(cb, buffer.size(), kMaxValueBytes);
        if (!grown) {
            return error("the summary is " + std::to_string(cb) + " bytes, more than " +
                         std::to_string(kMaxValueBytes));
        }
        buffer.assign(*grown, 0);
        cb = static_cast<DWORD>(buffer.size());
        rc = api.ClusterRegQueryValue(key.get(), kSummaryValue, &type, buffer.data(), &cb);
    }
    if (rc == ERROR_FILE_NOT_FOUND) return {};
    if (rc != ERROR_SUCCESS) return error(describe("reading the summary", rc));
    if (type != REG_SZ)
        return error("the summary is not a string (type " + std::to_string(type) + ")");
    const std::size_t chars = std::min<std::size_t>(cb, buffer.size()) / sizeof(wchar_t);
    std::wstring text(chars, L'\0');
    std::memcpy(text.data(), buffer.data(), chars * sizeof(wchar_t));
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
    const ClusterDatabaseApi& api = c.fn();
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
