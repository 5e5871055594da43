#include "service/clusapi_calls.hpp"

#include "core/cluster/property_list.hpp"
#include "core/common/foreign_sizes.hpp"
#include "core/common/grow_buffer.hpp"
#include "core/common/multi_sz.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

static_assert(kStatusMoreData == ERROR_MORE_DATA);

namespace {

// Names: 256 characters offered first, at most kMaxForeignNameChars.
constexpr GrowLimits kNameLimits{256, kMaxForeignNameChars, 0};

// The three enumerations share one shape (HCLUSENUM, HGROUPENUM and
// HRESENUM are all opaque pointers); `next_name` names the call in errors.
struct Enumeration {
    clus::ClusterOpenEnumFn open;
    clus::ClusterEnumFn next;
    clus::ClusterCloseEnumFn close;
    const char* next_name;
};

ClusterNames list_names(const Enumeration& calls, void* object, DWORD type,
                        const std::string& what) {
    ClusterNames out;
    const ClusterEnumeration e(calls.open(object, type), {calls.close});
    if (!e) {
        out.error = describe(what, GetLastError());
        return out;
    }
    const auto fail = [&out](std::string why) {
        out.names.clear();
        out.error = std::move(why);
        return out;
    };
    for (DWORD i = 0;; ++i) {
        if (i >= kMaxForeignObjects) {
            // A DLL that never says ERROR_NO_MORE_ITEMS ends here too.
            return fail(what + ": more than " + std::to_string(kMaxForeignObjects) + " objects");
        }
        const auto got = call_growing<wchar_t, DWORD>(kNameLimits, [&](wchar_t* name, DWORD& cch) {
            DWORD got_type = 0;
            return calls.next(e.get(), i, &got_type, name, &cch);
        });
        if (got.refused) {
            return fail(what + ": " + calls.next_name + " asked for a name of " +
                        std::to_string(got.size) + " characters; not read");
        }
        if (got.status == ERROR_NO_MORE_ITEMS) return out;
        if (!got.ok()) return fail(describe(what, got.status));
        std::wstring name = text_in(got.buffer);
        if (name.empty() || has_control_char(name.data(), name.size())) {
            return fail(what + ": an empty name or one with a control character");
        }
        out.names.push_back(std::move(name));
    }
}

// One control code's output, grown to what the call asks for within `cap`
// bytes, with room for a MULTI_SZ's two closing NULs even if the DLL writes
// none.
GrownAnswer<BYTE> resource_control(const ClusapiLibrary& api, clus::HResource resource, DWORD code,
                                   std::size_t initial, std::size_t cap) {
    return call_growing<BYTE, DWORD>(
        {initial, cap, 2 * sizeof(wchar_t)}, [&](BYTE* buffer, DWORD& size) {
            DWORD returned = 0;
            const DWORD rc = api.ClusterResourceControl(resource, nullptr, code, nullptr, 0, buffer,
                                                        size, &returned);
            size = returned;
            return rc;
        });
}

// A control code whose answer is one NUL-terminated name (an id, a type):
// the text up to its first NUL, never past what the call filled; "" when it
// cannot be read, `rc` then saying why.
std::wstring resource_text(const ClusapiLibrary& api, clus::HResource resource, DWORD code,
                           DWORD& rc) {
    const auto got = resource_control(api, resource, code, 128 * sizeof(wchar_t),
                                      kMaxForeignNameChars * sizeof(wchar_t));
    rc = got.status;
    if (!got.ok()) return {};
    const auto* text = reinterpret_cast<const wchar_t*>(got.buffer.data());
    const std::size_t units = got.filled() / sizeof(wchar_t);
    return std::wstring(text, bounded_length(text, units));
}

// A control code whose answer is a list (a MULTI_SZ, a property list),
// written by the resource's DLL: as long as it asks, within
// kMaxForeignPayloadBytes.
GrownAnswer<BYTE> resource_list(const ClusapiLibrary& api, clus::HResource resource, DWORD code) {
    return resource_control(api, resource, code, 1024, kMaxForeignPayloadBytes);
}

}  // namespace

std::wstring text_in(const std::vector<wchar_t>& buffer) {
    return std::wstring(buffer.data(), bounded_length(buffer.data(), buffer.size()));
}

ClusterServiceState ask_cluster_service(const ClusapiLibrary& api) {
    ClusterServiceState out;
    if (!api.GetNodeClusterState) {
        out.why = "clusapi.dll has no GetNodeClusterState";
        return out;
    }
    if (const DWORD rc = api.GetNodeClusterState(nullptr, &out.state); rc != ERROR_SUCCESS) {
        out.outcome = ClusterServiceState::Outcome::failed;
        out.why = describe("asking whether the Cluster service runs", rc);
        return out;
    }
    out.outcome = ClusterServiceState::Outcome::answered;
    if (out.state != clus::kClusterStateRunning) {
        out.why = "the Cluster service is not running on this node (state " +
                  std::to_string(out.state) + ")";
    }
    return out;
}

ClusterObject open_local_cluster(const ClusapiLibrary& api, std::string& why) {
    ClusterObject cluster(api.OpenCluster(nullptr), {api.CloseCluster});
    if (!cluster) why = describe("opening the local cluster", GetLastError());
    return cluster;
}

