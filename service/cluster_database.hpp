// The cluster database, through clusapi.dll (clusapi_library.hpp): where
// each node's PermWatch publishes its summary (PermWatch\Nodes\<node>, value
// "Summary", REG_SZ holding the JSON, below the cluster root key from
// GetClusterKey), who may own a group, and how many registry checkpoints
// its resources have (or which could not be read). Implements core's
// ClusterViewPort (`status --cluster`, `check --cluster`) and SummaryStore
// (the watchdog's publisher). Every size clusapi gives back is bounded
// (core/common/foreign_sizes.hpp, kMaxSummaryBytes), every handle is held by a
// UniqueHandle whose closer is the clusapi function loaded at run time.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/ports/cluster_view_port.hpp"

namespace permwatch::win {

// Where a summary lives below the cluster root key, and its value's name.
inline constexpr const wchar_t* kSummaryKeyPath[] = {L"PermWatch", L"Nodes"};
inline constexpr const wchar_t* kSummaryValue = L"Summary";

struct ClusterConnection;

class Win32ClusterView final : public ClusterViewPort {
public:
    Win32ClusterView();
    ~Win32ClusterView() override;
    Win32ClusterView(const Win32ClusterView&) = delete;
    Win32ClusterView& operator=(const Win32ClusterView&) = delete;

    Open open(std::string& why) override;
    std::string cluster_name() override;
    std::vector<ClusterNodeInfo> nodes() override;
    std::vector<std::string> groups() override;
    GroupOwners owners(const std::string& group) override;
    PublishedText read_summary(const std::string& node) override;

private:
    std::unique_ptr<ClusterConnection> connection_;
};

// Writes one node's summary; opens the local cluster on the first write and
// again after a failed one. Used from one thread at a time (the writer's).
class Win32SummaryStore final : public SummaryStore {
public:
    Win32SummaryStore();
    ~Win32SummaryStore() override;
    Win32SummaryStore(const Win32SummaryStore&) = delete;
    Win32SummaryStore& operator=(const Win32SummaryStore&) = delete;

    std::optional<std::string> write(const std::string& node, const std::string& text) override;

private:
    std::unique_ptr<ClusterConnection> connection_;
};

}  // namespace permwatch::win
