#include "service/data_folder.hpp"

#include <windows.h>
// aclapi.h needs windows.h first
#include <aclapi.h>

#include <vector>

#include "core/ascii.hpp"
#include "core/data_folder.hpp"
#include "core/file_trust.hpp"
#include "core/trusted_files.hpp"
#include "service/security_convert.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

constexpr AccessMask kFileGenericRead = 0x00120089;  // FILE_GENERIC_READ

Acl folder_dacl(const std::optional<Sid>& writer) {
    constexpr std::uint8_t oici = ace_flags::object_inherit | ace_flags::container_inherit;
    const Sid administrators(5, {32, 544});
    Acl acl;
    acl.is_protected = true;  // nothing inherited from ProgramData
    acl.aces = {{AceType::allow, oici, file_rights::all_access, local_system_sid()},
                {AceType::allow, oici, file_rights::all_access, administrators}};
    if (writer && *writer != local_system_sid() && *writer != administrators)
        acl.aces.push_back({AceType::allow, oici, file_rights::all_access, *writer});
    acl.aces.push_back({AceType::allow, oici, kFileGenericRead, Sid(5, {32, 545})});
    return acl;
}

}  // namespace

std::string data_folder() { return data_folder_path(); }

void ensure_data_folder_for(const std::string& journal, const std::optional<Sid>& writer) {
    const std::string folder = folder_of(journal);
    if (!iequals(folder, data_folder()) ||
        GetFileAttributesW(widen(folder).c_str()) != INVALID_FILE_ATTRIBUTES)
        return;
    secure_data_folder(folder, writer);
}

void secure_data_folder(const std::string& folder, const std::optional<Sid>& writer) {
    std::vector<unsigned char> dacl = to_binary_acl(folder_dacl(writer));
    std::vector<unsigned char> owner = to_binary_sid(Sid(5, {32, 544}));
    SECURITY_DESCRIPTOR sd;
    if (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorOwner(&sd, owner.data(), FALSE) ||
        !SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<PACL>(dacl.data()), FALSE) ||
        !SetSecurityDescriptorControl(&sd, SE_DACL_PROTECTED, SE_DACL_PROTECTED)) {
        throw Win32Error("building the data folder's descriptor for " + folder, GetLastError());
    }
    const std::wstring wide = widen(folder);
    // Created with its final descriptor: no moment with ProgramData's
    // inherited "Users may add files".
    SECURITY_ATTRIBUTES sa{sizeof sa, &sd, FALSE};
    if (CreateDirectoryW(wide.c_str(), &sa)) return;
    if (GetLastError() != ERROR_ALREADY_EXISTS)
        throw Win32Error("creating the data folder " + folder, GetLastError());
    // It was there already (made by someone, perhaps not us): take it over.
    const DWORD rc =
        SetNamedSecurityInfoW(const_cast<wchar_t*>(wide.c_str()), SE_FILE_OBJECT,
                              OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                                  PROTECTED_DACL_SECURITY_INFORMATION,
                              owner.data(), nullptr, reinterpret_cast<PACL>(dacl.data()), nullptr);
    if (rc != ERROR_SUCCESS)
        throw Win32Error("setting the owner and DACL of the data folder " + folder, rc);
}

}  // namespace permwatch::win
