#include "service/key_security.hpp"

#include "service/security_convert.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

LONG get_key_security(HKEY key, SECURITY_INFORMATION what, std::vector<unsigned char>& buf) {
    // One call for the usual descriptor (a registry key's is a few hundred
    // bytes), more only when it is larger; it can grow between calls, so ask
    // again until it fits.
    buf.resize(1024);
    DWORD size = static_cast<DWORD>(buf.size());
    LONG rc = RegGetKeySecurity(key, what, buf.data(), &size);
    while (rc == ERROR_INSUFFICIENT_BUFFER) {
        buf.resize(size);
        rc = RegGetKeySecurity(key, what, buf.data(), &size);
    }
    return rc;
}

bool read_key_security(HKEY key, SecurityDescriptor& out) {
    std::vector<unsigned char> buf;
    if (get_key_security(
            key,
            OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            buf) != ERROR_SUCCESS)
        return false;
    try {
        out = from_descriptor(buf.data());
    } catch (const Win32Error&) {
        return false;
    }
    return true;
}

DWORD set_key_dacl(HKEY key, const Acl& dacl) {
    std::vector<unsigned char> acl = to_binary_acl(dacl);
    const SECURITY_DESCRIPTOR_CONTROL control =
        (dacl.is_protected ? SE_DACL_PROTECTED : 0) |
        (dacl.auto_inherited ? SE_DACL_AUTO_INHERITED : 0) |
        (dacl.auto_inherit_required ? SE_DACL_AUTO_INHERIT_REQ : 0);
    constexpr SECURITY_DESCRIPTOR_CONTROL bits =
        SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_DACL_AUTO_INHERIT_REQ;
    SECURITY_DESCRIPTOR sd;
    // A null DACL (NO_ACCESS_CONTROL, a rollback may restore one) is written
    // as NULL: the empty ACL built for it would lock the key.
    if (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorDacl(
            &sd, TRUE, dacl.is_null ? nullptr : reinterpret_cast<PACL>(acl.data()), FALSE) ||
        !SetSecurityDescriptorControl(&sd, bits, control)) {
        return GetLastError();
    }
    return static_cast<DWORD>(RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, &sd));
}

}  // namespace permwatch::win
