// TEST FAKE: clussim.exe plays what the Cluster service (ClusSvc) does on a
// failover, against the fake clusapi.dll (tests/fakes/clusapi). It stands in
// for a real failover cluster, which neither Wine nor CI can run: see
// tests/fakes/clusapi/clussim_state.hpp for the design (a state file mapped by
// both sides, one short-lived clussim process per command).
//
//   clussim setup --node NODE1 [--other-node NODE2] [--cluster NAME]
//                 --group G [--owner NODE2] --resource R --checkpoint PATH...
//                 [--account SID] [--restore-dacl SDDL] [--checkpoint-control fails]
//                 [--type TYPE] [--service-name NAME]
//       --type: the resource's type name ("Generic Application" unless given;
//       "Generic Service" when only --service-name is); --service-name: the
//       service a Generic Service runs (its private property ServiceName).
//   clussim checkpoint-control --mode fails|works
//       fails: CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS answers error 1726
//       for every resource, so PermWatch must use the RegSync copy.
//   clussim failover [--group G] [--to NODE] [--grace-ms 500]
//                    [--drop-at-start] [--down-ms N] [--no-restore] [--crash]
//       --drop-at-start: every notify port breaks as the move starts, so its
//       notifications are lost to whoever listened; --down-ms: for N ms from
//       then on the cluster cannot be reached (1722); --no-restore: leave the
//       group pending here and return (no restore, no online).
//       --crash: a crash failover, which gives no warning: the restore runs
//       first, then the notifications of the move are posted (a watcher
//       hears of it only after the restore, as ClusSvc's notifications reach
//       it asynchronously, milliseconds later at best).
//   clussim restart [--group G]
//       the group's resources offline, then online again on the same owner
//       (no owner change); when the owner is this node the checkpoints are
//       restored first, as in --crash: ClusSvc restores at every online.
//   clussim move-away [--group G] [--to NODE2]
//   clussim node-down [--node NODE2] [--grace-ms 500]
//   clussim drop-connection [--reconnect]
//   clussim add-resource --resource R [--group G] --checkpoint PATH...
//                        [--account SID] [--restore-dacl SDDL]
//                        [--type TYPE] [--service-name NAME]
//   clussim delete-resource --resource R
//   clussim add-group --group G [--owner NODE]
//       a new group, online on NODE (default: setup's --owner), posting
//       CLUSTER_CHANGE_GROUP_ADDED (V2: CLUSTER_CHANGE_CLUSTER_GROUP_ADDED_V2).
//   clussim delete-group --group G
//       refused (exit 2) while G has resources; posts CLUSTER_CHANGE_GROUP_DELETED.
//   clussim hostile --mode sizes|property-list-past-end|property-list-no-endmark|
//                          property-list-huge-count|off
//       sizes: every size answer claims 64 MiB (State::hostile); property-list-*:
//       CLUSCTL_RESOURCE_GET_PRIVATE_PROPERTIES answers a malformed list with
//       ERROR_SUCCESS (State::hostile_property_list). One mode at a time.
//   clussim handles --key PATH [--watch-ms N [--every-ms 50]]
//       the handle witness alone; with --watch-ms it scans again every
//       --every-ms for N ms, prints each handle found and the number of
//       scans, and exits 1 when any scan found one.
//   clussim status | teardown
// Several nodes (one Wine prefix each, scripts/cluster-nodes.sh):
//   clussim add-node --node NODE3 | node-up --node NODE2
//   clussim set-preferred --group G --nodes NODE2,NODE1   ("" = none)
//   clussim set-possible --resource R --nodes NODE1,NODE2 ("all" = every node)
// The cluster database, through the fake clusapi.dll's exports (beside clussim):
//   clussim db-set --key PATH --value NAME --text TEXT [--repeat N] [--type sz|binary]
//   clussim db-get --key PATH --value NAME    (exit 1: no such key or value)
//   clussim db-delete --key PATH [--value NAME]
//   clussim db-dump [--key PATH]
//
// PATH is relative to HKLM (as CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS gives
// it). As the Cluster service keeps each node's copy of the cluster database
// under HKLM\Cluster, clussim writes every resource it makes to
// HKLM\Cluster\Resources\<id> (value Name) with its checkpoints in the
// subkey RegSync (REG_SZ 00000001, 00000002, ... = PATH), in this prefix's
// registry, and removes it with the resource (delete-resource, setup,
// teardown).
//
// Exit codes: 0 done, 1 the restore failed (event 1024), 2 usage or state
// error. One line per step on stdout, each starting "clussim: ".
#include <windows.h>
// after windows.h
#include <sddl.h>
#include <shellapi.h>

#include <algorithm>
#include <cstdio>
#include <cwchar>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "service/clusapi_types.hpp"
#include "tests/fakes/clusapi/clussim_state.hpp"
#include "tests/fakes/clussim/clussim_commands.hpp"
#include "tests/fakes/clussim/clussim_output.hpp"

namespace clus = permwatch::clus;

namespace {

using clussim::say;

struct Args {
    std::wstring command;
    std::multimap<std::wstring, std::wstring> opts;
    std::wstring get(const std::wstring& key, const std::wstring& def = L"") const {
        auto it = opts.find(key);
        return it == opts.end() ? def : it->second;
    }
    std::vector<std::wstring> all(const std::wstring& key) const {
        std::vector<std::wstring> out;
        auto [b, e] = opts.equal_range(key);
        for (auto it = b; it != e; ++it) out.push_back(it->second);
        return out;
    }
    bool has(const std::wstring& key) const { return opts.count(key) != 0; }
};

bool parse(Args& a) {
    int argc = 0;
    LPWSTR* argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv || argc < 2) return false;
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::wstring key = argv[i];
        if (key.rfind(L"--", 0) != 0) return false;
        if (key == L"--reconnect" || key == L"--drop-at-start" || key == L"--no-restore" ||
            key == L"--crash") {
            a.opts.emplace(key, L"1");
        } else if (i + 1 < argc) {
            a.opts.emplace(key, argv[++i]);
        } else {
            return false;
        }
    }
    LocalFree(argv);
    return true;
}

