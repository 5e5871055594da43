#include "service/registry_adapter.hpp"

#include <aclapi.h>

#include <vector>

#include "service/key_handle.hpp"
#include "service/security_convert.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

KeyRead Win32Registry::read(const std::string& path) {
    KeyHandle key;
    LONG rc = open_key(path, READ_CONTROL, key);
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) {
        return {KeyRead::Status::missing, {}, "the key " + path + " does not exist"};
    }
    if (rc != ERROR_SUCCESS) {
        return {
            KeyRead::Status::error,
            {},
            describe("opening " + path + " to read its security", static_cast<unsigned long>(rc))};
    }
    const SECURITY_INFORMATION what =
        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    DWORD size = 0;
    rc = RegGetKeySecurity(key.get(), what, nullptr, &size);
    std::vector<unsigned char> buf;
    // The descriptor can grow between the two calls: ask again until it fits.
    while (rc == ERROR_INSUFFICIENT_BUFFER) {
        buf.resize(size);
        rc = RegGetKeySecurity(key.get(), what, buf.data(), &size);
    }
    if (rc == ERROR_KEY_DELETED)
        return {KeyRead::Status::missing, {}, "the key " + path + " was deleted"};
    if (rc != ERROR_SUCCESS) {
        return {KeyRead::Status::error,
                {},
                describe("reading the security of " + path, static_cast<unsigned long>(rc))};
    }
    try {
        return {KeyRead::Status::ok, from_descriptor(buf.data()), {}};
    } catch (const Win32Error& e) {
        return {KeyRead::Status::error, {}, path + ": " + e.what()};
    }
}

KeyWrite Win32Registry::write_dacl(const std::string& path, const Acl& dacl) {
    KeyHandle key;
    LONG rc = open_key(path, WRITE_DAC, key);
    if (rc != ERROR_SUCCESS) {
        return {false, static_cast<unsigned long>(rc),
                describe("opening " + path + " to write its DACL", static_cast<unsigned long>(rc))};
    }
    try {
        std::vector<unsigned char> acl = to_binary_acl(dacl);
        // P is carried by the PROTECTED/UNPROTECTED flag, not by the ACL.
        const SECURITY_INFORMATION what =
            DACL_SECURITY_INFORMATION | (dacl.is_protected ? PROTECTED_DACL_SECURITY_INFORMATION
                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        const DWORD err = SetSecurityInfo(key.get(), SE_REGISTRY_KEY, what, nullptr, nullptr,
                                          reinterpret_cast<PACL>(acl.data()), nullptr);
        if (err != ERROR_SUCCESS) {
            return {false, err, describe("writing the DACL of " + path, err)};
        }
    } catch (const Win32Error& e) {
        return {false, e.code(), path + ": " + e.what()};
    }
    return {};
}

}  // namespace permwatch::win
