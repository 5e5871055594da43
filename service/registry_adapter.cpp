#include "service/registry_adapter.hpp"

#include <algorithm>
#include <vector>

#include "core/security/inheritance.hpp"
#include "service/key_security.hpp"

#include "service/security_convert.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

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
                    const LinkFound& link = {}) {
    if (rc == ERROR_FILE_NOT_FOUND || rc == ERROR_PATH_NOT_FOUND) {
        return {KeyRead::Status::missing, {}, "the key " + path + " does not exist"};
    }
    if (rc == kErrorKeyIsLink && link.why.empty()) {
        return {KeyRead::Status::error,
                {},
                "the key " + path + " is a registry symbolic link to " +
                    narrow_for_message(link.target) +
                    "; PermWatch does not follow links (remove the link, or watch its target)"};
    }
    if (rc == kErrorKeyIsLink) {
        return {KeyRead::Status::error,
                {},
                "HKLM\\" + narrow_for_message(link.at) + ", on the way to " + path +
                    ", is a registry symbolic link to " + narrow_for_message(link.target) +
                    " and is not followed: " + link.why};
    }
    return {KeyRead::Status::error,
            {},
            describe("opening " + path + why, static_cast<unsigned long>(rc))};
}

KeyWrite write_through(HKEY key, const std::string& path, const Acl& dacl) {
    try {
        // RegSetKeySecurity, not SetSecurityInfo: the latter would also pass
        // inheritable ACEs down to existing subkeys, opening each by name and
        // so through any link planted below the key. propagate() does that
        // part, link by link refused.
        const DWORD err = set_key_dacl(key, dacl);
        if (err != ERROR_SUCCESS) return {false, err, describe("writing the DACL of " + path, err)};
    } catch (const Win32Error& e) {
        return {false, e.code(), path + ": " + e.what()};
    }
    return {};
}

// The names of `key`'s subkeys, at most `limit` (and one more, to tell that
// there were more).
bool subkey_names(HKEY key, std::size_t limit, std::vector<std::wstring>& names, LONG& rc) {
    DWORD longest = 0;
    rc = RegQueryInfoKeyW(key, nullptr, nullptr, nullptr, nullptr, &longest, nullptr, nullptr,
                          nullptr, nullptr, nullptr, nullptr);
    if (rc != ERROR_SUCCESS) return false;
    std::vector<wchar_t> name(std::min<DWORD>(longest, 255) + 1);
    for (DWORD i = 0; names.size() <= limit; ++i) {
        DWORD size = static_cast<DWORD>(name.size());
        rc = RegEnumKeyExW(key, i, name.data(), &size, nullptr, nullptr, nullptr, nullptr);
        if (rc == ERROR_NO_MORE_ITEMS) break;
        // A subkey made meanwhile with a longer name: registry key names are
        // at most 255 characters.
        if (rc == ERROR_MORE_DATA) {
            name.resize(256);
            size = static_cast<DWORD>(name.size());
            rc = RegEnumKeyExW(key, i, name.data(), &size, nullptr, nullptr, nullptr, nullptr);
        }
        if (rc != ERROR_SUCCESS) return false;
        names.emplace_back(name.data(), size);
    }
    rc = ERROR_SUCCESS;
    return true;
}

