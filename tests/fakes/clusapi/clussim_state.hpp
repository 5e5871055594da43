// TEST FAKE - the state shared by the fake clusapi.dll and clussim.exe.
//
// Why a simulator at all: Wine has no Cluster service and its own clusapi.dll
// lacks the notification functions (docs/testing.md), and a real failover
// cluster cannot run in CI. So tests/fakes/clusapi builds a clusapi.dll with
// the real export names and signatures, loaded instead of Wine's with
// WINEDLLOVERRIDES=clusapi=n, and clussim.exe plays what the Cluster service
// would do (group moves, resource states, the checkpoint restore and its
// failure, event 1024). It stands in for a cluster; it is not one.
//
// Design: the scenario lives in a FILE (default %TEMP%\permwatch-clussim.state,
// or $PERMWATCH_CLUSSIM_STATE) mapped by both sides, so it outlives each
// one-shot `clussim <command>` process: no server process, no pipe, and the
// same commands work from a gtest test and from a bash demo. The file is never
// deleted (a mapping of a deleted file would go stale in a long-running
// permwatch.exe); `clussim teardown` marks the cluster stopped instead.
// Everything in it is POD with fixed-size arrays, guarded by a lock on a
// second file beside it (Mapping::lock says why not a named mutex).
// Notifications are a ring with sequence numbers; each notify port keeps the
// next sequence number it will read and polls (10 ms) while waiting.
//
// Several nodes: each simulated node is a Wine prefix of its own (its own
// wineserver, so its own registry: the checkpointed keys are per node), and
// every prefix maps the same state file, a Linux path given to all of them
// as $PERMWATCH_CLUSSIM_STATE (Z:\...). Which node a process is comes from
// $PERMWATCH_CLUSSIM_NODE (the rig sets it per prefix, scripts/cluster-nodes.sh),
// else the node `clussim setup --node` named. The cluster database lives in
// the state, not in a node's registry: it is replicated on a real cluster,
// so a value written on one node is read on every other.
#pragma once

#include <windows.h>

#include <cwchar>
#include <cwctype>
#include <string>

