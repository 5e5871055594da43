// Loading the config the way every command that acts on it must
// (README, "Configuration"): open it once, refuse it when
// that handle shows a file or folder an untrusted account can change, a link
// or a path other than the one given, or a writer holding it open; parse
// only the bytes read through that same handle; then refuse it when the
// journal it names can be changed by one (the journal's own handle is judged
// again where it is opened: service/file_journal.cpp). Problems stay data
// here; the command line prints them, the service raises events.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/policy/trusted_files.hpp"

namespace permwatch {

struct ConfigLoad {
    std::optional<Config> config;         // set only when nothing below is
    std::vector<ConfigProblem> problems;  // each with its pointer (event 4000)
    std::optional<std::string> refused;   // the one refusal line (event 4001)
};

// `files` null: no file security to judge (Linux); only the validation runs.
// The journal path is expanded (%ProgramData%) before it is judged.
ConfigLoad load_trusted_config(const std::string& path, FileSecurityPort* files);

// The same for the command line: each problem, or the refusal, as one
// "permwatch: ..." line on `err`.
std::optional<Config> load_trusted_config_file(const std::string& path, std::ostream& err,
                                               FileSecurityPort* files);

}  // namespace permwatch
