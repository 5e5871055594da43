#include "service/registry_adapter.hpp"

#include <aclapi.h>

#include <vector>

#include "service/security_convert.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// One call for the usual descriptor (a registry key's is a few hundred
// bytes), more only when it is larger; it can grow between calls, so ask
// again until it fits.
LONG get_key_security(HKEY key, SECURITY_INFORMATION what, std::vector<unsigned char>& buf) {
    buf.resize(1024);
    DWORD size = static_cast<DWORD>(buf.size());
    LONG rc = RegGetKeySecurity(key, what, buf.data(), &size);
    while (rc == ERROR_INSUFFICIENT_BUFFER) {
        buf.resize(size);
        rc = RegGetKeySecurity(key, what, buf.data(), &size);
    }
    return rc;
}

SECURITY_DESCRIPTOR_CONTROL wanted_control(const Acl& dacl) {
    return (dacl.is_protected ? SE_DACL_PROTECTED : 0) |
           (dacl.auto_inherited ? SE_DACL_AUTO_INHERITED : 0) |
           (dacl.auto_inherit_required ? SE_DACL_AUTO_INHERIT_REQ : 0);
}

KeyWrite ensure_dacl_control(HKEY key, const Acl& dacl, std::vector<unsigned char>& acl) {
    constexpr SECURITY_DESCRIPTOR_CONTROL bits =
        SE_DACL_PROTECTED | SE_DACL_AUTO_INHERITED | SE_DACL_AUTO_INHERIT_REQ;
    const SECURITY_DESCRIPTOR_CONTROL wanted = wanted_control(dacl);
    if (wanted == 0) return {};
    std::vector<unsigned char> now;
    LONG rc = get_key_security(key, DACL_SECURITY_INFORMATION, now);
    if (rc != ERROR_SUCCESS)
        return {false, static_cast<unsigned long>(rc), error_text(static_cast<unsigned long>(rc))};
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    GetSecurityDescriptorControl(now.data(), &control, &revision);
    // Only flags that were asked for and did not land are put back; a flag
    // Windows added itself (AI after merging inheritance) is left alone.
    if ((control & wanted) == wanted) return {};
    SECURITY_DESCRIPTOR sd;
    if (!InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION) ||
        !SetSecurityDescriptorDacl(
            &sd, TRUE, dacl.is_null ? nullptr : reinterpret_cast<PACL>(acl.data()), FALSE) ||
        !SetSecurityDescriptorControl(
            &sd, bits, static_cast<SECURITY_DESCRIPTOR_CONTROL>((control & bits) | wanted))) {
        const DWORD err = GetLastError();
        return {false, err, error_text(err)};
    }
    rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, &sd);
    if (rc != ERROR_SUCCESS)
        return {false, static_cast<unsigned long>(rc), error_text(static_cast<unsigned long>(rc))};
    return {};
}

}  // namespace

namespace {

KeyRead read_through(HKEY key, const std::string& path) {
    const SECURITY_INFORMATION what =
        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    std::vector<unsigned char> buf;
    const LONG rc = get_key_security(key, what, buf);
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

KeyRead open_failed(const std::string& path, LONG rc, const std::string& why,
                    const std::wstring& link_target = {}) {
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) {
        return {KeyRead::Status::missing, {}, "the key " + path + " does not exist"};
    }
    if (rc == kErrorKeyIsLink) {
        return {KeyRead::Status::error,
                {},
                "the key " + path + " is a registry symbolic link to " + narrow(link_target) +
                    "; PermWatch does not follow links (remove the link, or watch its target)"};
    }
    return {KeyRead::Status::error,
            {},
            describe("opening " + path + why, static_cast<unsigned long>(rc))};
}

KeyWrite write_through(HKEY key, const std::string& path, const Acl& dacl) {
    try {
        std::vector<unsigned char> acl = to_binary_acl(dacl);
        // SetSecurityInfo, not RegSetKeySecurity: on Windows it also propagates
        // inheritable ACEs to existing subkeys, which a checkpoint restore of
        // the whole subtree needs. P is carried by the PROTECTED flag.
        const SECURITY_INFORMATION what =
            DACL_SECURITY_INFORMATION | (dacl.is_protected ? PROTECTED_DACL_SECURITY_INFORMATION
                                                           : UNPROTECTED_DACL_SECURITY_INFORMATION);
        // A null DACL (NO_ACCESS_CONTROL, a rollback may restore one) is
        // written as NULL: the empty ACL built for it would lock the key.
        const DWORD err =
            SetSecurityInfo(key, SE_REGISTRY_KEY, what, nullptr, nullptr,
                            dacl.is_null ? nullptr : reinterpret_cast<PACL>(acl.data()), nullptr);
        if (err != ERROR_SUCCESS) {
            return {false, err, describe("writing the DACL of " + path, err)};
        }
        // Wine's SetSecurityInfo drops the DACL control flags (P, AI, AR;
        // docs/testing.md (b)). Where they did not land, write them with the
        // DACL through RegSetKeySecurity, which keeps the control bits.
        if (auto fixed = ensure_dacl_control(key, dacl, acl); !fixed.ok) {
            fixed.error = "writing the DACL flags of " + path + ": " + fixed.error;
            return fixed;
        }
    } catch (const Win32Error& e) {
        return {false, e.code(), path + ": " + e.what()};
    }
    return {};
}

}  // namespace

