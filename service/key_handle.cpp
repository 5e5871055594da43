#include "service/key_handle.hpp"

#include <algorithm>
#include <cstring>

#include "core/policy/config.hpp"
#include "core/policy/registry_links.hpp"
#include "core/security/key_path.hpp"
#include "service/key_security.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

bool split_key_path(const std::string& path, KeyPath& out) {
    const auto normalized = normalize_key_path(path);  // "HKLM\\rest"
    if (!normalized) return false;
    out.root = HKEY_LOCAL_MACHINE;
    out.subkey = widen(normalized->substr(5));
    return true;
}

std::optional<std::wstring> link_target(HKEY key) {
    wchar_t target[1024] = {};
    DWORD size = sizeof target - sizeof(wchar_t);
    DWORD type = REG_NONE;
    const LONG rc = RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &type,
                                     reinterpret_cast<BYTE*>(target), &size);
    // No such value: an ordinary key, the usual answer.
    if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) return std::nullopt;
    if (type != REG_LINK) return std::nullopt;
    return rc == ERROR_MORE_DATA
               ? std::wstring(L"(a target too long to show)")
               : std::wstring(target, std::min<std::size_t>(size / sizeof(wchar_t), 1023));
}

LONG check_held_key(HKEY key, DWORD* subkeys) {
    return RegQueryInfoKeyW(key, nullptr, nullptr, nullptr, subkeys, nullptr, nullptr, nullptr,
                            nullptr, nullptr, nullptr, nullptr);
}

LONG open_key(const std::string& path, REGSAM access, KeyHandle& out, LinkFound* link,
              bool* checkable) {
    KeyPath kp;
    if (!split_key_path(path, kp)) return ERROR_INVALID_PARAMETER;
    // KEY_QUERY_VALUE to read SymbolicLinkValue and tell a link apart; where
    // that right is denied, the key is still opened without following, only
    // not recognised.
    KeyHandle key;
    // Denied whole: the open without that right below walks if it must (a
    // key that denies KEY_QUERY_VALUE, a sabotaged one, costs no walk twice).
    LONG rc = open_key(kp.subkey, access | KEY_QUERY_VALUE, key, link, /*walk_when_denied=*/false);
    if (checkable) *checkable = rc == ERROR_SUCCESS;
    if (rc == ERROR_ACCESS_DENIED) {
        rc = open_key(kp.subkey, access, key, link);
    } else if (rc == ERROR_SUCCESS) {
        if (auto target = link_target(key.get())) {
            if (link) *link = {kp.subkey, *target, {}};
            return kErrorKeyIsLink;
        }
    }
    if (rc == ERROR_SUCCESS) out = std::move(key);
    return rc;
}

