#include "service/key_handle.hpp"

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

LONG open_key(const std::string& path, REGSAM access, KeyHandle& out) {
    KeyPath kp;
    if (!split_key_path(path, kp)) return ERROR_INVALID_PARAMETER;
    return open_key(kp.subkey, access, out);
}

LONG open_key(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out) {
    HKEY key = nullptr;
    const LONG rc =
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, hklm_subkey.c_str(), 0, access | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_SUCCESS) out = KeyHandle(key);
    return rc;
}

}  // namespace permwatch::win
