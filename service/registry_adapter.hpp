// RegistryPort on the real registry: reads a key's owner, group and DACL and
// updates its DACL (owner and group untouched), in the 64-bit view.
#pragma once

#include <windows.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/ports/ports.hpp"
#include "service/key_handle.hpp"

namespace permwatch::win {

class Win32Registry final : public RegistryPort {
public:
    // Whether a key stays open between calls.
    enum class Keys {
        // Each call opens the key by path and closes it (the one-shot commands).
        opened_per_call,
        // The service: a key that hold_only() names, once opened, is used
        // again until forget(), so a check is two registry calls (the read,
        // then the check that the key is still there), not four. After each
        // use the held handle is checked (check_held_key): a key deleted
        // meanwhile, or replaced by another of the same name, is opened again
        // by path and the call made again on it. Every other
        // key is opened per call: a key inside a cluster checkpoint must
        // never stay open (the restore fails while any key in the subtree
        // is). Not thread-safe: one thread makes every call.
        kept_open,
    };

    explicit Win32Registry(Keys keys = Keys::opened_per_call) : keys_(keys) {}

    KeyRead read(const std::string& path) override;
    KeyUpdate update_dacl(const std::string& path, const DaclDecision& decide,
                          const SubkeyJournal& journal_subkey) override;

    // Closes the key held for `path` (the same string the calls were given),
    // if any: the next call opens it by path. For a key about to be restored
    // by the Cluster service, and for one the watcher reported (it may have
    // been renamed, which a held handle follows).
    void forget(const std::string& path);
    void forget_all();
    // The paths that may stay open between calls (kept_open only; none until
    // this is called). A held key not named any more is closed at once.
    void hold_only(const std::vector<std::string>& paths);
    std::size_t held() const { return held_.size(); }

private:
    struct Held {
        KeyHandle key;
        REGSAM access = 0;
    };

    // The key at `path` for at least `access`: the held one, unchecked, else
    // opened now (and held, when kept open and checkable).
    // `opened` owns a key that is not held; `held_key` says the key was
    // held already and is to be checked (still_held) after its use. Returns
    // the Win32 error code.
    LONG acquire(const std::string& path, REGSAM access, KeyHandle& opened, HKEY& key,
                 LinkFound& link, bool& held_key);
    // Whether the held `key` for `path` is still there (counting its subkeys
    // into `*subkeys` when given); when not, it is let go of.
    bool still_held(const std::string& path, HKEY key, DWORD* subkeys = nullptr);
    // One attempt of update_dacl into `u`; false when the held key turned out
    // deleted, and the update is to be made again on the key at the path now.
    bool update_once(const std::string& path, const DaclDecision& decide,
                     const SubkeyJournal& journal_subkey, KeyUpdate& u);

    Keys keys_;
    std::unordered_set<std::string> holdable_;
    std::unordered_map<std::string, Held> held_;
};

}  // namespace permwatch::win
