// The link checks of the bare loops, made with no PermWatch code around them:
// the checks a key opened by its path inside a checkpoint needs (a link on
// the way sends the open elsewhere, a key that is itself a link sends the
// write elsewhere; docs/security.md, registry links). Both benches measure
// them against PermWatch's own, so both make the same calls.
#pragma once

#include <windows.h>

namespace permwatch::bench {

using NtQueryKeyFn = LONG(WINAPI*)(HANDLE, int, void*, ULONG, ULONG*);

// ntdll's NtQueryKey, or nullptr where ntdll lacks it.
inline NtQueryKeyFn load_nt_query_key() {
    return reinterpret_cast<NtQueryKeyFn>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtQueryKey")));
}

// Asks the kernel for the name of what `key` opened (a link on the way gives
// the target's name); false when the call fails or there is no NtQueryKey.
inline bool bare_query_key_name(NtQueryKeyFn nt_query_key, HKEY key) {
    alignas(8) unsigned char name[2048];
    ULONG name_size = 0;
    constexpr int kKeyNameInformation = 3;
    return nt_query_key &&
           nt_query_key(key, kKeyNameInformation, name, sizeof name, &name_size) == 0;
}

// Reads `key`'s SymbolicLinkValue; true when it has none (the key itself is
// not a link), false when it has one or the read fails otherwise.
inline bool bare_has_no_link_value(HKEY key) {
    wchar_t target[1024];
    DWORD target_size = sizeof target - sizeof(wchar_t), type = REG_NONE;
    return RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &type,
                            reinterpret_cast<BYTE*>(target), &target_size) == ERROR_FILE_NOT_FOUND;
}

}  // namespace permwatch::bench