// Passes what `dacl` (now written on `key`, at `path`) gives to subkeys down
// to the existing ones, as Windows' propagation would, but opening each
// subkey as itself below its parent's handle: a link is reported and never
// written through. Each write is journaled first; a subkey that changes
// nothing passes nothing new down, so the walk stops there. Returns false
// when the walk must stop (the journal refused, or the bound was reached).
bool propagate(HKEY key, const std::string& path, const Acl& dacl,
               const RegistryPort::SubkeyJournal& journal, std::size_t depth, Propagation& out) {
    std::vector<std::wstring> names;
    LONG rc = ERROR_SUCCESS;
    const std::size_t room = kMaxPropagatedSubkeys - std::min(out.written, kMaxPropagatedSubkeys);
    if (!subkey_names(key, room, names, rc)) {
        out.problems.push_back(
            describe("listing the subkeys of " + path + " to pass its " + "inheritable ACEs down",
                     static_cast<unsigned long>(rc)));
        return true;
    }
    for (const std::wstring& name : names) {
        // The journal must name the key it wrote: a name that is not valid
        // UTF-16 cannot be written down, so that subkey is left alone.
        std::string child;
        try {
            child = path + "\\" + narrow(name);
        } catch (const InvalidText&) {
            out.problems.push_back("a subkey of " + path +
                                   " has a name that is not valid UTF-16 (" +
                                   narrow_for_message(name) + "); nothing was passed down to it");
            continue;
        }
        HKEY raw = nullptr;
        rc = RegOpenKeyExW(
            key, name.c_str(), REG_OPTION_OPEN_LINK,
            READ_CONTROL | WRITE_DAC | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_WOW64_64KEY,
            &raw);
        if (rc == ERROR_FILE_NOT_FOUND) continue;  // deleted meanwhile
        if (rc != ERROR_SUCCESS) {
            out.problems.push_back(describe("opening " + child + " to pass inheritance down",
                                            static_cast<unsigned long>(rc)));
            continue;
        }
        const KeyHandle sub(raw);
        if (auto target = link_target(sub.get())) {
            out.problems.push_back(child + " is a registry symbolic link to " +
                                   narrow_for_message(*target) +
                                   "; nothing was written through it");
            continue;
        }
        SecurityDescriptor sd;
        if (!read_key_security(sub.get(), sd)) {
            out.problems.push_back("the security of " + child +
                                   " could not be read; nothing was passed down to it");
            continue;
        }
        const std::optional<Acl> next = dacl_inheriting_from(dacl, sd);
        if (!next) continue;
        if (out.written >= kMaxPropagatedSubkeys || depth >= kMaxPropagationDepth) {
            out.problems.push_back("stopped at " + child + ": more than " +
                                   std::to_string(kMaxPropagatedSubkeys) + " subkeys or " +
                                   std::to_string(kMaxPropagationDepth) +
                                   " levels below the key; the rest keep their old inherited ACEs");
            return false;
        }
        if (!journal(child, sd, *next)) return false;
        const KeyWrite w = write_through(sub.get(), child, *next);
        if (!w.ok) {
            out.problems.push_back(w.error);
            continue;
        }
        ++out.written;
        if (!propagate(sub.get(), child, *next, journal, depth + 1, out)) return false;
    }
    return true;
}

// Opens `key` again for listing its subkeys (the write handle has no right to).
// `subkeys`: how many the key has, when the caller counted them after the write.
void propagate_from(HKEY key, const std::string& path, const Acl& dacl,
                    const RegistryPort::SubkeyJournal& journal, std::optional<DWORD> subkeys,
                    Propagation& out) {
    // Most watched keys have no subkeys: asked on the write handle (opened
    // with KEY_QUERY_VALUE when it could be), that costs one call, not an open.
    if (DWORD n = 0; !subkeys && check_held_key(key, &n) == ERROR_SUCCESS) subkeys = n;
    if (subkeys == DWORD{0}) return;
    HKEY raw = nullptr;
    const LONG rc = RegOpenKeyExW(key, L"", 0, KEY_ENUMERATE_SUB_KEYS | KEY_WOW64_64KEY, &raw);
    if (rc != ERROR_SUCCESS) {
        out.problems.push_back(describe("opening " + path + " to pass its inheritable ACEs down",
                                        static_cast<unsigned long>(rc)));
        return;
    }
    const KeyHandle listing(raw);
    propagate(listing.get(), path, dacl, journal, 0, out);
}

}  // namespace

