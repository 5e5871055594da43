#include "service/file_security.hpp"

#include <windows.h>
// aclapi.h needs windows.h first
#include <aclapi.h>

#include <vector>

#include "service/opened_file.hpp"
#include "service/security_convert.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

FileSecurityRead Win32FileSecurity::read(const std::string& path) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    const std::wstring wide = widen(path);
    const DWORD rc = GetNamedSecurityInfoW(wide.c_str(), SE_FILE_OBJECT,
                                           OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                                           nullptr, nullptr, nullptr, nullptr, &sd);
    const UniqueLocal owned(sd);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) {
        return {FileSecurityRead::Status::missing, {}, path + " does not exist"};
    }
    if (rc != ERROR_SUCCESS) {
        return {
            FileSecurityRead::Status::error, {}, describe("reading the security of " + path, rc)};
    }
    FileSecurityRead out;
    try {
        out.sd = from_descriptor(sd);
    } catch (const Win32Error& e) {
        out = {FileSecurityRead::Status::error, {}, path + ": " + e.what()};
    }
    return out;
}

OpenedFile Win32FileSecurity::open_and_read(const std::string& path) {
    return open_and_read_file(path);
}

std::string Win32FileSecurity::account_name(const Sid& sid) {
    std::vector<unsigned char> binary = to_binary_sid(sid);
    wchar_t name[256];
    wchar_t domain[256];
    DWORD name_size = 256;
    DWORD domain_size = 256;
    SID_NAME_USE use = SidTypeUnknown;
    if (!LookupAccountSidW(nullptr, binary.data(), name, &name_size, domain, &domain_size, &use))
        return {};
    return domain_size ? narrow(domain) + "\\" + narrow(name) : narrow(name);
}

std::optional<Sid> Win32FileSecurity::self() {
    HANDLE raw = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &raw)) return std::nullopt;
    const UniqueKernelHandle token(raw);
    std::vector<unsigned char> buf(256);
    DWORD size = 0;
    BOOL ok = GetTokenInformation(token.get(), TokenUser, buf.data(),
                                  static_cast<DWORD>(buf.size()), &size);
    if (!ok && GetLastError() == ERROR_INSUFFICIENT_BUFFER) {
        buf.resize(size);
        ok = GetTokenInformation(token.get(), TokenUser, buf.data(), size, &size);
    }
    if (!ok) return std::nullopt;
    return from_psid(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid);
}

}  // namespace permwatch::win