// The names ClusSvc's tools print for a group's and a resource's states.
enum class StateOf { group, resource };
const struct {
    StateOf of;
    LONG state;
    const wchar_t* name;
} kStateNames[] = {
    {StateOf::group, clus::kGroupOnline, L"Online"},
    {StateOf::group, clus::kGroupOffline, L"Offline"},
    {StateOf::group, clus::kGroupFailed, L"Failed"},
    {StateOf::group, clus::kGroupPartialOnline, L"PartialOnline"},
    {StateOf::group, clus::kGroupPending, L"Pending"},
    {StateOf::resource, clus::kResourceOnline, L"Online"},
    {StateOf::resource, clus::kResourceOffline, L"Offline"},
    {StateOf::resource, clus::kResourceFailed, L"Failed"},
    {StateOf::resource, clus::kResourceOnlinePending, L"OnlinePending"},
    {StateOf::resource, clus::kResourceOfflinePending, L"OfflinePending"},
};

std::wstring state_name(StateOf of, LONG s) {
    for (const auto& n : kStateNames)
        if (n.of == of && n.state == s) return n.name;
    return L"Unknown";
}

std::wstring group_state_name(LONG s) { return state_name(StateOf::group, s); }
std::wstring resource_state_name(LONG s) { return state_name(StateOf::resource, s); }

// ---- the registry side of the restore ----------------------------------

// The DACL part ("D:...") of HKLM\path, or "" when it cannot be read.
std::wstring read_dacl(const std::wstring& path) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, READ_CONTROL | KEY_WOW64_64KEY, &key) !=
        ERROR_SUCCESS) {
        return L"";
    }
    DWORD size = 0;
    RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, nullptr, &size);
    std::vector<BYTE> buf(size ? size : 1);
    std::wstring out;
    if (RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, buf.data(), &size) == ERROR_SUCCESS) {
        wchar_t* text = nullptr;
        if (ConvertSecurityDescriptorToStringSecurityDescriptorW(
                buf.data(), SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
            out = text;
            LocalFree(text);
        }
    }
    RegCloseKey(key);
    return out;
}

ACCESS_MASK map_generic(ACCESS_MASK m) {
    if (m & GENERIC_READ) m |= KEY_READ;
    if (m & GENERIC_WRITE) m |= KEY_WRITE;
    if (m & GENERIC_EXECUTE) m |= KEY_EXECUTE;
    if (m & GENERIC_ALL) m |= KEY_ALL_ACCESS;
    return m & ~(GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL);
}

// Does the key's DACL grant KEY_ALL_ACCESS to `account` on the key and,
// through CI ACEs, to its subkeys? Evaluated here, ACE by ACE in order
// (deny before allow as written), because Wine's GetEffectiveRightsFromAcl is
// a stub. Only ACEs for the account itself or Everyone count: the simulated
// service account's group memberships are not modelled. "" = granted, else why.
std::wstring check_access(const std::wstring& path, const std::wstring& account) {
    HKEY key = nullptr;
    LONG rc =
        RegOpenKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, READ_CONTROL | KEY_WOW64_64KEY, &key);
    if (rc == ERROR_FILE_NOT_FOUND) return L"";  // the restore creates it
    if (rc != ERROR_SUCCESS)
        return L"cannot read its security (error " + std::to_wstring(rc) + L")";
    DWORD size = 0;
    RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, nullptr, &size);
    std::vector<BYTE> sd(size ? size : 1);
    rc = RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, sd.data(), &size);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS) return L"cannot read its DACL (error " + std::to_wstring(rc) + L")";
    BOOL present = FALSE;
    BOOL defaulted = FALSE;
    PACL dacl = nullptr;
    if (!GetSecurityDescriptorDacl(sd.data(), &present, &dacl, &defaulted))
        return L"bad descriptor";
    if (!present || !dacl) return L"";  // no DACL: everyone has everything
    PSID sid = nullptr;
    if (!ConvertStringSidToSidW(account.c_str(), &sid)) return L"bad account SID " + account;
    SID_IDENTIFIER_AUTHORITY world = SECURITY_WORLD_SID_AUTHORITY;
    PSID everyone = nullptr;
    AllocateAndInitializeSid(&world, 1, SECURITY_WORLD_RID, 0, 0, 0, 0, 0, 0, 0, &everyone);
    ACCESS_MASK key_allow = 0, key_deny = 0, sub_allow = 0, sub_deny = 0;
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
        void* raw = nullptr;
        if (!GetAce(dacl, i, &raw)) continue;
        auto* header = static_cast<ACE_HEADER*>(raw);
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE && header->AceType != ACCESS_DENIED_ACE_TYPE)
            continue;
        // ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE share this layout.
        auto* ace = static_cast<ACCESS_ALLOWED_ACE*>(raw);
        PSID ace_sid = &ace->SidStart;
        if (!EqualSid(ace_sid, sid) && !EqualSid(ace_sid, everyone)) continue;
        const ACCESS_MASK mask = map_generic(ace->Mask);
        const bool allow = header->AceType == ACCESS_ALLOWED_ACE_TYPE;
        auto apply = [&](ACCESS_MASK& granted, ACCESS_MASK& denied) {
            if (allow) {
                granted |= mask & ~denied;
            } else {
                denied |= mask & ~granted;
            }
        };
        if (!(header->AceFlags & INHERIT_ONLY_ACE)) apply(key_allow, key_deny);
        if (header->AceFlags & CONTAINER_INHERIT_ACE) apply(sub_allow, sub_deny);
    }
    LocalFree(sid);
    FreeSid(everyone);
    const ACCESS_MASK need = KEY_ALL_ACCESS;
    if ((key_allow & need) == need && (sub_allow & need) == need) return L"";
    wchar_t text[200];
    swprintf(text, 200,
             L"the DACL does not grant KEY_ALL_ACCESS with CI to %ls (key 0x%lx, subkeys 0x%lx)",
             account.c_str(), static_cast<unsigned long>(key_allow & need),
             static_cast<unsigned long>(sub_allow & need));
    return text;
}

