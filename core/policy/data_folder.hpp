// PermWatch's data folder, %ProgramData%\PermWatch (config, journal, log):
// the one folder PermWatch itself creates, safe (service/data_folder.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/security/sid.hpp"

namespace permwatch {

// What the open handle of a data folder that already exists says, as
// service/data_folder.cpp reads it (FILE_FLAG_OPEN_REPARSE_POINT, so a
// junction is seen as itself, never as its target).
struct ExistingFolder {
    bool is_directory = true;
    bool reparse_point = false;
    std::optional<Sid> owner;  // nullopt: none, or it could not be read
};

// nullopt when PermWatch may put its DACL on the folder (through the handle
// it judged); else the line that says why not. Refused: a reparse point (a
// junction there would make SYSTEM re-ACL its target), a file, and a folder
// owned by anyone but `trusted_owners` (SYSTEM, Administrators,
// TrustedInstaller, PermWatch's own account): someone else made it first
// and may hold files in it open across any reset, so PermWatch does not
// adopt it; an administrator looks at it and deletes it.
std::optional<std::string> refuse_existing_data_folder(const std::string& folder,
                                                       const ExistingFolder& facts,
                                                       const std::vector<Sid>& trusted_owners);

// %ProgramData%\PermWatch, expanded (core/policy/paths.hpp expand_environment).
std::string data_folder_path();

}  // namespace permwatch
