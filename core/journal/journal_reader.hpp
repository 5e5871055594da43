// Reading the whole journal, rotated files included, the
// way `rollback` must: each rotated file that exists is judged like the live
// journal (core/policy/trusted_files.hpp: a file someone untrusted can change is
// refused, and nothing is read), then every file is parsed, oldest first.
// The bytes come through a reader so that this runs natively against fakes.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/journal/journal.hpp"
#include "core/policy/trusted_files.hpp"

namespace permwatch {

// A file's bytes; nullopt when it does not exist.
using ReadFileBytes = std::function<std::optional<std::string>(const std::string& path)>;

struct JournalRead {
    JournalContents contents;            // .5 ... .1 then the live file
    std::optional<std::string> refused;  // the refusal line; contents empty then
};

// `files` null: no file security to judge (the live file is judged when the
// config is loaded, core/policy/trusted_config.hpp; this judges the rotated ones).
JournalRead read_journal_across_files(const std::string& live, const ReadFileBytes& read,
                                      FileSecurityPort* files);

}  // namespace permwatch