// ---- the handle witness --------------------------------------------------
// NtQuerySystemInformation(SystemExtendedHandleInformation = 64) lists every
// handle of every process; each one is duplicated into this process and named
// with NtQueryObject(ObjectNameInformation). Key handles are named
// \REGISTRY\MACHINE\... (Wine writes \REGISTRY\Machine\...: compared without
// case). Measured under Wine 8.0 to list other processes' key handles,
// subkeys included (docs/testing.md (c2)).

using NTSTATUS_ = LONG;
struct HandleEntry {
    PVOID Object;
    ULONG_PTR UniqueProcessId;
    ULONG_PTR HandleValue;
    ULONG GrantedAccess;
    USHORT CreatorBackTraceIndex;
    USHORT ObjectTypeIndex;
    ULONG HandleAttributes;
    ULONG Reserved;
};
struct HandleInfo {
    ULONG_PTR NumberOfHandles;
    ULONG_PTR Reserved;
    HandleEntry Handles[1];
};
struct UnicodeString {
    USHORT Length;
    USHORT MaximumLength;
    PWSTR Buffer;
};
using NtQuerySystemInformationFn = NTSTATUS_(WINAPI*)(ULONG, PVOID, ULONG, PULONG);
using NtQueryObjectFn = NTSTATUS_(WINAPI*)(HANDLE, ULONG, PVOID, ULONG, PULONG);
constexpr ULONG kSystemExtendedHandleInformation = 64;
constexpr ULONG kObjectNameInformation = 1;
constexpr ULONG kObjectTypeInformation = 2;
constexpr NTSTATUS_ kInfoLengthMismatch = static_cast<NTSTATUS_>(0xC0000004);

struct OpenKeyHandle {
    DWORD pid;
    ULONG_PTR handle;
    std::wstring name;
};

template <typename Fn>
Fn ntdll(const char* name) {
    return reinterpret_cast<Fn>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), name)));
}

std::wstring upper(std::wstring s) {
    for (auto& c : s) c = static_cast<wchar_t>(towupper(c));
    return s;
}

// Key handles of other processes on HKLM\path or below. `error` is set when
// the witness itself could not run.
std::vector<OpenKeyHandle> key_handles_under(const std::wstring& path, std::wstring& error) {
    std::vector<OpenKeyHandle> out;
    auto query_system = ntdll<NtQuerySystemInformationFn>("NtQuerySystemInformation");
    auto query_object = ntdll<NtQueryObjectFn>("NtQueryObject");
    if (!query_system || !query_object) {
        error = L"ntdll has no NtQuerySystemInformation/NtQueryObject";
        return out;
    }
    std::vector<BYTE> buf(1 << 16);
    NTSTATUS_ st = 0;
    for (int i = 0; i < 12; ++i) {
        ULONG needed = 0;
        st = query_system(kSystemExtendedHandleInformation, buf.data(),
                          static_cast<ULONG>(buf.size()), &needed);
        if (st != kInfoLengthMismatch) break;
        buf.resize(std::max<size_t>(buf.size() * 2, needed + 4096));
    }
    if (st != 0) {
        wchar_t text[80];
        swprintf(text, 80, L"NtQuerySystemInformation(64) failed: 0x%08lx",
                 static_cast<unsigned long>(st));
        error = text;
        return out;
    }
    const std::wstring prefix = upper(L"\\REGISTRY\\MACHINE\\" + path);
    const auto* info = reinterpret_cast<const HandleInfo*>(buf.data());
    const DWORD self = GetCurrentProcessId();
    std::map<DWORD, HANDLE> processes;
    std::vector<BYTE> obj(8192);
    for (ULONG_PTR i = 0; i < info->NumberOfHandles; ++i) {
        const HandleEntry& e = info->Handles[i];
        const auto pid = static_cast<DWORD>(e.UniqueProcessId);
        if (pid == self) continue;
        HANDLE& proc = processes[pid];
        if (!proc) proc = OpenProcess(PROCESS_DUP_HANDLE, FALSE, pid);
        if (!proc) continue;
        HANDLE dup = nullptr;
        if (!DuplicateHandle(proc, reinterpret_cast<HANDLE>(e.HandleValue), GetCurrentProcess(),
                             &dup, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
            continue;
        }
        // Type first: naming a synchronous pipe can block on Windows.
        ULONG len = 0;
        bool is_key = false;
        if (query_object(dup, kObjectTypeInformation, obj.data(), static_cast<ULONG>(obj.size()),
                         &len) == 0) {
            const auto* type = reinterpret_cast<const UnicodeString*>(obj.data());
            is_key = std::wstring(type->Buffer, type->Length / sizeof(wchar_t)) == L"Key";
        }
        if (is_key && query_object(dup, kObjectNameInformation, obj.data(),
                                   static_cast<ULONG>(obj.size()), &len) == 0) {
            const auto* name = reinterpret_cast<const UnicodeString*>(obj.data());
            std::wstring text(name->Buffer, name->Length / sizeof(wchar_t));
            const std::wstring up = upper(text);
            if (up == prefix || up.rfind(prefix + L"\\", 0) == 0) {
                out.push_back(OpenKeyHandle{pid, e.HandleValue, text});
            }
        }
        CloseHandle(dup);
    }
    for (auto& [pid, proc] : processes)
        if (proc) CloseHandle(proc);
    return out;
}

// One line per handle the witness found.
void say_held(const std::vector<OpenKeyHandle>& held) {
    for (const auto& h : held) {
        wchar_t text[64];
        swprintf(text, 64, L"witness: pid %lu handle 0x%llx ", static_cast<unsigned long>(h.pid),
                 static_cast<unsigned long long>(h.handle));
        say(text + h.name);
    }
}

// The restore of one checkpoint: "" done, else why it failed.
std::wstring restore(const clussim::Resource& r, DWORD index) {
    const std::wstring path = r.checkpoint[index];
    std::wstring why = check_access(path, r.account);
    if (!why.empty()) return why;
    std::wstring witness_error;
    const auto held = key_handles_under(path, witness_error);
    if (!witness_error.empty()) return L"handle witness failed: " + witness_error;
    say_held(held);
    if (!held.empty()) {
        wchar_t text[256];
        swprintf(text, 256,
                 L"%zu handle(s) are open inside the subtree (first: pid %lu) - no other process "
                 L"may have a key open in this registry subtree",
                 held.size(), static_cast<unsigned long>(held[0].pid));
        return text;
    }
    say(L"witness: no other process holds a key in HKLM\\" + path);
    // The restore rewrites the key: here, the DACL saved as the checkpoint.
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path.c_str(), 0, nullptr, 0,
                              WRITE_DAC | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS)
        return L"cannot open the key to restore it (error " + std::to_wstring(rc) + L")";
    const std::wstring saved = r.saved_dacl[index];
    if (!saved.empty()) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(saved.c_str(), SDDL_REVISION_1,
                                                                  &sd, nullptr)) {
            RegCloseKey(key);
            return L"the saved checkpoint DACL does not parse: " + saved;
        }
        rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
        LocalFree(sd);
        if (rc != ERROR_SUCCESS) {
            RegCloseKey(key);
            return L"cannot write the saved DACL (error " + std::to_wstring(rc) + L")";
        }
        say(L"restored HKLM\\" + path + L" with DACL " + saved);
    } else {
        say(L"restored HKLM\\" + path + L" (no saved DACL)");
    }
    RegCloseKey(key);
    return L"";
}

