// TEST FAKE clusapi.dll: the cluster database (GetClusterKey, ClusterReg*),
// with the documented signatures and return codes (learn.microsoft.com,
// clusapi.h). On a real cluster the database is replicated to every node by
// the Cluster service; here it lives in the state file that every simulated
// node maps (clussim_state.hpp), so a value written on one node is read on
// the others at once, as after a committed cluster-wide update.
//
// Kept simple where PermWatch does not care: no security on keys (REGSAM is
// accepted and ignored), no ClusterRegBatch, names compared without case as
// the registry does. Sizes are bounded (kDbKeys, kDbValues, kDbValueBytes):
// past them a write fails with ERROR_NOT_ENOUGH_QUOTA.
#include <windows.h>

#include <algorithm>
#include <cstring>
#include <cwchar>
#include <string>
#include <vector>

#include "tests/fakes/clusapi/clusapi_fake_internal.hpp"

namespace {

constexpr DWORD kTagKey = 0x434B4559;  // "CKEY"
constexpr DWORD kRoot = 0;

struct KeyHandle {
    DWORD tag;
    DWORD slot;
    DWORD generation;
};

HKEY make_handle(const clussim::State& s, DWORD slot) {
    auto* h = new KeyHandle{kTagKey, slot, s.db.keys[slot].generation};
    return reinterpret_cast<HKEY>(h);
}

KeyHandle* as_key(HKEY h) {
    auto* k = reinterpret_cast<KeyHandle*>(h);
    return (k && k->tag == kTagKey) ? k : nullptr;
}

// The slot behind a handle (lock held): ERROR_INVALID_HANDLE for no handle of
// ours, ERROR_KEY_DELETED for a key deleted since it was opened.
DWORD slot_of(const clussim::State& s, HKEY h, DWORD& slot) {
    const KeyHandle* k = as_key(h);
    if (!k || k->slot >= static_cast<DWORD>(clussim::kDbKeys)) return ERROR_INVALID_HANDLE;
    const clussim::DbKey& key = s.db.keys[k->slot];
    if (!key.used || key.generation != k->generation) return ERROR_KEY_DELETED;
    slot = k->slot;
    return ERROR_SUCCESS;
}

void touch(clussim::State& s, DWORD slot) { GetSystemTimeAsFileTime(&s.db.keys[slot].written); }

// The root key exists from the first use on (slot 0, no name).
void ensure_root(clussim::State& s) {
    clussim::DbKey& root = s.db.keys[kRoot];
    if (root.used) return;
    root.used = 1;
    root.parent = kRoot;
    root.name[0] = L'\0';
    touch(s, kRoot);
}

std::vector<std::wstring> split(const wchar_t* path) {
    std::vector<std::wstring> parts;
    std::wstring part;
    for (const wchar_t* p = path ? path : L""; *p; ++p) {
        if (*p == L'\\') {
            if (!part.empty()) parts.push_back(part);
            part.clear();
        } else {
            part += *p;
        }
    }
    if (!part.empty()) parts.push_back(part);
    return parts;
}

bool child(const clussim::State& s, DWORD parent, const std::wstring& name, DWORD& found) {
    for (DWORD i = 1; i < static_cast<DWORD>(clussim::kDbKeys); ++i) {
        const clussim::DbKey& k = s.db.keys[i];
        if (k.used && k.parent == parent && clussim::same(k.name, name.c_str())) {
            found = i;
            return true;
        }
    }
    return false;
}

// Walks `path` below `from`; with `create`, makes what is missing (as
// RegCreateKeyEx does). Lock held.
DWORD walk(clussim::State& s, DWORD from, const wchar_t* path, bool create, DWORD& out,
           bool& created) {
    created = false;
    DWORD at = from;
    for (const auto& part : split(path)) {
        if (part.size() >= static_cast<size_t>(clussim::kName)) return ERROR_INVALID_PARAMETER;
        DWORD next = 0;
        if (child(s, at, part, next)) {
            at = next;
            continue;
        }
        if (!create) return ERROR_FILE_NOT_FOUND;
        DWORD free_slot = 0;
        for (DWORD i = 1; i < static_cast<DWORD>(clussim::kDbKeys) && !free_slot; ++i)
            if (!s.db.keys[i].used) free_slot = i;
        if (!free_slot) return ERROR_NOT_ENOUGH_QUOTA;
        clussim::DbKey& k = s.db.keys[free_slot];
        k.used = 1;
        k.parent = at;
        clussim::copy(k.name, clussim::kName, part);
        touch(s, free_slot);
        touch(s, at);
        at = free_slot;
        created = true;
    }
    out = at;
    return ERROR_SUCCESS;
}

clussim::DbValue* find_value(clussim::State& s, DWORD key, const wchar_t* name) {
    for (auto& v : s.db.values)
        if (v.used && v.key == key && clussim::same(v.name, name ? name : L"")) return &v;
    return nullptr;
}

// The index-th subkey or value of `key`, in slot order; nullptr past the end.
template <typename T, typename Pred>
T* nth(T* items, int count, DWORD index, Pred belongs) {
    for (int i = 0; i < count; ++i) {
        if (!belongs(items[i])) continue;
        if (index == 0) return &items[i];
        --index;
    }
    return nullptr;
}

// Copies value data with the registry's convention (lpcbData in = buffer
// bytes, out = data bytes; no buffer = size only).
DWORD out_data(const clussim::DbValue& v, LPBYTE data, LPDWORD cb) {
    if (!cb) return data ? ERROR_INVALID_PARAMETER : ERROR_SUCCESS;
    if (!data) {
        *cb = v.size;
        return ERROR_SUCCESS;
    }
    if (*cb < v.size) {
        *cb = v.size;
        return ERROR_MORE_DATA;
    }
    memcpy(data, v.data, v.size);
    *cb = v.size;
    return ERROR_SUCCESS;
}

// The state when the cluster can be reached, else the error for the caller.
clussim::State* state_or(DWORD& error) {
    clussim::State* s = fake::shared();
    error = fake::reachable(s);
    return error == ERROR_SUCCESS ? s : nullptr;
}

// What every call on an open key does first: the state (the cluster
// reachable), its lock, the key's slot; then `f(state, slot)` under the lock.
template <class F>
DWORD with_key(HKEY key, F f) {
    DWORD error = ERROR_SUCCESS;
    clussim::State* s = state_or(error);
    if (!s) return error;
    clussim::Lock lock(fake::mapping());
    DWORD slot = 0;
    if ((error = slot_of(*s, key, slot)) != ERROR_SUCCESS) return error;
    return f(*s, slot);
}

// ClusterRegCreateKey and ClusterRegOpenKey: the same walk, creating or not.
LONG open_or_create(HKEY key, LPCWSTR sub_key, bool create, PHKEY result, bool& created) {
    if (!result) return ERROR_INVALID_PARAMETER;
    *result = nullptr;
    return static_cast<LONG>(with_key(key, [&](clussim::State& s, DWORD from) {
        DWORD at = 0;
        const DWORD error = walk(s, from, sub_key, create, at, created);
        if (error == ERROR_SUCCESS) *result = make_handle(s, at);
        return error;
    }));
}

}  // namespace

