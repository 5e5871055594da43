// The commands that need the live Windows registry: check, repair, export,
// rollback, and run (console). install/uninstall/status come with the service.
// status --cluster and check --cluster read the cluster database.
#pragma once

#include "core/cli/cli.hpp"

namespace permwatch::win {

class Win32LiveCommands final : public LiveCommands {
public:
    std::optional<int> run(const CliOptions& options, std::ostream& out,
                           std::ostream& err) override;
};

}  // namespace permwatch::win