// ---- the node's copy of the cluster database --------------------------------

std::wstring resource_key(const wchar_t* name) {
    return L"Cluster\\Resources\\" + clussim::resource_id(name);
}

// Removes the resource's key (and its RegSync) from HKLM\Cluster\Resources.
void delete_regsync(const wchar_t* name) {
    HKEY resources = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"Cluster\\Resources", 0,
                      KEY_ALL_ACCESS | KEY_WOW64_64KEY, &resources) != ERROR_SUCCESS) {
        return;
    }
    RegDeleteTreeW(resources, clussim::resource_id(name).c_str());
    RegCloseKey(resources);
}

// What ClusSvc keeps for a resource in the local cluster database: its name,
// and its registry checkpoints under RegSync. "" done, else what failed.
std::wstring write_regsync(const clussim::Resource& r) {
    delete_regsync(r.name);
    const std::wstring base = resource_key(r.name);
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, (base + L"\\RegSync").c_str(), 0, nullptr, 0,
                              KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS)
        return L"creating HKLM\\" + base + L"\\RegSync: " + std::to_wstring(rc);
    for (DWORD i = 0; i < r.checkpoint_count && rc == ERROR_SUCCESS; ++i) {
        wchar_t name[16];
        swprintf(name, 16, L"%08lX", static_cast<unsigned long>(i + 1));
        rc = RegSetValueExW(key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(r.checkpoint[i]),
                            static_cast<DWORD>((wcslen(r.checkpoint[i]) + 1) * sizeof(wchar_t)));
    }
    RegCloseKey(key);
    if (rc == ERROR_SUCCESS) {
        rc = RegSetKeyValueW(HKEY_LOCAL_MACHINE, base.c_str(), L"Name", REG_SZ, r.name,
                             static_cast<DWORD>((wcslen(r.name) + 1) * sizeof(wchar_t)));
    }
    if (rc != ERROR_SUCCESS) return L"writing HKLM\\" + base + L": " + std::to_wstring(rc);
    say(L"resource '" + std::wstring(r.name) + L"' id " + clussim::resource_id(r.name) +
        L": RegSync copy written to HKLM\\" + base + L"\\RegSync");
    return L"";
}

// ---- commands ---------------------------------------------------------------

void set_group(clussim::State& s, clussim::Group& g, const std::wstring& owner, LONG state) {
    const bool moved = !clussim::same(g.owner, owner.c_str());
    say(L"group '" + std::wstring(g.name) + L"' owner " + g.owner + L" -> " + owner + L", state " +
        group_state_name(g.state) + L" -> " + group_state_name(state));
    clussim::copy(g.owner, clussim::kName, owner);
    g.state = state;
    push(s, clus::kChangeGroupState, clus::kObjectTypeGroup,
         clus::kGroupStateV2 | (moved ? clus::kGroupOwnerNodeV2 : 0), g.name);
}

