// The one owner of every registry key handle PermWatch opens (like wil's
// unique_hkey). Counting them here makes "how many handles does PermWatch hold"
// exact, which the failover work needs: the Cluster service cannot restore a
// checkpoint while any process holds a key inside the subtree.
#pragma once

#include <windows.h>

#include <atomic>
#include <optional>
#include <string>

namespace permwatch::win {

class KeyHandle {
public:
    KeyHandle() = default;
    explicit KeyHandle(HKEY key) : key_(key) {
        if (key_) ++open_count_;
    }
    ~KeyHandle() { reset(); }
    KeyHandle(KeyHandle&& other) noexcept : key_(other.key_) { other.key_ = nullptr; }
    KeyHandle& operator=(KeyHandle&& other) noexcept {
        if (this != &other) {
            reset();
            key_ = other.key_;
            other.key_ = nullptr;
        }
        return *this;
    }
    KeyHandle(const KeyHandle&) = delete;
    KeyHandle& operator=(const KeyHandle&) = delete;

    HKEY get() const { return key_; }
    explicit operator bool() const { return key_ != nullptr; }
    void reset() {
        if (key_) {
            RegCloseKey(key_);
            key_ = nullptr;
            --open_count_;
        }
    }

    // Keys PermWatch holds open right now, process-wide.
    static long open_count() { return open_count_.load(); }

private:
    HKEY key_ = nullptr;
    static inline std::atomic<long> open_count_{0};
};

// A contract path ("HKLM\\SYSTEM\\..." or "HKEY_LOCAL_MACHINE\\...") split into
// its root and the subkey below it. Only HKLM is accepted (the config allows
// nothing else).
struct KeyPath {
    HKEY root = nullptr;
    std::wstring subkey;
};
bool split_key_path(const std::string& path, KeyPath& out);

// What open_key returns for a key that is a registry symbolic link
// (REG_OPTION_CREATE_LINK + SymbolicLinkValue): PermWatch does not follow it
// (issue 11 item 14). ERROR_CANT_RESOLVE_FILENAME is the nearest Win32 code.
inline constexpr LONG kErrorKeyIsLink = ERROR_CANT_RESOLVE_FILENAME;

// Opens `path` in the 64-bit registry view with `access` (KEY_WOW64_64KEY is
// added here, so a 32-bit build would still see the same keys), as the key
// itself when it is a symbolic link (REG_OPTION_OPEN_LINK), which is then
// refused: kErrorKeyIsLink, and its target in `*link_target` when given.
// Returns the Win32 error code; 0 on success.
LONG open_key(const std::string& path, REGSAM access, KeyHandle& out,
              std::wstring* link_target = nullptr);

// The target of a key opened with REG_OPTION_OPEN_LINK when it is a link
// (its SymbolicLinkValue is REG_LINK), else nullopt.
std::optional<std::wstring> link_target(HKEY key);

}  // namespace permwatch::win
