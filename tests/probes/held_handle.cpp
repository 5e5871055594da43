// Probe: what a held registry key handle answers once its key is deleted (and
// another key of the same name created), and whether it sees a DACL change made
// through another handle. Decides whether PermWatch may keep a key open
// between checks (docs/testing.md (k3)). Uses
// HKLM\SOFTWARE\PermWatchProbe\Held; cleans up.
#include "probe_util.hpp"

namespace {

const wchar_t* const kBase = L"SOFTWARE\\PermWatchProbe";
const wchar_t* const kKey = L"SOFTWARE\\PermWatchProbe\\Held";

HKEY create() {
    HKEY key = nullptr;
    RegCreateKeyExW(HKEY_LOCAL_MACHINE, kKey, 0, nullptr, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY,
                    nullptr, &key, nullptr);
    return key;
}

LONG query_link(HKEY key) {
    wchar_t target[64] = {};
    DWORD size = sizeof target - sizeof(wchar_t);
    DWORD type = 0;
    return RegQueryValueExW(key, L"SymbolicLinkValue", nullptr, &type,
                            reinterpret_cast<BYTE*>(target), &size);
}

void report(const char* when, HKEY held) {
    unsigned char buf[1024];
    DWORD size = sizeof buf;
    const LONG get = RegGetKeySecurity(held, DACL_SECURITY_INFORMATION, buf, &size);
    DWORD subkeys = 0;
    const LONG info = RegQueryInfoKeyW(held, nullptr, nullptr, nullptr, &subkeys, nullptr, nullptr,
                                       nullptr, nullptr, nullptr, nullptr, nullptr);
    std::printf(
        "[s] %s: RegQueryValueExW(SymbolicLinkValue) %ld; RegGetKeySecurity %ld; "
        "RegQueryInfoKeyW %ld; DACL %s\n",
        when, query_link(held), get, info,
        probe::key_sddl(held, DACL_SECURITY_INFORMATION).c_str());
}

}  // namespace

int main() {
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kKey, KEY_WOW64_64KEY, 0);
    HKEY made = create();
    if (!made) {
        std::printf("[s] cannot create the key\n");
        return 1;
    }
    RegCloseKey(made);
    HKEY held = nullptr;
    LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, kKey, REG_OPTION_OPEN_LINK,
                            READ_CONTROL | WRITE_DAC | KEY_QUERY_VALUE | KEY_WOW64_64KEY, &held);
    std::printf("[s] open with OPEN_LINK, READ_CONTROL|WRITE_DAC|KEY_QUERY_VALUE: %ld\n", rc);
    report("held, key as created", held);

    HKEY other = nullptr;
    RegOpenKeyExW(HKEY_LOCAL_MACHINE, kKey, 0, WRITE_DAC | KEY_WOW64_64KEY, &other);
    probe::set_dacl(other, L"D:P(A;;KA;;;SY)(A;;KR;;;BU)");
    RegCloseKey(other);
    report("held, DACL changed through another handle", held);

    rc = RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kKey, KEY_WOW64_64KEY, 0);
    std::printf("[s] RegDeleteKeyExW while held: %ld\n", rc);
    report("held, key deleted", held);
    SECURITY_DESCRIPTOR sd;
    InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    SetSecurityDescriptorDacl(&sd, TRUE, nullptr, FALSE);
    std::printf("[s] held, key deleted: RegSetKeySecurity %ld\n",
                RegSetKeySecurity(held, DACL_SECURITY_INFORMATION, &sd));

    HKEY again = create();
    probe::set_dacl(again, L"D:P(A;;KA;;;SY)");
    RegCloseKey(again);
    report("held, key deleted and another of the same name created", held);
    RegCloseKey(held);

    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kKey, KEY_WOW64_64KEY, 0);
    RegDeleteKeyExW(HKEY_LOCAL_MACHINE, kBase, KEY_WOW64_64KEY, 0);
    return 0;
}