void set_resource(clussim::State& s, clussim::Resource& r, LONG state) {
    say(L"resource '" + std::wstring(r.name) + L"' " + resource_state_name(r.state) + L" -> " +
        resource_state_name(state));
    r.state = state;
    push(s, clus::kChangeResourceState, clus::kObjectTypeResource, clus::kResourceStateV2, r.name,
         r.group);
}

bool fill_resource(clussim::Resource& r, const Args& a, const std::wstring& group) {
    r = clussim::Resource{};
    r.used = 1;
    r.state = clus::kResourceOnline;
    clussim::copy(r.name, clussim::kName, a.get(L"--resource"));
    clussim::copy(r.group, clussim::kName, group);
    clussim::copy(r.account, clussim::kName, a.get(L"--account", L"S-1-5-18"));
    // A service name alone makes a Generic Service: only that type has one.
    const std::wstring type =
        a.get(L"--type",
              a.has(L"--service-name") ? clussim::kGenericService : clussim::kGenericApplication);
    clussim::copy(r.type, clussim::kName, type);
    clussim::copy(r.service_name, clussim::kName, a.get(L"--service-name"));
    if (r.service_name[0] && !clussim::same(r.type, clussim::kGenericService)) {
        say(L"resource '" + std::wstring(r.name) + L"': a service name on a '" + type +
            L"', which has no ServiceName property: it is kept but not answered");
    }
    for (const auto& cp : a.all(L"--checkpoint")) {
        if (r.checkpoint_count >= clussim::kCheckpoints) break;
        std::wstring path = cp;
        while (!path.empty() && path.front() == L'\\') path.erase(0, 1);
        const DWORD i = r.checkpoint_count++;
        clussim::copy(r.checkpoint[i], clussim::kPath, path);
        const std::wstring dacl =
            a.has(L"--restore-dacl") ? a.get(L"--restore-dacl") : read_dacl(path);
        clussim::copy(r.saved_dacl[i], clussim::kSddl, dacl);
        say(L"resource '" + std::wstring(r.name) + L"' checkpoint HKLM\\" + path +
            L", saved DACL " + (dacl.empty() ? L"(none)" : dacl) + L", account " + r.account);
    }
    if (r.name[0] == L'\0') return false;
    const std::wstring why = write_regsync(r);
    if (!why.empty()) say(L"the RegSync copy could not be written: " + why);
    return why.empty();
}

int cmd_setup(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    if (s.magic == clussim::kMagic) {
        for (const auto& r : s.resources)
            if (r.used) delete_regsync(r.name);  // an earlier session's copies
    }
    const DWORD epoch = s.magic == clussim::kMagic ? s.epoch + 1 : 1;
    const ULONGLONG seq = s.magic == clussim::kMagic ? s.next_seq : 0;
    // Not `s = State{}`: the state (with the cluster database) is megabytes,
    // too big for a temporary on the stack.
    ZeroMemory(&s, sizeof s);
    s.magic = clussim::kMagic;
    s.version = clussim::kVersion;
    s.running = 1;
    s.epoch = epoch;
    s.next_seq = seq;  // ports of an earlier session fail on the epoch anyway
    const std::wstring node = a.get(L"--node", L"NODE1");
    const std::wstring other = a.get(L"--other-node", L"NODE2");
    clussim::copy(s.cluster_name, clussim::kName, a.get(L"--cluster", L"PWCLUSTER"));
    clussim::copy(s.local_node, clussim::kName, node);
    s.nodes[0] = clussim::Node{1, 1, 1, {}};
    clussim::copy(s.nodes[0].name, clussim::kName, node);
    s.nodes[1] = clussim::Node{1, 1, 2, {}};
    clussim::copy(s.nodes[1].name, clussim::kName, other);
    const std::wstring group = a.get(L"--group", L"Cluster Group");
    s.groups[0].used = 1;
    s.groups[0].state = clus::kGroupOnline;
    clussim::copy(s.groups[0].name, clussim::kName, group);
    clussim::copy(s.groups[0].owner, clussim::kName, a.get(L"--owner", other));
    clussim::copy(s.setup_owner, clussim::kName, s.groups[0].owner);
    say(L"cluster '" + std::wstring(s.cluster_name) + L"', this node " + node + L", other node " +
        other + L", group '" + group + L"' on " + s.groups[0].owner);
    if (a.get(L"--checkpoint-control") == L"fails") {
        s.checkpoint_control_error = clussim::kCheckpointControlError;
        say(L"CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS fails (error 1726)");
    }
    if (a.has(L"--resource") && !fill_resource(s.resources[0], a, group)) return 2;
    return 0;
}

clussim::Group* pick_group(clussim::State& s, const Args& a) {
    if (a.has(L"--group")) return clussim::find_group(s, a.get(L"--group").c_str());
    for (auto& g : s.groups)
        if (g.used) return &g;
    return nullptr;
}

// Owner -> `to`, group Pending, resources OnlinePending; after the grace time
// the restore (only when `to` is this node: the registry here is this node's);
// then Online, or Failed with event 1024.
struct Disruption {
    bool drop = false;  // break every notify port as the move starts
    DWORD down_ms = 0;  // then unreachable for this long
    bool no_restore = false;
    bool restore_first = false;  // a crash: the restore before any notification
};

// Every checkpoint of `r` restored in turn: "" done, else why it failed (and
// `failed_key`, the checkpoint it failed on).
std::wstring restore_resource(const clussim::Resource& r, std::wstring& failed_key) {
    for (DWORD i = 0; i < r.checkpoint_count; ++i) {
        std::wstring why = restore(r, i);
        if (!why.empty()) {
            failed_key = r.checkpoint[i];
            return why;
        }
    }
    return L"";
}