std::optional<std::wstring> cluster_name_of(const ClusapiLibrary& api, clus::HCluster cluster) {
    const auto got = call_growing<wchar_t, DWORD>(kNameLimits, [&](wchar_t* name, DWORD& cch) {
        return api.GetClusterInformation(cluster, name, &cch, nullptr);
    });
    if (!got.ok()) return std::nullopt;
    return text_in(got.buffer);
}

std::optional<std::wstring> node_id_of(const ClusapiLibrary& api, clus::HNode node) {
    const auto got = call_growing<wchar_t, DWORD>(
        {64, kMaxForeignNameChars, 0},
        [&](wchar_t* id, DWORD& cch) { return api.GetClusterNodeId(node, id, &cch); });
    if (!got.ok()) return std::nullopt;
    return text_in(got.buffer);
}

ClusterNames cluster_objects(const ClusapiLibrary& api, clus::HCluster cluster, DWORD type,
                             const std::string& what) {
    return list_names({api.ClusterOpenEnum, api.ClusterEnum, api.ClusterCloseEnum, "ClusterEnum"},
                      cluster, type, what);
}

ClusterNames group_members(const ClusapiLibrary& api, clus::HGroup group, DWORD type,
                           const std::string& what) {
    return list_names({api.ClusterGroupOpenEnum, api.ClusterGroupEnum, api.ClusterGroupCloseEnum,
                       "ClusterGroupEnum"},
                      group, type, what);
}

ClusterNames resource_members(const ClusapiLibrary& api, clus::HResource resource, DWORD type,
                              const std::string& what) {
    return list_names({api.ClusterResourceOpenEnum, api.ClusterResourceEnum,
                       api.ClusterResourceCloseEnum, "ClusterResourceEnum"},
                      resource, type, what);
}

ObjectState resource_state(const ClusapiLibrary& api, clus::HResource resource) {
    wchar_t node[256] = {};
    wchar_t group[512] = {};
    DWORD node_cch = 256;
    DWORD group_cch = 512;
    ObjectState out;
    out.state = api.GetClusterResourceState(resource, node, &node_cch, group, &group_cch);
    if (out.state == clus::kResourceStateUnknown) out.error = GetLastError();
    out.node.assign(node, bounded_length(node, 256));
    out.group.assign(group, bounded_length(group, 512));
    return out;
}

ObjectState group_state(const ClusapiLibrary& api, clus::HGroup group) {
    wchar_t node[256] = {};
    DWORD node_cch = 256;
    ObjectState out;
    out.state = api.GetClusterGroupState(group, node, &node_cch);
    if (out.state == clus::kGroupStateUnknown) out.error = GetLastError();
    out.node.assign(node, bounded_length(node, 256));
    return out;
}

std::wstring resource_id(const ClusapiLibrary& api, clus::HResource resource, DWORD& rc) {
    return resource_text(api, resource, clus::kCtlResourceGetId, rc);
}

std::wstring resource_type(const ClusapiLibrary& api, clus::HResource resource, DWORD& rc) {
    return resource_text(api, resource, clus::kCtlResourceGetResourceType, rc);
}

CheckpointList registry_checkpoints(const ClusapiLibrary& api, clus::HResource resource) {
    const auto got = resource_list(api, resource, clus::kCtlResourceGetRegistryCheckpoints);
    CheckpointList out;
    out.rc = got.status;
    out.refused = got.refused;
    out.asked = got.size;
    if (!got.ok()) return out;
    // MULTI_SZ: read no further than what the call says it returned, and
    // never past the buffer, whatever it says.
    for (const std::u16string& path : split_multi_sz(got.buffer.data(), got.filled())) {
        out.paths.emplace_back(path.begin(), path.end());
    }
    return out;
}

ServiceNameAnswer generic_service_name(const ClusapiLibrary& api, clus::HResource resource) {
    const auto got = resource_list(api, resource, clus::kCtlResourceGetPrivateProperties);
    ServiceNameAnswer out;
    if (got.refused) {
        out.problem =
            "its private properties asked for a buffer of " + std::to_string(got.size) + " bytes";
        return out;
    }
    if (!got.ok()) {
        out.problem = describe("reading its private properties", got.status);
        return out;
    }
    const ParsedPropertyList list = parse_property_list(got.buffer.data(), got.filled());
    if (!list.ok()) {
        out.problem = "its private properties were refused: " + list.error;
        return out;
    }
    const std::optional<std::u16string> name = string_property(list, u"ServiceName");
    if (!name || name->empty()) {
        out.problem = find_property(list, u"ServiceName")
                          ? "its ServiceName is not a string naming a service"
                          : "its private properties have no ServiceName";
        return out;
    }
    // The SCM's limit for a service name; a control character would make the
    // log lines lie, and no service name holds one.
    if (name->size() > 256 || has_control_char(std::u16string_view(*name))) {
        out.problem = "its ServiceName is not a valid service name";
        return out;
    }
    out.name.assign(name->begin(), name->end());
    return out;
}

}  // namespace permwatch::win