namespace clussim {

inline constexpr DWORD kMagic = 0x4D495343;  // "CSIM"
inline constexpr DWORD kVersion = 6;
inline constexpr int kName = 128;
inline constexpr int kPath = 260;
inline constexpr int kSddl = 1024;
inline constexpr int kNodes = 4;
inline constexpr int kGroups = 8;
inline constexpr int kResources = 16;
inline constexpr int kCheckpoints = 2;
inline constexpr int kRing = 64;
// The cluster database's bounds (the fake's, not Windows'): keys and values
// in all, and bytes in one value. A write past them fails with
// ERROR_NOT_ENOUGH_QUOTA. A value may exceed the 256 KiB that PermWatch
// reads of a node summary, so a test can plant one that is too big.
inline constexpr int kDbKeys = 64;
inline constexpr int kDbValues = 24;
inline constexpr DWORD kDbValueBytes = 320 * 1024;

struct Node {
    DWORD used;
    DWORD up;
    DWORD id;
    wchar_t name[kName];
};

struct Group {
    DWORD used;
    LONG state;  // CLUSTER_GROUP_STATE
    wchar_t name[kName];
    wchar_t owner[kName];
    // Preferred owners in order (ClusterGroupOpenEnum CLUSTER_GROUP_ENUM_NODES);
    // none by default, as for a new group on Windows.
    DWORD preferred_count;
    wchar_t preferred[kNodes][kName];
};

struct Resource {
    DWORD used;
    LONG state;  // CLUSTER_RESOURCE_STATE
    wchar_t name[kName];
    wchar_t group[kName];
    wchar_t account[kName];  // SID string the restore needs KEY_ALL_ACCESS (CI) for
    DWORD checkpoint_count;
    wchar_t checkpoint[kCheckpoints][kPath];  // relative to HKLM
    wchar_t saved_dacl[kCheckpoints][kSddl];  // "D:..." written back by the restore
    // Possible owners (ClusterResourceOpenEnum CLUSTER_RESOURCE_ENUM_NODES):
    // possible_set 0 = every node of the cluster, as Windows' default.
    DWORD possible_set;
    DWORD possible_count;
    wchar_t possible[kNodes][kName];
    // Its resource type (CLUSCTL_RESOURCE_GET_RESOURCE_TYPE), kGenericApplication
    // unless clussim was told otherwise, and for a kGenericService the service
    // it runs: its private property ServiceName, by which a caller learns
    // which service (so which logon account) a checkpoint serves.
    wchar_t type[kName];
    wchar_t service_name[kName];
};

// The cluster database (ClusterReg* in the fake). Key slot 0 is the root
// (GetClusterKey); a key's parent is a slot index. `generation` grows each
// time a slot is freed, so a handle to a deleted key goes stale.
struct DbKey {
    DWORD used;
    DWORD generation;
    DWORD parent;
    FILETIME written;
    wchar_t name[kName];
};

struct DbValue {
    DWORD used;
    DWORD key;
    DWORD type;
    DWORD size;
    wchar_t name[kName];
    BYTE data[kDbValueBytes];
};

struct Database {
    DbKey keys[kDbKeys];
    DbValue values[kDbValues];
};

struct Notification {
    ULONGLONG seq;
    DWORD v1_filter;    // CLUSTER_CHANGE_*
    DWORD v2_type;      // CLUSTER_OBJECT_TYPE_*
    LONGLONG v2_flags;  // CLUSTER_CHANGE_*_V2
    wchar_t name[kName];
    wchar_t parent[kName];
};

struct State {
    DWORD magic;
    DWORD version;
    DWORD running;
    DWORD epoch;  // bumped by drop-connection/teardown/setup: older ports fail
    wchar_t cluster_name[kName];
    wchar_t local_node[kName];
    Node nodes[kNodes];
    Group groups[kGroups];
    Resource resources[kResources];
    ULONGLONG next_seq;
    Notification ring[kRing];
    Database db;
    // GetTickCount64() until which the cluster is unreachable: OpenCluster and
    // GetNodeClusterState fail with RPC_S_SERVER_UNAVAILABLE (1722), as while
    // a node's RPC connection to ClusSvc is down. 0: reachable.
    ULONGLONG down_until;
    // `clussim hostile --mode sizes`: every string, buffer and notification
    // answer claims ERROR_MORE_DATA with kHostileChars characters (or bytes
    // for a control output) until it is offered at least that much, as a
    // broken or hostile clusapi.dll could. The largest
    // buffer any caller offered, in bytes, is kept for the test to read.
    DWORD hostile;
    ULONGLONG largest_offer;
    // `clussim checkpoint-control --mode fails` (or setup --checkpoint-control
    // fails): CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS answers this Win32
    // error instead of the list, so PermWatch must read the RegSync copy
    // (the RegSync fallback's case). 0: the control code works.
    DWORD checkpoint_control_error;
    // `clussim hostile --mode property-list-...`: one of kHostileList*, or 0.
    // CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES then answers a malformed list of
    // that kind with ERROR_SUCCESS and the list's true size, as a broken or
    // hostile clusapi.dll could: the caller alone must refuse the bytes.
    DWORD hostile_property_list;
    // The owner `clussim setup` gave its group: where `add-group` puts a new
    // group unless told otherwise.
    wchar_t setup_owner[kName];
};

// What the control code answers while it "fails": RPC_S_CALL_FAILED, as when
// the call to ClusSvc breaks.
inline constexpr DWORD kCheckpointControlError = 1726;

inline constexpr DWORD kHostileSizes = 1;

// The malformed property lists of State::hostile_property_list.
// Past end: the last value's length runs past the end of the buffer.
inline constexpr DWORD kHostileListPastEnd = 1;
// No endmark: the buffer ends right after the last property's value.
inline constexpr DWORD kHostileListNoEndmark = 2;
// Huge count: a well-formed list whose count says 0x7FFFFFFF properties.
inline constexpr DWORD kHostileListHugeCount = 3;

// Resource type names as the Cluster service spells them.
inline constexpr const wchar_t* kGenericApplication = L"Generic Application";
inline constexpr const wchar_t* kGenericService = L"Generic Service";
// 32 Mi characters (64 MiB): far above any real name, small enough that a
// caller that follows it does not harm the machine.
inline constexpr DWORD kHostileChars = 32u * 1024 * 1024;

inline std::wstring state_path() {
    wchar_t buf[MAX_PATH] = {};
    DWORD n = GetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_STATE", buf, MAX_PATH);
    if (n > 0 && n < MAX_PATH) return buf;
    n = GetTempPathW(MAX_PATH, buf);
    std::wstring dir = (n > 0 && n < MAX_PATH) ? std::wstring(buf) : std::wstring(L"C:\\");
    if (dir.back() != L'\\') dir += L'\\';
    return dir + L"permwatch-clussim.state";
}

// The mapped state. open(false) fails when the file does not exist (no cluster).
class Mapping {
public:
    Mapping() { InitializeCriticalSection(&cs_); }
    ~Mapping() {
        close();
        DeleteCriticalSection(&cs_);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;

    bool open(bool create) {
        close();
        file_ = CreateFileW(state_path().c_str(), GENERIC_READ | GENERIC_WRITE,
                            FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                            create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (file_ == INVALID_HANDLE_VALUE) return false;
        mapping_ = CreateFileMappingW(file_, nullptr, PAGE_READWRITE, 0, sizeof(State), nullptr);
        if (!mapping_) return close_false();
        state_ = static_cast<State*>(MapViewOfFile(mapping_, FILE_MAP_ALL_ACCESS, 0, 0, 0));
        if (!state_) return close_false();
        lock_file_ = CreateFileW((state_path() + L".lock").c_str(), GENERIC_READ | GENERIC_WRITE,
                                 FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                 OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (lock_file_ == INVALID_HANDLE_VALUE) return close_false();
        return true;
    }
    void close() {
        if (state_) UnmapViewOfFile(state_);
        if (mapping_) CloseHandle(mapping_);
        if (file_ != INVALID_HANDLE_VALUE) CloseHandle(file_);
        if (lock_file_ != INVALID_HANDLE_VALUE) CloseHandle(lock_file_);
        state_ = nullptr;
        mapping_ = nullptr;
        file_ = INVALID_HANDLE_VALUE;
        lock_file_ = INVALID_HANDLE_VALUE;
    }
    State* state() const { return state_; }
    bool valid() const { return state_ && state_->magic == kMagic && state_->version == kVersion; }
    // Named objects are not shared between two wineservers (two prefixes, two
    // simulated nodes), but a byte-range lock on a file is: measured in
    // docs/testing.md (z), LockFileEx from another prefix fails with
    // ERROR_LOCK_VIOLATION while it is held. So the lock is byte 0 of
    // <state>.lock, taken with LOCKFILE_FAIL_IMMEDIATELY and retried every
    // millisecond. It is released when its holder dies (as the old mutex was
    // abandoned). Such locks do not nest, the mutex did: a critical section
    // and a depth count make it re-entrant within a process.
    void lock() const {
        EnterCriticalSection(&cs_);
        if (depth_++ > 0) return;
        for (;;) {
            OVERLAPPED at{};
            if (LockFileEx(lock_file_, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0,
                           &at)) {
                return;
            }
            if (GetLastError() != ERROR_LOCK_VIOLATION) return;  // no lock file: run unlocked
            Sleep(1);
        }
    }
    void unlock() const {
        if (--depth_ == 0) {
            OVERLAPPED at{};
            UnlockFileEx(lock_file_, 0, 1, 0, &at);
        }
        LeaveCriticalSection(&cs_);
    }

private:
    bool close_false() {
        close();
        return false;
    }
    HANDLE file_ = INVALID_HANDLE_VALUE;
    HANDLE mapping_ = nullptr;
    HANDLE lock_file_ = INVALID_HANDLE_VALUE;
    State* state_ = nullptr;
    mutable CRITICAL_SECTION cs_;
    mutable LONG depth_ = 0;
};

class Lock {
public:
    explicit Lock(const Mapping& m) : m_(m) { m_.lock(); }
    ~Lock() { m_.unlock(); }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

private:
    const Mapping& m_;
};

inline void copy(wchar_t* dst, int cap, const std::wstring& src) {
    wcsncpy(dst, src.c_str(), static_cast<size_t>(cap - 1));
    dst[cap - 1] = L'\0';
}

inline bool same(const wchar_t* a, const wchar_t* b) { return _wcsicmp(a, b) == 0; }

// The node this process runs on: $PERMWATCH_CLUSSIM_NODE (one prefix per
// node, the rig sets it), else the node `clussim setup --node` named.
inline std::wstring this_node(const State& s) {
    wchar_t buf[kName] = {};
    const DWORD n = GetEnvironmentVariableW(L"PERMWATCH_CLUSSIM_NODE", buf, kName);
    if (n > 0 && n < static_cast<DWORD>(kName)) return buf;
    return s.local_node;
}

// Appends a notification (caller holds the lock).
inline void push(State& s, DWORD v1_filter, DWORD v2_type, LONGLONG v2_flags,
                 const std::wstring& name, const std::wstring& parent = L"") {
    Notification& n = s.ring[s.next_seq % kRing];
    n.seq = s.next_seq;
    n.v1_filter = v1_filter;
    n.v2_type = v2_type;
    n.v2_flags = v2_flags;
    copy(n.name, kName, name);
    copy(n.parent, kName, parent);
    ++s.next_seq;
}

inline Group* find_group(State& s, const wchar_t* name) {
    for (auto& g : s.groups)
        if (g.used && same(g.name, name)) return &g;
    return nullptr;
}
inline Resource* find_resource(State& s, const wchar_t* name) {
    for (auto& r : s.resources)
        if (r.used && same(r.name, name)) return &r;
    return nullptr;
}
// A resource's id (CLUSCTL_RESOURCE_GET_ID), made from its name so that the
// fake and clussim agree without storing it: a GUID string, as the Cluster
// service's ids are, and the name of the resource's key under
// HKLM\Cluster\Resources where clussim writes the RegSync copy.
inline std::wstring resource_id(const wchar_t* name) {
    unsigned long long h1 = 1469598103934665603ull;  // FNV-1a, twice with other seeds
    unsigned long long h2 = 1099511628211ull * 31;
    for (const wchar_t* p = name; *p; ++p) {
        const auto c = static_cast<unsigned long long>(towlower(*p));
        h1 = (h1 ^ c) * 1099511628211ull;
        h2 = (h2 ^ c) * 1099511628211ull + 7;
    }
    wchar_t text[40];
    swprintf(text, 40, L"%08llx-%04llx-4%03llx-8%03llx-%012llx", h1 >> 32, (h1 >> 16) & 0xFFFF,
             h1 & 0xFFF, (h2 >> 48) & 0xFFF, h2 & 0xFFFFFFFFFFFFull);
    return text;
}

inline Node* find_node(State& s, const wchar_t* name) {
    for (auto& n : s.nodes)
        if (n.used && same(n.name, name)) return &n;
    return nullptr;
}

}  // namespace clussim