int failover(clussim::Mapping& m, clussim::Group& g, const std::wstring& to, DWORD grace_ms,
             const Disruption& d = {}) {
    clussim::State& s = *m.state();
    const bool here = clussim::same(to.c_str(), clussim::this_node(s).c_str());
    std::vector<clussim::Resource*> resources;
    {
        clussim::Lock lock(m);
        for (auto& r : s.resources) {
            if (r.used && clussim::same(r.group, g.name)) resources.push_back(&r);
        }
    }
    // Restored before anyone is told: the results wait until the states are
    // posted below.
    std::map<clussim::Resource*, std::pair<std::wstring, std::wstring>> early;
    if (d.restore_first) {
        say(L"the restore runs before any notification of the move is posted");
        for (clussim::Resource* r : resources) {
            std::wstring failed_key;
            std::wstring why = here ? restore_resource(*r, failed_key) : L"";
            early[r] = {why, failed_key};
        }
    }
    {
        clussim::Lock lock(m);
        set_group(s, g, to, clus::kGroupPending);
        for (clussim::Resource* r : resources) set_resource(s, *r, clus::kResourceOnlinePending);
        if (d.drop) {
            ++s.epoch;
            say(L"connection dropped as the move started: its notifications are lost");
        }
        if (d.down_ms) {
            s.down_until = GetTickCount64() + d.down_ms;
            say(L"cluster unreachable (1722) for " + std::to_wstring(d.down_ms) + L" ms");
        }
    }
    if (d.no_restore) {
        say(L"group left pending on " + to);
        return 0;
    }
    if (!d.restore_first) {
        say(L"waiting " + std::to_wstring(grace_ms) + L" ms before the checkpoint restore");
        Sleep(grace_ms);
    }
    int rc = 0;
    for (clussim::Resource* r : resources) {
        std::wstring why;
        std::wstring failed_key;
        if (d.restore_first) {
            std::tie(why, failed_key) = early[r];
        } else if (here) {
            why = restore_resource(*r, failed_key);
        }
        clussim::Lock lock(m);
        if (why.empty()) {
            set_resource(s, *r, clus::kResourceOnline);
        } else {
            // What ClusSvc writes to the System log (event 1024, ClusSvc).
            say(L"event 1024: The registry checkpoint for cluster resource '" +
                std::wstring(r->name) +
                L"' could not be restored to registry key "
                L"HKEY_LOCAL_MACHINE\\" +
                failed_key + L": " + why);
            set_resource(s, *r, clus::kResourceFailed);
            rc = 1;
        }
    }
    clussim::Lock lock(m);
    set_group(s, g, to, rc == 0 ? clus::kGroupOnline : clus::kGroupFailed);
    return rc;
}

int cmd_failover(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Group* g = pick_group(s, a);
    if (!g) {
        say(L"no such group");
        return 2;
    }
    Disruption d;
    d.drop = a.has(L"--drop-at-start");
    d.down_ms = static_cast<DWORD>(std::stoul(a.get(L"--down-ms", L"0")));
    d.no_restore = a.has(L"--no-restore");
    d.restore_first = a.has(L"--crash");
    return failover(m, *g, a.get(L"--to", clussim::this_node(s)),
                    static_cast<DWORD>(std::stoul(a.get(L"--grace-ms", L"500"))), d);
}

std::wstring other_node(const clussim::State& s, const std::wstring& not_this) {
    for (const auto& n : s.nodes)
        if (n.used && n.up && !clussim::same(n.name, not_this.c_str())) return n.name;
    return L"";
}

// Every resource of `g` offline-pending, then offline. Under the lock.
void take_offline(clussim::State& s, const clussim::Group& g) {
    for (auto& r : s.resources) {
        if (!r.used || !clussim::same(r.group, g.name)) continue;
        set_resource(s, r, clus::kResourceOfflinePending);
        set_resource(s, r, clus::kResourceOffline);
    }
}

int move_away(clussim::Mapping& m, clussim::Group& g, const std::wstring& to) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    take_offline(s, g);
    set_group(s, g, to, clus::kGroupPending);
    for (auto& r : s.resources)
        if (r.used && clussim::same(r.group, g.name)) r.state = clus::kResourceOnline;
    set_group(s, g, to, clus::kGroupOnline);
    return 0;
}

// Offline, then online on the same node: the restore runs at every online.
int cmd_restart(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Group* g = pick_group(s, a);
    if (!g) {
        say(L"no such group");
        return 2;
    }
    {
        clussim::Lock lock(m);
        take_offline(s, *g);
        set_group(s, *g, g->owner, clus::kGroupOffline);
    }
    Disruption crash;
    crash.restore_first = true;
    return failover(m, *g, g->owner, 0, crash);
}

int cmd_move_away(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Group* g = pick_group(s, a);
    if (!g) {
        say(L"no such group");
        return 2;
    }
    return move_away(m, *g, a.get(L"--to", other_node(s, clussim::this_node(s))));
}

// A node goes down: its groups fail over (to this node when another node went
// down, away from this node when this node is the one going down).
int cmd_node_down(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    const std::wstring down = a.get(L"--node", other_node(s, clussim::this_node(s)));
    clussim::Node* node = clussim::find_node(s, down.c_str());
    if (!node) {
        say(L"no such node " + down);
        return 2;
    }
    {
        clussim::Lock lock(m);
        node->up = 0;
    }
    say(L"node " + down + L" is down");
    int rc = 0;
    for (auto& g : s.groups) {
        if (!g.used || !clussim::same(g.owner, down.c_str())) continue;
        const std::wstring to = other_node(s, down);
        if (to.empty()) continue;
        if (clussim::same(down.c_str(), clussim::this_node(s).c_str())) {
            rc |= move_away(m, g, to);
        } else {
            rc |= failover(m, g, to, static_cast<DWORD>(std::stoul(a.get(L"--grace-ms", L"500"))));
        }
    }
    return rc;
}