extern "C" {

HKEY WINAPI GetClusterKey(void* cluster, REGSAM sam) {
    (void)sam;
    DWORD error = ERROR_SUCCESS;
    clussim::State* s = state_or(error);
    if (!s || !fake::is_cluster(cluster)) {
        SetLastError(s ? ERROR_INVALID_HANDLE : error);
        return nullptr;
    }
    clussim::Lock lock(fake::mapping());
    ensure_root(*s);
    return make_handle(*s, kRoot);
}

LONG WINAPI ClusterRegCreateKey(HKEY key, LPCWSTR sub_key, DWORD options, REGSAM sam,
                                LPSECURITY_ATTRIBUTES security, PHKEY result, LPDWORD disposition) {
    (void)options;
    (void)sam;
    (void)security;
    bool created = false;
    const LONG rc = open_or_create(key, sub_key, true, result, created);
    if (rc == ERROR_SUCCESS && disposition)
        *disposition = created ? REG_CREATED_NEW_KEY : REG_OPENED_EXISTING_KEY;
    return rc;
}

LONG WINAPI ClusterRegOpenKey(HKEY key, LPCWSTR sub_key, REGSAM sam, PHKEY result) {
    (void)sam;
    bool created = false;
    return open_or_create(key, sub_key, false, result, created);
}

LONG WINAPI ClusterRegCloseKey(HKEY key) {
    KeyHandle* k = as_key(key);
    if (!k) return ERROR_INVALID_HANDLE;
    k->tag = 0;
    delete k;
    return ERROR_SUCCESS;
}

DWORD WINAPI ClusterRegSetValue(HKEY key, LPCWSTR name, DWORD type, const BYTE* data, DWORD size) {
    if (!data && size) return ERROR_INVALID_PARAMETER;
    if (size > clussim::kDbValueBytes) return ERROR_NOT_ENOUGH_QUOTA;
    if (name && wcslen(name) >= static_cast<size_t>(clussim::kName)) return ERROR_INVALID_PARAMETER;
    return with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        clussim::DbValue* v = find_value(s, slot, name);
        for (int i = 0; i < clussim::kDbValues && !v; ++i) {
            if (s.db.values[i].used) continue;
            v = &s.db.values[i];
            v->used = 1;
            v->key = slot;
            clussim::copy(v->name, clussim::kName, name ? name : L"");
        }
        if (!v) return ERROR_NOT_ENOUGH_QUOTA;
        v->type = type;
        v->size = size;
        if (size) memcpy(v->data, data, size);
        touch(s, slot);
        return ERROR_SUCCESS;
    });
}

LONG WINAPI ClusterRegQueryValue(HKEY key, LPCWSTR name, LPDWORD type, LPBYTE data, LPDWORD cb) {
    if (data && cb && fake::hostile_more(*cb, cb, clussim::kHostileChars * 2))
        return ERROR_MORE_DATA;
    return static_cast<LONG>(with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        const clussim::DbValue* v = find_value(s, slot, name);
        if (!v) return ERROR_FILE_NOT_FOUND;
        if (type) *type = v->type;
        return out_data(*v, data, cb);
    }));
}

