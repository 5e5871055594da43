// Refuses to register, as a LocalSystem service, an executable that someone
// other than SYSTEM, Administrators, TrustedInstaller and the administrator
// running `install` could replace: the file, the folder it is in, and every
// folder above it up to the root, each judged by where it sits
// (core/policy/file_trust.hpp, ExecutablePart). The descriptors come from the
// caller (service/service_install.cpp reads them with GetNamedSecurityInfo);
// tests give them as Windows reports them.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/policy/trusted_files.hpp"

namespace permwatch {

struct ExecutableFacts {
    // Owner and DACL of a file or folder.
    std::function<FileSecurityRead(const std::string& path)> read;
    // "BUILTIN\Users"; empty when the SID has no name.
    std::function<std::string(const Sid&)> account_name;
    // The account running `install`.
    std::optional<Sid> installer;
};

// nullopt when only trusted accounts can change `exe` and its folders; else
// the one line that says which path, which account, and what to do:
//   "refusing to register C:\Users\eve\permwatch.exe as the PermWatch
//    service: its folder C:\Users\eve: HOST\eve (S-1-5-21-…) owns it; …"
// A descriptor that cannot be read, or a part that does not exist, is refused.
std::optional<std::string> refuse_replaceable_executable(const std::string& exe,
                                                         const ExecutableFacts& facts);

}  // namespace permwatch
