#include "core/policy/trusted_config.hpp"

#include <ostream>

#include "core/policy/paths.hpp"

namespace permwatch {

ConfigLoad load_trusted_config(const std::string& path, FileSecurityPort* files) {
    ConfigLoad out;
    ConfigResult result;
    if (files) {
        // Judged and read through one handle; what an untrusted account
        // wrote, or could still write, is never parsed.
        TrustedRead read = read_trusted(FileRole::config, path, *files);
        if (read.refused) {
            out.refused = std::move(read.refused);
            return out;
        }
        if (!read.bytes) {
            out.problems.push_back({"", "cannot be read"});
            return out;
        }
        result = load_config(*read.bytes);
    } else {
        result = load_config_file(path);
    }
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
