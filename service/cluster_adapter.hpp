// The failover cluster, through clusapi.dll loaded at run time (never linked:
// a node without the Failover Clustering feature has no clusapi.dll, or one
// whose OpenCluster fails, and PermWatch then runs standalone). Implements
// core's ClusterPort: subscribes to group owner/state and resource state
// changes (CreateClusterNotifyPortV2 when the DLL exports it, else the V1
// CreateClusterNotifyPort), turns them into ClusterEvent on one owned thread,
// and discovers every resource's registry checkpoints
// (CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS).
#pragma once

#include <windows.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/ports/cluster_port.hpp"

namespace permwatch::win {

class ClusapiLibrary;

class Win32Cluster final : public ClusterPort {
public:
    // Loads clusapi.dll from System32 only (tests put their fake there).
    Win32Cluster();
    ~Win32Cluster() override;
    Win32Cluster(const Win32Cluster&) = delete;
    Win32Cluster& operator=(const Win32Cluster&) = delete;

    // Loads the DLL (first time), opens the local cluster, learns this node's
    // name and subscribes. false: no cluster here now (why_unavailable() says
    // why); call again later. Called while connected: reconnects.
    bool connect(std::function<void(const ClusterEvent&)> on_event) override;
    // Stops the notification thread (waits for it, at most one notify timeout)
    // and closes the cluster. Not to be called from inside on_event.
    void disconnect() override;
    // Connected and the notification port has not broken.
    bool available() const override;
    std::string node_name() const override;
    std::vector<Checkpoint> checkpoints() override;
    std::vector<UnreadCheckpoints> unread_checkpoints() const override;
    std::vector<ResourceFacts> resource_facts() const override;
    std::vector<ClusterEvent> pending_here() override;
    // Whether this machine is a cluster node, as far as the last connect()
    // learned: true once the Cluster service said it is configured here
    // (running or not) or could not be asked; false where no cluster is
    // installed or configured, or clusapi.dll cannot serve PermWatch at all.
    bool cluster_node() const;

    std::string cluster_name() const;
    // "V2" or "V1": which notification API the session uses ("" when not connected).
    std::string notify_api() const;
    std::string why_unavailable() const;
    // Where the adapter tells what it did not follow (a size clusapi asked
    // for beyond reason, a failed notification thread). Set before the first
    // connect(); called on the notification thread or the caller's.
    void on_error(std::function<void(const std::string&)> report);

    struct Session;

private:
    bool load_api();
    // The current session (held by the caller while it uses it), or null.
    std::shared_ptr<Session> session() const;

    std::shared_ptr<const ClusapiLibrary> api_;
    mutable std::mutex mutex_;
    std::shared_ptr<Session> session_;
    std::string why_;
    bool cluster_node_ = false;
    std::vector<UnreadCheckpoints> unread_;
    std::vector<ResourceFacts> facts_;
    std::function<void(const std::string&)> report_;
};

}  // namespace permwatch::win