LONG Win32Registry::acquire(const std::string& path, REGSAM access, KeyHandle& opened, HKEY& key,
                            LinkFound& link, bool& held_key) {
    const auto held = keys_ == Keys::kept_open ? held_.find(path) : held_.end();
    held_key = held != held_.end() && (held->second.access & access) == access;
    if (held_key) {
        key = held->second.key.get();
        return ERROR_SUCCESS;
    }
    bool checkable = false;
    const LONG rc = open_key(path, access, opened, &link, &checkable);
    if (rc != ERROR_SUCCESS) return rc;
    key = opened.get();
    if (keys_ == Keys::kept_open && checkable && holdable_.count(path)) {
        // Replaces a held key with less access (a read's, before a repair).
        held_[path] = Held{std::move(opened), access};
    }
    return rc;
}

bool Win32Registry::still_held(const std::string& path, HKEY key, DWORD* subkeys) {
    if (check_held_key(key, subkeys) == ERROR_SUCCESS) return true;
    // Deleted (or not answering): whatever is at the path now is another
    // key, opened and checked as a new one.
    held_.erase(path);
    return false;
}

void Win32Registry::forget(const std::string& path) { held_.erase(path); }

void Win32Registry::forget_all() { held_.clear(); }

void Win32Registry::hold_only(const std::vector<std::string>& paths) {
    holdable_ = std::unordered_set<std::string>(paths.begin(), paths.end());
    for (auto it = held_.begin(); it != held_.end();) {
        it = holdable_.count(it->first) ? std::next(it) : held_.erase(it);
    }
}

// A held key is checked after its last use in a call, not before its first:
// the check then covers the whole call, the read and the write included. A
// key found deleted was used as the deleted one, so the call is made again on
// whatever is at the path now, opened by path as a key never seen.
KeyRead Win32Registry::read(const std::string& path) {
    for (;;) {
        KeyHandle opened;
        HKEY key = nullptr;
        LinkFound target;
        bool held = false;
        const LONG rc = acquire(path, READ_CONTROL, opened, key, target, held);
        if (rc != ERROR_SUCCESS) return open_failed(path, rc, " to read its security", target);
        KeyRead read = read_through(key, path);
        if (!held || still_held(path, key)) return read;
    }
}

KeyUpdate Win32Registry::update_dacl(const std::string& path, const DaclDecision& decide,
                                     const SubkeyJournal& journal_subkey) {
    for (;;) {
        KeyUpdate u;
        if (update_once(path, decide, journal_subkey, u)) return u;
    }
}

bool Win32Registry::update_once(const std::string& path, const DaclDecision& decide,
                                const SubkeyJournal& journal_subkey, KeyUpdate& u) {
    KeyHandle opened;
    HKEY key = nullptr;
    LinkFound target;
    bool held = false;
    const LONG rc = acquire(path, WRITE_DAC | READ_CONTROL, opened, key, target, held);
    if (rc != ERROR_SUCCESS) {
        u.before = open_failed(path, rc, " to write its DACL", target);
        u.write = {false, static_cast<unsigned long>(rc), u.before.error};
        return true;
    }
    u.before = read_through(key, path);
    std::optional<Acl> dacl;
    if (u.before.status == KeyRead::Status::ok) dacl = decide(u.before.sd);
    if (dacl) u.write = write_through(key, path, *dacl);
    u.written = dacl && u.write.ok;
    if (u.written) u.after = read_through(key, path);
    // The held key's check also counts its subkeys, which the write's
    // inheritance must reach: counted after the write, so a subkey made
    // before it is counted and one made after it inherits the new DACL.
    std::optional<DWORD> subkeys;
    if (held) {
        DWORD n = 0;
        if (!still_held(path, key, &n)) return false;
        subkeys = n;
    }
    if (u.written && u.before.sd.dacl && passes_down_differently(*u.before.sd.dacl, *dacl))
        propagate_from(key, path, *dacl, journal_subkey, subkeys, u.propagation);
    return true;
}

}  // namespace permwatch::win
