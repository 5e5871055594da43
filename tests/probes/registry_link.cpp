// Probe: does Wine support registry symbolic links?
// Creates HKLM\SOFTWARE\PermWatchProbe\Target (with a marker value) and
// HKLM\SOFTWARE\PermWatchProbe\Link with REG_OPTION_CREATE_LINK and a
// SymbolicLinkValue (REG_LINK) naming \REGISTRY\MACHINE\SOFTWARE\PermWatchProbe\Target;
// then opens Link without and with REG_OPTION_OPEN_LINK and says what each
// open sees. Cleans up (the link is deleted through NtDeleteKey on a handle
// opened with REG_OPTION_OPEN_LINK; RegDeleteKey would follow it).
#include <windows.h>

#include <cstdio>
#include <string>

namespace {

using NtDeleteKeyFn = LONG(WINAPI*)(HANDLE);

const wchar_t* const kBase = L"SOFTWARE\\PermWatchProbe";
const wchar_t* const kTarget = L"SOFTWARE\\PermWatchProbe\\Target";
const wchar_t* const kLink = L"SOFTWARE\\PermWatchProbe\\Link";
const wchar_t* const kTargetNt = L"\\REGISTRY\\MACHINE\\SOFTWARE\\PermWatchProbe\\Target";

NtDeleteKeyFn nt_delete_key() {
    return reinterpret_cast<NtDeleteKeyFn>(
        reinterpret_cast<void*>(GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "NtDeleteKey")));
}

// What a handle sees: the marker value (a followed link), and the type of a
// SymbolicLinkValue value (the link itself).
void describe(const char* how, HKEY key) {
    DWORD type = 0;
    DWORD marker = 0;
    DWORD size = sizeof marker;
    const LONG m =
        RegQueryValueExW(key, L"Marker", nullptr, &type, reinterpret_cast<BYTE*>(&marker), &size);
    wchar_t target[512] = {};
    DWORD tsize = sizeof target - sizeof(wchar_t);
    DWORD ttype = 0;
    const LONG l = RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &ttype,
                                    reinterpret_cast<BYTE*>(target), &tsize);
    std::printf("[link] %s: Marker rc %ld (value %lu); SymbolicLinkValue rc %ld type %lu (%s)\n",
                how, m, static_cast<unsigned long>(marker), l, static_cast<unsigned long>(ttype),
                ttype == REG_LINK ? "REG_LINK" : "not REG_LINK");
}

void cleanup() {
    HKEY link = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, kLink, REG_OPTION_OPEN_LINK, DELETE | KEY_WOW64_64KEY,
                      &link) == ERROR_SUCCESS) {
        const auto del = nt_delete_key();
        const LONG rc = del ? del(link) : -1;
        std::printf("[link] cleanup: NtDeleteKey on the link opened with OPEN_LINK: 0x%lx\n",
                    static_cast<unsigned long>(rc));
        RegCloseKey(link);
    }
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kLink, KEY_WOW64_64KEY, 0);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kTarget, KEY_WOW64_64KEY, 0);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kBase, KEY_WOW64_64KEY, 0);
}

}  // namespace

int main() {
    cleanup();
    HKEY target = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, kTarget, 0, nullptr, 0,
                              KEY_ALL_ACCESS | KEY_WOW64_64KEY, nullptr, &target, nullptr);
    if (rc != ERROR_SUCCESS) {
        std::printf("[link] cannot create the target: %ld\n", rc);
        return 1;
    }
    const DWORD marker = 42;
    RegSetValueExW(target, L"Marker", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&marker),
                   sizeof marker);
    RegCloseKey(target);

    HKEY link = nullptr;
    rc = RegCreateKeyExW(
        HKEY_LOCAL_MACHINE, kLink, 0, nullptr, REG_OPTION_CREATE_LINK | REG_OPTION_VOLATILE,
        KEY_ALL_ACCESS | KEY_CREATE_LINK | KEY_WOW64_64KEY, nullptr, &link, nullptr);
    std::printf("[link] RegCreateKeyEx(REG_OPTION_CREATE_LINK | VOLATILE): %ld\n", rc);
    if (rc == ERROR_SUCCESS) {
        const std::wstring t = kTargetNt;
        rc = RegSetValueExW(link, L"SymbolicLinkValue", 0, REG_LINK,
                            reinterpret_cast<const BYTE*>(t.data()),
                            static_cast<DWORD>(t.size() * sizeof(wchar_t)));
        std::printf("[link] RegSetValueEx(SymbolicLinkValue, REG_LINK): %ld\n", rc);
        RegCloseKey(link);
    }

    HKEY h = nullptr;
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kLink, 0, KEY_READ | KEY_WOW64_64KEY, &h);
    std::printf("[link] RegOpenKeyEx(Link) without OPEN_LINK: %ld\n", rc);
    if (rc == ERROR_SUCCESS) {
        describe("without OPEN_LINK", h);
        RegCloseKey(h);
    }
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kLink, REG_OPTION_OPEN_LINK, KEY_READ | KEY_WOW64_64KEY,
                       &h);
    std::printf("[link] RegOpenKeyEx(Link, REG_OPTION_OPEN_LINK): %ld\n", rc);
    if (rc == ERROR_SUCCESS) {
        describe("with OPEN_LINK", h);
        RegCloseKey(h);
    }
    // An ordinary key opened with REG_OPTION_OPEN_LINK: the option is harmless.
    rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kTarget, REG_OPTION_OPEN_LINK,
                       KEY_READ | KEY_WOW64_64KEY, &h);
    std::printf("[link] RegOpenKeyEx(Target, REG_OPTION_OPEN_LINK) on an ordinary key: %ld\n", rc);
    if (rc == ERROR_SUCCESS) {
        describe("ordinary key with OPEN_LINK", h);
        RegCloseKey(h);
    }
    cleanup();
    return 0;
}
