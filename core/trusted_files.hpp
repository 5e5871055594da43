// Refuses a config or journal that someone other than the trusted accounts
// (core/file_trust.hpp) can change: the file itself and the folder it is in
// (whoever can add or delete files in the folder can replace the file).
// The descriptors come through a port; service/file_security.hpp is the real
// one, tests use fakes.
#pragma once

#include <optional>
#include <string>

#include "core/file_trust.hpp"

namespace permwatch {

struct FileSecurityRead {
    enum class Status { ok, missing, error };
    Status status = Status::ok;
    SecurityDescriptor sd;  // owner and DACL, when ok
    std::string error;      // what and where, when not ok
};

// Port: reads a file's or folder's owner and DACL, names accounts.
class FileSecurityPort {
public:
    virtual ~FileSecurityPort() = default;
    virtual FileSecurityRead read(const std::string& path) = 0;
    // "BUILTIN\Users" for S-1-5-32-545; empty when it has no name.
    virtual std::string account_name(const Sid& sid) = 0;
    // The account this process runs as (trusted, see trusted_file_accounts).
    virtual std::optional<Sid> self() = 0;
};

// The folder part of a Windows or POSIX path ("C:\a\b.json" -> "C:\a");
// "." when there is none.
std::string folder_of(const std::string& path);

enum class FileRole { config, journal };

// nullopt when only trusted accounts can change `path` and its folder; else
// the one line that says so, naming the path and the account:
//   "refusing config C:\ProgramData\PermWatch\permwatch.json: its folder
//    C:\ProgramData\PermWatch: BUILTIN\Users (S-1-5-32-545) may add files"
// A file that does not exist yet is judged by its folder alone (a journal
// before its first line). A descriptor that cannot be read is refused. A
// missing folder: for a config, nothing to judge (reading it fails next);
// for a journal, refused, because the folder PermWatch would create for it
// inherits from its parent unjudged (only the data folder is made safe).
std::optional<std::string> refuse_untrusted(FileRole role, const std::string& path,
                                            FileSecurityPort& files);

}  // namespace permwatch
