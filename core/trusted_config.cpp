#include "core/trusted_config.hpp"

#include <ostream>

#include "core/cli.hpp"

namespace permwatch {

ConfigLoad load_trusted_config(const std::string& path, FileSecurityPort* files) {
    ConfigLoad out;
    // Judged before it is read: what an untrusted account wrote is never parsed.
    if (files) {
        if (auto refused = refuse_untrusted(FileRole::config, path, *files)) {
            out.refused = std::move(refused);
            return out;
        }
    }
    ConfigResult result = load_config_file(path);
    out.problems = std::move(result.problems);
    if (!result.config) return out;
    if (files) {
        if (auto refused = refuse_untrusted(FileRole::journal,
                                            expand_environment(result.config->journal), *files)) {
            out.refused = std::move(refused);
            return out;
        }
    }
    out.config = std::move(result.config);
    return out;
}

std::optional<Config> load_trusted_config_file(const std::string& path, std::ostream& err,
                                               FileSecurityPort* files) {
    ConfigLoad load = load_trusted_config(path, files);
    for (const ConfigProblem& p : load.problems)
        err << "permwatch: " << describe_problem(path, p) << "\n";
    if (load.refused) err << "permwatch: " << *load.refused << "\n";
    return std::move(load.config);
}

}  // namespace permwatch