int cmd_drop(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    if (a.has(L"--reconnect")) {
        push(s, clus::kChangeClusterReconnect, clus::kObjectTypeCluster, clus::kClusterReconnectV2,
             s.cluster_name);
        say(L"connection re-established: reconnect notification posted");
    } else {
        ++s.epoch;
        say(L"connection dropped: every open notify port now fails");
    }
    return 0;
}

int cmd_add(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    clussim::Group* g = pick_group(s, a);
    if (!g || clussim::find_resource(s, a.get(L"--resource").c_str())) {
        say(L"no such group, or the resource exists");
        return 2;
    }
    for (auto& r : s.resources) {
        if (r.used) continue;
        fill_resource(r, a, g->name);
        say(L"resource '" + std::wstring(r.name) + L"' added to group '" + g->name + L"'");
        push(s, clus::kChangeResourceAdded, clus::kObjectTypeGroup, clus::kGroupResourceAddedV2,
             g->name);
        return 0;
    }
    say(L"no room for another resource");
    return 2;
}

int cmd_delete(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    clussim::Resource* r = clussim::find_resource(s, a.get(L"--resource").c_str());
    if (!r) {
        say(L"no such resource");
        return 2;
    }
    const std::wstring name = r->name;
    const std::wstring group = r->group;
    delete_regsync(r->name);
    *r = clussim::Resource{};
    say(L"resource '" + name + L"' deleted");
    push(s, clus::kChangeResourceDeleted, clus::kObjectTypeResource, clus::kResourceDeletedV2, name,
         group);
    return 0;
}

// A group created and brought online on its owner, as by New-ClusterGroup
// and Start-ClusterGroup; ClusSvc tells of it with a group-added notification
// (on the cluster object for V2) named after the group.
int cmd_add_group(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    const std::wstring name = a.get(L"--group");
    if (name.empty() || clussim::find_group(s, name.c_str())) {
        say(L"add-group needs --group NAME of a group that does not exist");
        return 2;
    }
    const std::wstring owner = a.get(L"--owner", s.setup_owner);
    if (!clussim::find_node(s, owner.c_str())) {
        say(L"no such node " + owner);
        return 2;
    }
    for (auto& g : s.groups) {
        if (g.used) continue;
        g = clussim::Group{};
        g.used = 1;
        g.state = clus::kGroupOnline;
        clussim::copy(g.name, clussim::kName, name);
        clussim::copy(g.owner, clussim::kName, owner);
        say(L"group '" + std::wstring(g.name) + L"' added, online on " + g.owner);
        push(s, clus::kChangeGroupAdded, clus::kObjectTypeCluster, clus::kClusterGroupAddedV2,
             g.name);
        return 0;
    }
    say(L"no room for another group");
    return 2;
}

// A group deleted, as by Remove-ClusterGroup: refused while it holds
// resources (Windows asks for them to be removed or moved first).
int cmd_delete_group(clussim::Mapping& m, const Args& a) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    clussim::Group* g = clussim::find_group(s, a.get(L"--group").c_str());
    if (!g) {
        say(L"no such group");
        return 2;
    }
    for (const auto& r : s.resources) {
        if (r.used && clussim::same(r.group, g->name)) {
            say(L"group '" + std::wstring(g->name) + L"' still has resource '" + r.name +
                L"': delete its resources first");
            return 2;
        }
    }
    const std::wstring name = g->name;
    *g = clussim::Group{};
    say(L"group '" + name + L"' deleted");
    push(s, clus::kChangeGroupDeleted, clus::kObjectTypeGroup, clus::kGroupDeletedV2, name);
    return 0;
}

// `hostile --mode`: one mode at a time; prints the largest buffer offered so
// far (State::largest_offer), then starts counting again.
int cmd_hostile(clussim::Mapping& m, const Args& a) {
    static const struct {
        const wchar_t* mode;
        DWORD sizes;
        DWORD list;
    } kModes[] = {
        {L"off", 0, 0},
        {L"sizes", clussim::kHostileSizes, 0},
        {L"property-list-past-end", 0, clussim::kHostileListPastEnd},
        {L"property-list-no-endmark", 0, clussim::kHostileListNoEndmark},
        {L"property-list-huge-count", 0, clussim::kHostileListHugeCount},
    };
    const std::wstring mode = a.get(L"--mode", L"off");
    for (const auto& k : kModes) {
        if (mode != k.mode) continue;
        clussim::Lock lock(m);
        clussim::State& s = *m.state();
        say(L"largest buffer offered: " + std::to_wstring(s.largest_offer) + L" bytes");
        s.largest_offer = 0;
        s.hostile = k.sizes;
        s.hostile_property_list = k.list;
        say(L"hostile sizes " + std::wstring(s.hostile ? L"on" : L"off"));
        say(L"hostile property list " +
            std::wstring(k.list ? mode.substr(wcslen(L"property-list-")) : L"off"));
        return 0;
    }
    say(L"unknown hostile mode " + mode);
    return 2;
}

