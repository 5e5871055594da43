// Who may change a file or folder, judged from its owner and DACL: the
// decision behind "PermWatch refuses a config or journal that someone else
// can change" (docs/reference.md "Who may change the config and the journal"). Pure; service/ reads
// the descriptors (GetNamedSecurityInfo) and core/policy/trusted_files.hpp applies this to a path
// and its folder.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/security/security_descriptor.hpp"

namespace permwatch {

// File and folder access bits, as Windows numbers them (winnt.h).
namespace file_rights {
inline constexpr AccessMask write_data = 0x0002;    // FILE_WRITE_DATA, on a folder FILE_ADD_FILE
inline constexpr AccessMask append_data = 0x0004;   // FILE_APPEND_DATA, FILE_ADD_SUBDIRECTORY
inline constexpr AccessMask delete_child = 0x0040;  // FILE_DELETE_CHILD (folders)
inline constexpr AccessMask generic_write = 0x00120116;  // FILE_GENERIC_WRITE
inline constexpr AccessMask all_access = 0x001F01FF;     // FILE_ALL_ACCESS
}  // namespace file_rights

enum class FileKind { file, folder };

// An account that may change the object although it is not trusted.
struct UntrustedAccount {
    std::optional<Sid> account;  // nullopt: the descriptor names no owner
    std::string why;             // "owns it", "may write, delete", "no DACL: everyone ..."
    friend bool operator==(const UntrustedAccount&, const UntrustedAccount&) = default;
};

// NT SERVICE\PermWatch: S-1-5-80- and the SHA-1 of "PERMWATCH" in UTF-16LE,
// as Windows derives every service SID (TrustedInstaller's is derived alike).
Sid permwatch_service_sid();
Sid trusted_installer_sid();

// SYSTEM, Administrators, TrustedInstaller, NT SERVICE\PermWatch, and `self`:
// the account the checking process runs as (LocalSystem for the service, or
// the account given to `install --account`). A file only that account can
// change can only be changed by code that already runs with its power.
std::vector<Sid> trusted_file_accounts(const std::optional<Sid>& self);

// Everyone other than `trusted` who owns the object or may write, append,
// delete, change its DACL or take ownership of it; for a folder also add or
// delete files in it, and what its object-inheritable ACEs give on the files
// created in it. Empty: only trusted accounts can change it.
//
// How the DACL is read, as Windows' access check does: a missing or null DACL
// lets everyone do everything; inherit-only ACEs do not apply to the object
// (but OI ones on a folder apply to its new files); generic rights count as
// the file rights they map to; an allow ACE's rights are reduced by the deny
// ACEs before it for the same SID or for Everyone (a deny for a group does not
// help: who is in it is not known here); CREATOR OWNER and CREATOR GROUP ACEs
// match no one on the object itself, and OWNER RIGHTS gives only to the owner,
// which is judged on its own.
std::vector<UntrustedAccount> untrusted_accounts(const SecurityDescriptor& sd, FileKind kind,
                                                 const std::vector<Sid>& trusted);

// --- The executable `install` registers -----------------------------------
//
// The SCM runs it as LocalSystem: whoever can replace it, or plant a DLL
// beside it, or rename a folder on its path and put another in its place,
// runs code as SYSTEM. Where a descriptor sits on that path decides which
// rights count:
//   - file: write, append, delete, change its DACL, take ownership;
//   - own_folder (the folder it is in): add files (a DLL beside the exe is
//     loaded before System32's), add subfolders, delete files in it, and the
//     same on the folder itself;
//   - upper_folder (every folder above, up to the root): delete files in it,
//     delete, change its DACL, take ownership. Not "add files" or "add
//     subfolders": a name already on the path cannot be replaced by adding
//     one, and Windows gives Authenticated Users "create folders" on C:\,
//     so counting it would refuse every path.
// Inherit-only ACEs count for none of them (they give rights on objects
// made later, which are not on the path). And for each, an owner other than
// a trusted account.
enum class ExecutablePart { file, own_folder, upper_folder };

// SYSTEM, Administrators, TrustedInstaller, and `installer`: the account
// running `install` (an administrator: `install` needs one). Not NT
// SERVICE\PermWatch nor `install --account`'s account.
std::vector<Sid> trusted_executable_accounts(const std::optional<Sid>& installer);

std::vector<UntrustedAccount> untrusted_executable_accounts(const SecurityDescriptor& sd,
                                                            ExecutablePart part,
                                                            const std::vector<Sid>& trusted);

}  // namespace permwatch