DWORD WINAPI ClusterRegDeleteValue(HKEY key, LPCWSTR name) {
    return with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        clussim::DbValue* v = find_value(s, slot, name);
        if (!v) return ERROR_FILE_NOT_FOUND;
        v->used = 0;
        v->size = 0;
        touch(s, slot);
        return ERROR_SUCCESS;
    });
}

// Only a key without subkeys can be deleted (as documented); its values go
// with it.
LONG WINAPI ClusterRegDeleteKey(HKEY key, LPCWSTR sub_key) {
    if (!sub_key) return ERROR_INVALID_PARAMETER;
    return static_cast<LONG>(with_key(key, [&](clussim::State& s, DWORD from) -> DWORD {
        DWORD at = 0;
        bool created = false;
        if (const DWORD error = walk(s, from, sub_key, false, at, created); error != ERROR_SUCCESS)
            return error;
        if (at == kRoot || at == from) return ERROR_ACCESS_DENIED;
        for (DWORD i = 1; i < static_cast<DWORD>(clussim::kDbKeys); ++i)
            if (s.db.keys[i].used && s.db.keys[i].parent == at) return ERROR_ACCESS_DENIED;
        for (auto& v : s.db.values) {
            if (!v.used || v.key != at) continue;
            v.used = 0;
            v.size = 0;
        }
        clussim::DbKey& k = s.db.keys[at];
        touch(s, k.parent);
        const DWORD generation = k.generation + 1;
        k = clussim::DbKey{};
        k.generation = generation;
        return ERROR_SUCCESS;
    }));
}

LONG WINAPI ClusterRegEnumKey(HKEY key, DWORD index, LPWSTR name, LPDWORD cch, PFILETIME written) {
    if (!name || !cch) return ERROR_INVALID_PARAMETER;
    std::wstring found;
    const DWORD error = with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        const clussim::DbKey* k =
            nth(s.db.keys + 1, clussim::kDbKeys - 1, index,
                [slot](const clussim::DbKey& c) { return c.used && c.parent == slot; });
        if (!k) return ERROR_NO_MORE_ITEMS;
        found = k->name;
        if (written) *written = k->written;
        return ERROR_SUCCESS;
    });
    if (error != ERROR_SUCCESS) return static_cast<LONG>(error);
    // Outside the lock: the caller's buffer is not the shared state's.
    return static_cast<LONG>(fake::out_string(found.c_str(), name, cch));
}

DWORD WINAPI ClusterRegEnumValue(HKEY key, DWORD index, LPWSTR name, LPDWORD name_cch, LPDWORD type,
                                 LPBYTE data, LPDWORD cb) {
    if (!name || !name_cch) return ERROR_INVALID_PARAMETER;
    return with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        const clussim::DbValue* v =
            nth(s.db.values, clussim::kDbValues, index,
                [slot](const clussim::DbValue& c) { return c.used && c.key == slot; });
        if (!v) return ERROR_NO_MORE_ITEMS;
        const DWORD len = static_cast<DWORD>(wcslen(v->name));
        if (*name_cch <= len) {
            *name_cch = len;
            return ERROR_MORE_DATA;
        }
        memcpy(name, v->name, (len + 1) * sizeof(wchar_t));
        *name_cch = len;
        if (type) *type = v->type;
        return out_data(*v, data, cb);
    });
}

LONG WINAPI ClusterRegQueryInfoKey(HKEY key, LPDWORD sub_keys, LPDWORD max_sub_key_len,
                                   LPDWORD values, LPDWORD max_value_name_len,
                                   LPDWORD max_value_len, LPDWORD security_bytes,
                                   PFILETIME written) {
    return static_cast<LONG>(with_key(key, [&](clussim::State& s, DWORD slot) -> DWORD {
        DWORD n_keys = 0, n_values = 0, key_len = 0, name_len = 0, data_len = 0;
        for (DWORD i = 1; i < static_cast<DWORD>(clussim::kDbKeys); ++i) {
            const clussim::DbKey& k = s.db.keys[i];
            if (!k.used || k.parent != slot) continue;
            ++n_keys;
            key_len = std::max<DWORD>(key_len, static_cast<DWORD>(wcslen(k.name)));
        }
        for (const auto& v : s.db.values) {
            if (!v.used || v.key != slot) continue;
            ++n_values;
            name_len = std::max<DWORD>(name_len, static_cast<DWORD>(wcslen(v.name)));
            data_len = std::max<DWORD>(data_len, v.size);
        }
        if (sub_keys) *sub_keys = n_keys;
        if (max_sub_key_len) *max_sub_key_len = key_len;
        if (values) *values = n_values;
        if (max_value_name_len) *max_value_name_len = name_len;
        if (max_value_len) *max_value_len = data_len;
        if (security_bytes) *security_bytes = 0;
        if (written) *written = s.db.keys[slot].written;
        return ERROR_SUCCESS;
    }));
}

}  // extern "C"
