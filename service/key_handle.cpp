#include "service/key_handle.hpp"

#include <algorithm>

#include "core/config.hpp"
#include "core/key_path.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

bool split_key_path(const std::string& path, KeyPath& out) {
    const auto normalized = normalize_key_path(path);  // "HKLM\\rest"
    if (!normalized) return false;
    out.root = HKEY_LOCAL_MACHINE;
    out.subkey = widen(normalized->substr(5));
    return true;
}

LONG check_held_key(HKEY key, std::wstring* link_target_out) {
    wchar_t target[1024] = {};
    DWORD size = sizeof target - sizeof(wchar_t);
    DWORD type = REG_NONE;
    const LONG rc = RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &type,
                                     reinterpret_cast<BYTE*>(target), &size);
    // No such value: an ordinary key, the usual answer.
    if (rc == ERROR_FILE_NOT_FOUND) return ERROR_SUCCESS;
    if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) return rc;
    if (type != REG_LINK) return ERROR_SUCCESS;
    if (link_target_out) {
        *link_target_out =
            rc == ERROR_MORE_DATA
                ? std::wstring(L"(a target too long to show)")
                : std::wstring(target, std::min<std::size_t>(size / sizeof(wchar_t), 1023));
    }
    return kErrorKeyIsLink;
}

std::optional<std::wstring> link_target(HKEY key) {
    std::wstring target;
    if (check_held_key(key, &target) != kErrorKeyIsLink) return std::nullopt;
    return target;
}

LONG open_key(const std::string& path, REGSAM access, KeyHandle& out, std::wstring* link_target_out,
              bool* checkable) {
    KeyPath kp;
    if (!split_key_path(path, kp)) return ERROR_INVALID_PARAMETER;
    // KEY_QUERY_VALUE to read SymbolicLinkValue and tell a link apart; where
    // that right is denied, the key is still opened without following, only
    // not recognised.
    KeyHandle key;
    LONG rc = open_key(kp.subkey, access | KEY_QUERY_VALUE, key);
    if (checkable) *checkable = rc == ERROR_SUCCESS;
    if (rc == ERROR_ACCESS_DENIED) {
        rc = open_key(kp.subkey, access, key);
    } else if (rc == ERROR_SUCCESS) {
        if (auto target = link_target(key.get())) {
            if (link_target_out) *link_target_out = *target;
            return kErrorKeyIsLink;
        }
    }
    if (rc == ERROR_SUCCESS) out = std::move(key);
    return rc;
}

LONG open_key(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out) {
    // REG_OPTION_OPEN_LINK: a key that is a registry symbolic link is opened
    // as the link itself, never followed to its target (which could be any
    // key, chosen by whoever made the link).
    HKEY key = nullptr;
    const LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, hklm_subkey.c_str(), REG_OPTION_OPEN_LINK,
                                  access | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_SUCCESS) out = KeyHandle(key);
    return rc;
}

}  // namespace permwatch::win