namespace {

// A link met on the way (`name` below `parent`, at `at`): followed when it is
// Windows' own CurrentControlSet, into `out`; else kErrorKeyIsLink.
LONG follow_link(HKEY parent, const std::wstring& name, const std::wstring& at,
                 const std::wstring& target, KeyHandle& out, LinkFound* link) {
    const auto refused = [&](std::string why) {
        if (link) *link = {at, target, std::move(why)};
        return kErrorKeyIsLink;
    };
    HKEY raw = nullptr;
    LONG rc = RegOpenKeyExW(parent, name.c_str(), REG_OPTION_OPEN_LINK,
                            READ_CONTROL | KEY_WOW64_64KEY, &raw);
    if (rc != ERROR_SUCCESS)
        return refused(describe("reading who may change it", static_cast<unsigned long>(rc)));
    const KeyHandle link_key(raw);
    SecurityDescriptor sd;
    if (!read_key_security(link_key.get(), sd))
        return refused("its owner and DACL could not be read");
    // A target that is not valid UTF-16 reads with '?' in it, which never names
    // Windows' own ControlSetNNN: refused, never an exception mid-open.
    if (auto why = refuse_link(narrow_for_message(at), narrow_for_message(target), sd))
        return refused(std::move(*why));
    // Followed by the kernel, by name: only SYSTEM and Administrators can
    // change where it points (just checked).
    rc = RegOpenKeyExW(parent, name.c_str(), 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &raw);
    if (rc != ERROR_SUCCESS) return rc;
    out = KeyHandle(raw);
    if (auto again = link_target(out.get())) return refused("it points to another link");
    return ERROR_SUCCESS;
}

// The name the kernel gives the key `key` stands for (\REGISTRY\MACHINE\...),
// from NtQueryKey(KeyNameInformation); nullopt when it cannot say.
std::optional<std::wstring> kernel_name(HKEY key) {
    using NtQueryKeyFn = LONG(WINAPI*)(HANDLE, int, void*, ULONG, ULONG*);
    static const auto query = reinterpret_cast<NtQueryKeyFn>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryKey")));
    if (!query) return std::nullopt;
    constexpr int kKeyNameInformation = 3;
    // KEY_NAME_INFORMATION: a ULONG length in bytes, then the name.
    alignas(ULONG) unsigned char buf[2048];
    ULONG size = 0;
    if (query(key, kKeyNameInformation, buf, sizeof buf, &size) != 0) return std::nullopt;
    ULONG length = 0;
    std::memcpy(&length, buf, sizeof length);
    if (length > sizeof buf - sizeof(ULONG)) return std::nullopt;
    std::wstring name(length / sizeof(wchar_t), L'\0');
    std::memcpy(name.data(), buf + sizeof(ULONG), name.size() * sizeof(wchar_t));
    return name;
}

// The whole path opened in one call, kept only when the kernel names the key
// it reached exactly as asked: a link followed anywhere on the way gives the
// target's name instead (and then the walk below decides). One call and a
// name query, where the walk costs two calls per level.
// `opened`: what RegOpenKeyExW answered.
bool open_whole_if_unlinked(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out,
                            LONG& opened) {
    HKEY raw = nullptr;
    opened = RegOpenKeyExW(HKEY_LOCAL_MACHINE, hklm_subkey.c_str(), REG_OPTION_OPEN_LINK,
                           access | KEY_WOW64_64KEY, &raw);
    if (opened != ERROR_SUCCESS) return false;
    KeyHandle key(raw);
    const std::optional<std::wstring> name = kernel_name(key.get());
    const std::wstring asked = L"\\REGISTRY\\MACHINE\\" + hklm_subkey;
    if (!name || CompareStringOrdinal(name->data(), static_cast<int>(name->size()), asked.data(),
                                      static_cast<int>(asked.size()), TRUE) != CSTR_EQUAL)
        return false;
    out = std::move(key);
    return true;
}

}  // namespace

// Without `walk_when_denied`, a denied whole open is the answer: the walk
// below would be denied too (at the last component, or before it on a
// component without KEY_QUERY_VALUE), and a link on the way is found by the
// walk of the caller's second open, with less access.
LONG open_key(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out, LinkFound* link,
              bool walk_when_denied) {
    LONG opened = ERROR_SUCCESS;
    if (!hklm_subkey.empty() && open_whole_if_unlinked(hklm_subkey, access, out, opened))
        return ERROR_SUCCESS;
    if (opened == ERROR_ACCESS_DENIED && !walk_when_denied) return opened;
    // One component at a time, each below the handle of the one before and
    // opened as itself (REG_OPTION_OPEN_LINK): a whole-path open would follow
    // every link but the last, so a link planted anywhere on the way could
    // send the open, and a DACL write through it, to a key of its maker's
    // choosing. Every component but the last needs KEY_QUERY_VALUE, to tell
    // a link.
    KeyHandle parent;
    std::wstring at;
    std::size_t begin = 0;
    do {
        const std::size_t end = std::min(hklm_subkey.find(L'\\', begin), hklm_subkey.size());
        const std::wstring name = hklm_subkey.substr(begin, end - begin);
        const bool last = end == hklm_subkey.size();
        at += (at.empty() ? L"" : L"\\") + name;
        HKEY base = parent ? parent.get() : HKEY_LOCAL_MACHINE;
        HKEY raw = nullptr;
        const LONG rc = RegOpenKeyExW(base, name.c_str(), REG_OPTION_OPEN_LINK,
                                      (last ? access : KEY_QUERY_VALUE) | KEY_WOW64_64KEY, &raw);
        if (rc != ERROR_SUCCESS) return rc;
        KeyHandle next(raw);
        if (!last) {
            if (auto target = link_target(next.get())) {
                const LONG followed = follow_link(base, name, at, *target, next, link);
                if (followed != ERROR_SUCCESS) return followed;
            }
        }
        parent = std::move(next);
        begin = end + 1;
    } while (begin <= hklm_subkey.size());
    out = std::move(parent);
    return ERROR_SUCCESS;
}

}  // namespace permwatch::win
