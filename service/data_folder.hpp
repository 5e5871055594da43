// PermWatch's data folder, %ProgramData%\PermWatch (config, journal, log),
// made safe: owned by Administrators, with a protected DACL (SYSTEM and
// Administrators full control, Users read), so no inherited "Users may add
// files" from ProgramData lets a user plant a config or journal there.
// `install` and the service at start call it (the MSI cannot: wixl writes no
// LockPermissions table; the MSI starts the service, which does it).
#pragma once

#include <optional>
#include <string>

#include "core/security/sid.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

// %ProgramData%\PermWatch, from the known folder (core/cli/cli.hpp).
std::string data_folder();

// A data folder that exists and that PermWatch will not take over
// (core/policy/data_folder.hpp says when): the service raises event 4001 and does
// not start, the commands exit 2.
class DataFolderRefused : public Win32Error {
public:
    using Win32Error::Win32Error;
};

// Creates `folder` (its parent must exist) with the safe owner and DACL.
// When it exists: opens it without following a link, refuses it
// (DataFolderRefused) when it is a link or not owned by a trusted account,
// and else puts the safe DACL on that very handle (SetSecurityInfo), never
// by name; existing files below get the new inherited ACEs (their explicit
// ones and owners stay, and are judged on every load). `writer` gets full
// control too: the service's account when it is not LocalSystem. Throws
// Win32Error.
void secure_data_folder(const std::string& folder, const std::optional<Sid>& writer);

// For the one-shot commands and the console: when `journal` is in the data
// folder and the folder is missing, creates it safe (before FileJournal would
// create it with ProgramData's inherited DACL). Throws Win32Error.
void ensure_data_folder_for(const std::string& journal, const std::optional<Sid>& writer);

}  // namespace permwatch::win
