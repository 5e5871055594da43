// The one owner of every registry key handle PermWatch opens (like wil's
// unique_hkey). Counting them here makes "how many handles does PermWatch hold"
// exact, which the failover work needs: the Cluster service cannot restore a
// checkpoint while any process holds a key inside the subtree.
#pragma once

#include <windows.h>

#include <atomic>
#include <optional>
#include <string>

#include "service/unique_handle.hpp"

namespace permwatch::win {

struct KeyHandleTraits {
    using pointer = HKEY;
    // Keys PermWatch holds open right now, process-wide.
    static inline std::atomic<long> open{0};
    struct closer {
        void operator()(HKEY key) const noexcept {
            RegCloseKey(key);
            --open;
        }
    };
    static HKEY none() noexcept { return nullptr; }
    static bool valid(HKEY key) noexcept { return key != nullptr; }
    static void acquired(HKEY) noexcept { ++open; }
};

using KeyHandle = UniqueHandle<KeyHandleTraits>;

// Keys PermWatch holds open right now, process-wide.
inline long open_key_handles() { return KeyHandleTraits::open.load(); }

// A contract path ("HKLM\\SYSTEM\\..." or "HKEY_LOCAL_MACHINE\\...") split into
// its root and the subkey below it. Only HKLM is accepted (the config allows
// nothing else).
struct KeyPath {
    HKEY root = nullptr;
    std::wstring subkey;
};
bool split_key_path(const std::string& path, KeyPath& out);

// What open_key returns for a path that meets a registry symbolic link
// (REG_OPTION_CREATE_LINK + SymbolicLinkValue) it does not follow.
// ERROR_CANT_RESOLVE_FILENAME is the nearest Win32 code.
inline constexpr LONG kErrorKeyIsLink = ERROR_CANT_RESOLVE_FILENAME;

// The link an open stopped at: the link key (below HKLM), where it points,
// and, for a link on the way rather than the key itself, why it is not
// followed (core/registry_links).
struct LinkFound {
    std::wstring at;
    std::wstring target;
    std::string why;
};

// Opens `path` in the 64-bit registry view with `access` (KEY_WOW64_64KEY is
// added here, so a 32-bit build would still see the same keys), one component
// at a time below the handle of the one before, each as itself
// (REG_OPTION_OPEN_LINK). A link on the way is followed only when it is
// Windows' own CurrentControlSet (refuse_link); any other, and the key itself
// being a link, gives kErrorKeyIsLink, described in `*link` when given.
// `*checkable`, when given, says whether the handle can be checked again with
// check_held_key (it was granted KEY_QUERY_VALUE).
// Returns the Win32 error code; 0 on success.
LONG open_key(const std::string& path, REGSAM access, KeyHandle& out, LinkFound* link = nullptr,
              bool* checkable = nullptr);
// A subkey of HKLM ("" is HKLM itself) opened as open_key does, the last
// component with `access` only (it is not checked for being a link): the
// watcher's open. `walk_when_denied` false: a whole-path open that is denied
// is the answer, without the walk one component at a time (for a caller that
// opens again with less access when denied).
LONG open_key(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out,
              LinkFound* link = nullptr, bool walk_when_denied = true);

// The target of a key opened with REG_OPTION_OPEN_LINK when it is a link
// (its SymbolicLinkValue is REG_LINK), else nullopt.
std::optional<std::wstring> link_target(HKEY key);

// Whether a handle open_key gave out (checkable) still stands for a key that
// is there: ERROR_SUCCESS, with the number of its subkeys in `*subkeys` when
// given; ERROR_KEY_DELETED once the key was deleted (a key of the same name
// made since is another key); another error when the query itself failed.
// One call. Under Wine it is a query like this one that notices the deletion,
// as RegGetKeySecurity and RegSetKeySecurity go on answering from the deleted
// key (docs/testing.md (k3)). A key cannot become a link after it was made, so
// a held key needs no second link check.
LONG check_held_key(HKEY key, DWORD* subkeys = nullptr);

}  // namespace permwatch::win