LONG Win32Registry::acquire(const std::string& path, REGSAM access, KeyHandle& opened, HKEY& key,
                            std::wstring& link_target) {
    const auto held = keys_ == Keys::kept_open ? held_.find(path) : held_.end();
    if (held != held_.end() && (held->second.access & access) == access) {
        const LONG rc = check_held_key(held->second.key.get(), &link_target);
        if (rc == ERROR_SUCCESS) {
            key = held->second.key.get();
            return rc;
        }
        // Deleted (or not what it was): whatever is at the path now is
        // another key, opened and checked as a new one.
        held_.erase(held);
    }
    bool checkable = false;
    const LONG rc = open_key(path, access, opened, &link_target, &checkable);
    if (rc != ERROR_SUCCESS) return rc;
    key = opened.get();
    if (keys_ == Keys::kept_open && checkable && holdable_.count(path)) {
        // Replaces a held key with less access (a read's, before a repair).
        held_[path] = Held{std::move(opened), access};
    }
    return rc;
}

void Win32Registry::forget(const std::string& path) { held_.erase(path); }

void Win32Registry::forget_all() { held_.clear(); }

void Win32Registry::hold_only(const std::vector<std::string>& paths) {
    holdable_ = std::unordered_set<std::string>(paths.begin(), paths.end());
    for (auto it = held_.begin(); it != held_.end();) {
        it = holdable_.count(it->first) ? std::next(it) : held_.erase(it);
    }
}

KeyRead Win32Registry::read(const std::string& path) {
    KeyHandle opened;
    HKEY key = nullptr;
    std::wstring target;
    const LONG rc = acquire(path, READ_CONTROL, opened, key, target);
    if (rc != ERROR_SUCCESS) return open_failed(path, rc, " to read its security", target);
    return read_through(key, path);
}

KeyWrite Win32Registry::write_dacl(const std::string& path, const Acl& dacl) {
    KeyHandle opened;
    HKEY key = nullptr;
    std::wstring target;
    const LONG rc = acquire(path, WRITE_DAC | READ_CONTROL, opened, key, target);
    if (rc == kErrorKeyIsLink) {
        const KeyRead failed = open_failed(path, rc, " to write its DACL", target);
        return {false, static_cast<unsigned long>(rc), failed.error};
    }
    if (rc != ERROR_SUCCESS) {
        return {false, static_cast<unsigned long>(rc),
                describe("opening " + path + " to write its DACL", static_cast<unsigned long>(rc))};
    }
    return write_through(key, path, dacl);
}

KeyUpdate Win32Registry::update_dacl(const std::string& path, const DaclDecision& decide) {
    KeyUpdate u;
    KeyHandle opened;
    HKEY key = nullptr;
    std::wstring target;
    const LONG rc = acquire(path, WRITE_DAC | READ_CONTROL, opened, key, target);
    if (rc != ERROR_SUCCESS) {
        u.before = open_failed(path, rc, " to write its DACL", target);
        u.write = {false, static_cast<unsigned long>(rc), u.before.error};
        return u;
    }
    u.before = read_through(key, path);
    if (u.before.status != KeyRead::Status::ok) return u;
    const std::optional<Acl> dacl = decide(u.before.sd);
    if (!dacl) return u;
    u.write = write_through(key, path, *dacl);
    if (!u.write.ok) return u;
    u.written = true;
    u.after = read_through(key, path);
    return u;
}

}  // namespace permwatch::win
