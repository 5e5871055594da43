#include "service/data_folder.hpp"

#include <windows.h>
// aclapi.h needs windows.h first
#include <aclapi.h>

#include <vector>

#include "core/common/ascii.hpp"
#include "core/policy/data_folder.hpp"
#include "core/policy/file_trust.hpp"
#include "core/policy/trusted_files.hpp"
#include "service/file_security.hpp"
#include "service/security_convert.hpp"
#include "service/unique_handle.hpp"
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
    // It was there already, made by someone, perhaps not us. Judged and
    // written through one handle that does not follow a link: a junction
    // here must never make SYSTEM re-ACL whatever it points to.
    const UniqueKernelHandle handle(
        CreateFileW(wide.c_str(), READ_CONTROL | WRITE_DAC | FILE_READ_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                    FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
    if (!handle) throw Win32Error("opening the data folder " + folder, GetLastError());
    ExistingFolder facts;
    BY_HANDLE_FILE_INFORMATION info{};
    if (!GetFileInformationByHandle(handle.get(), &info))
        throw Win32Error("reading the attributes of the data folder " + folder, GetLastError());
    facts.is_directory = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
    facts.reparse_point = (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
    PSID owner_sid = nullptr;
    PSECURITY_DESCRIPTOR current = nullptr;
    const DWORD read = GetSecurityInfo(handle.get(), SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION,
                                       &owner_sid, nullptr, nullptr, nullptr, &current);
    const UniqueLocal owned(current);
    if (read == ERROR_SUCCESS && owner_sid) facts.owner = from_psid(owner_sid);
    const std::optional<Sid> self = Win32FileSecurity().self();
    std::vector<Sid> trusted = trusted_file_accounts(self);
    if (writer) trusted.push_back(*writer);
    if (auto refused = refuse_existing_data_folder(folder, facts, trusted)) {
        throw DataFolderRefused(*refused, facts.reparse_point || !facts.is_directory
                                              ? ERROR_DIRECTORY
                                              : ERROR_INVALID_OWNER);
    }
    const DWORD rc =
        SetSecurityInfo(handle.get(), SE_FILE_OBJECT,
                        DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                        nullptr, reinterpret_cast<PACL>(dacl.data()), nullptr);
    if (rc != ERROR_SUCCESS) throw Win32Error("setting the DACL of the data folder " + folder, rc);
}

}  // namespace permwatch::win
