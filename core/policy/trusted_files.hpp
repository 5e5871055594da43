// Refuses a config or journal that someone other than the trusted accounts
// (core/policy/file_trust.hpp) can change: the file itself and the folder it is in
// (whoever can add or delete files in the folder can replace the file).
// The descriptors come through a port; service/file_security.hpp is the real
// one, tests use fakes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/policy/file_trust.hpp"

namespace permwatch {

struct FileSecurityRead {
    enum class Status { ok, missing, error };
    Status status = Status::ok;
    SecurityDescriptor sd;  // owner and DACL, when ok
    std::string error;      // what and where, when not ok
};

// The refusal of one file or folder ("<label> <path>: <account> <why>; ..."),
// or why its security could not be read; nullopt when it was read and
// `untrusted_of` finds no one. `name` gives an account's name ("" unknown).
std::optional<std::string> refusal_of(
    const std::string& label, const std::string& path, const FileSecurityRead& read,
    const std::function<std::vector<UntrustedAccount>(const SecurityDescriptor&)>& untrusted_of,
    const std::function<std::string(const Sid&)>& name);

// A file opened once, and what that one handle says about it: the judge
// and the reader see the same file, so nothing can be swapped in between
// (a check by name and a second open for reading would give a link or a
// rename that moment).
struct OpenedFile {
    enum class Status { ok, missing, in_use, error };
    Status status = Status::ok;
    std::string error;           // what and where, when not ok
    FileSecurityRead folder;     // the folder, through a handle held meanwhile
    SecurityDescriptor sd;       // the file's owner and DACL, from its handle
    bool reparse_point = false;  // the file or its folder is a link
    std::string asked_path;      // the path asked for, made absolute
    std::string final_path;      // where the handle really is (no "\\?\")
    std::string bytes;           // read from the same handle, after the rest
};

// Port: reads a file's or folder's owner and DACL, names accounts.
class FileSecurityPort {
public:
    virtual ~FileSecurityPort() = default;
    virtual FileSecurityRead read(const std::string& path) = 0;
    // Opens `path` once, sharing only reading (a writer who holds it open
    // makes this in_use, and no one can write, rename or delete it while it
    // is read), without following a link at its end, and fills OpenedFile
    // from that handle. The default, for ports that only read descriptors,
    // opens nothing.
    virtual OpenedFile open_and_read(const std::string& path) {
        OpenedFile out;
        out.status = OpenedFile::Status::error;
        out.error = "this port cannot open " + path;
        return out;
    }
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

// The same judgment on a file opened once (OpenedFile): its folder and its
// own descriptor as above, and also refused when the handle is a link or
// its final path is not the path asked for (a link or junction anywhere on
// the way), or when another process holds it open for writing. A missing
// file is not refused here (the caller says it cannot be read).
std::optional<std::string> refuse_opened(FileRole role, const std::string& path,
                                         const OpenedFile& opened, FileSecurityPort& files);

// Whether Windows would name the same file by `a` and `b`: "\\?\" and
// "\\?\UNC\" prefixes dropped, '/' read as '\', ASCII letters compared
// without case. Non-ASCII letters must match exactly: a false "not the
// same" refuses, which is safe; a false "same" would not be.
bool same_file_path(const std::string& a, const std::string& b);

// A file judged and read through one handle: its bytes, or the refusal
// (event 4001), or why it cannot be read.
struct TrustedRead {
    std::optional<std::string> bytes;
    std::optional<std::string> refused;
    std::string error;  // when neither: "does not exist", the Win32 text
};
TrustedRead read_trusted(FileRole role, const std::string& path, FileSecurityPort& files);

}  // namespace permwatch
