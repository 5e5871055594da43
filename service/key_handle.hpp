// The one owner of every registry key handle PermWatch opens (like wil's
// unique_hkey). Counting them here makes "how many handles does PermWatch hold"
// exact, which the failover work needs: the Cluster service cannot restore a
// checkpoint while any process holds a key inside the subtree.
#pragma once

#include <windows.h>

#include <atomic>
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

// Opens `path` in the 64-bit registry view with `access` (KEY_WOW64_64KEY is
// added here, so a 32-bit build would still see the same keys). Returns the
// Win32 error code; 0 on success.
LONG open_key(const std::string& path, REGSAM access, KeyHandle& out);
// The same for a subkey of HKLM ("" is HKLM itself).
LONG open_key(const std::wstring& hklm_subkey, REGSAM access, KeyHandle& out);

}  // namespace permwatch::win