int cmd_status(clussim::Mapping& m) {
    clussim::State& s = *m.state();
    clussim::Lock lock(m);
    say(L"cluster '" + std::wstring(s.cluster_name) + L"' " +
        (s.running ? L"running" : L"stopped") + L", this node " + clussim::this_node(s) +
        L", epoch " + std::to_wstring(s.epoch) + L", notifications " + std::to_wstring(s.next_seq));
    for (const auto& g : s.groups)
        if (g.used)
            say(L"group '" + std::wstring(g.name) + L"' on " + g.owner + L" " +
                group_state_name(g.state));
    for (const auto& r : s.resources) {
        if (!r.used) continue;
        say(L"resource '" + std::wstring(r.name) + L"' in '" + r.group + L"' " +
            resource_state_name(r.state) + L", type '" + r.type + L"', service name '" +
            r.service_name + L"'");
        for (DWORD i = 0; i < r.checkpoint_count; ++i)
            say(L"  checkpoint HKLM\\" + std::wstring(r.checkpoint[i]));
    }
    clussim::say_owners(s);
    return 0;
}

int cmd_handles(const Args& a) {
    const bool watch = a.has(L"--watch-ms");
    const ULONGLONG watch_ms = std::stoull(a.get(L"--watch-ms", L"0"));
    const DWORD every_ms = static_cast<DWORD>(std::stoul(a.get(L"--every-ms", L"50")));
    const ULONGLONG end = GetTickCount64() + watch_ms;
    unsigned long scans = 0, found = 0, scans_with_handles = 0;
    do {
        std::wstring error;
        const auto held = key_handles_under(a.get(L"--key"), error);
        if (!error.empty()) {
            say(error);
            return 2;
        }
        ++scans;
        found += static_cast<unsigned long>(held.size());
        if (!held.empty()) ++scans_with_handles;
        say_held(held);
        if (!watch) {
            say(std::to_wstring(held.size()) + L" handle(s) inside HKLM\\" + a.get(L"--key"));
            return 0;
        }
        Sleep(every_ms);
    } while (GetTickCount64() < end);
    say(std::to_wstring(scans) + L" scans, " + std::to_wstring(scans_with_handles) +
        L" with handles (" + std::to_wstring(found) + L" in all) inside HKLM\\" + a.get(L"--key"));
    return scans_with_handles ? 1 : 0;
}

}  // namespace

int main() {
    Args a;
    if (!parse(a)) {
        std::fprintf(stderr,
                     "usage: clussim setup|failover|restart|move-away|node-down|drop-connection|"
                     "add-resource|delete-resource|add-group|delete-group|handles|status|hostile|"
                     "checkpoint-control|"
                     "teardown|add-node|node-up|set-preferred|set-possible|db-set|db-get|"
                     "db-delete|db-dump [--option value]...\n");
        return 2;
    }
    if (a.command == L"handles") return cmd_handles(a);
    // The cluster database through the fake clusapi.dll's own exports, as a
    // node's PermWatch reads and writes it (clussim_database.cpp).
    if (a.command == L"db-set") {
        std::wstring text;
        const unsigned long repeat = wcstoul(a.get(L"--repeat", L"1").c_str(), nullptr, 10);
        for (unsigned long i = 0; i < repeat && i < 1000000; ++i) text += a.get(L"--text");
        return clussim::db_set(a.get(L"--key"), a.get(L"--value"), text,
                               a.get(L"--type", L"sz") == L"binary");
    }
    if (a.command == L"db-get") return clussim::db_get(a.get(L"--key"), a.get(L"--value"));
    if (a.command == L"db-delete") return clussim::db_delete(a.get(L"--key"), a.get(L"--value"));
    if (a.command == L"db-dump") return clussim::db_dump(a.get(L"--key"));
    clussim::Mapping m;
    if (!m.open(a.command == L"setup")) {
        say(L"no simulated cluster (run clussim setup first)");
        return 2;
    }
    if (a.command == L"setup") return cmd_setup(m, a);
    if (!m.valid() || !m.state()->running) {
        say(L"the simulated cluster is not running (run clussim setup first)");
        return 2;
    }
    try {
        if (a.command == L"failover") return cmd_failover(m, a);
        if (a.command == L"move-away") return cmd_move_away(m, a);
        if (a.command == L"restart") return cmd_restart(m, a);
        if (a.command == L"node-down") return cmd_node_down(m, a);
        if (a.command == L"drop-connection") return cmd_drop(m, a);
        if (a.command == L"add-resource") return cmd_add(m, a);
        if (a.command == L"delete-resource") return cmd_delete(m, a);
        if (a.command == L"status") return cmd_status(m);
        if (a.command == L"add-node") return clussim::add_node(m, a.get(L"--node"));
        if (a.command == L"node-up") return clussim::node_up(m, a.get(L"--node"));
        if (a.command == L"set-preferred")
            return clussim::set_preferred(m, a.get(L"--group"), a.get(L"--nodes"));
        if (a.command == L"set-possible")
            return clussim::set_possible(m, a.get(L"--resource"), a.get(L"--nodes", L"all"));
        if (a.command == L"hostile") return cmd_hostile(m, a);
        if (a.command == L"add-group") return cmd_add_group(m, a);
        if (a.command == L"delete-group") return cmd_delete_group(m, a);
        if (a.command == L"checkpoint-control") {
            clussim::Lock lock(m);
            const std::wstring mode = a.get(L"--mode", L"works");
            m.state()->checkpoint_control_error =
                mode == L"fails" ? clussim::kCheckpointControlError : 0;
            say(L"CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS " +
                std::wstring(mode == L"fails" ? L"fails (error 1726)" : L"works"));
            return 0;
        }
        if (a.command == L"teardown") {
            clussim::Lock lock(m);
            for (const auto& r : m.state()->resources)
                if (r.used) delete_regsync(r.name);
            m.state()->running = 0;
            ++m.state()->epoch;
            say(L"cluster stopped");
            return 0;
        }
    } catch (const std::exception& e) {
        std::printf("clussim: error: %s\n", e.what());
        return 2;
    }
    say(L"unknown command " + a.command);
    return 2;
}
