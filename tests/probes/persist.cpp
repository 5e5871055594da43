// Probe (f): are one wine process's registry changes visible to the next, and
// does a key's security descriptor survive `wineserver -k` + restart?
//   probe_persist write   creates the key, sets a value and a DACL
//   probe_persist read    prints the value and the descriptor
#include "probe_util.hpp"

#include <cstring>

int main(int argc, char** argv) {
    const wchar_t* path = L"SOFTWARE\\PermWatchProbePersist";
    if (argc > 1 && std::strcmp(argv[1], "write") == 0) {
        RegDeleteTreeW(HKEY_LOCAL_MACHINE, path);
        RegDeleteKeyW(HKEY_LOCAL_MACHINE, path);
        HKEY key = probe::create_key(path);
        if (!key) return 1;
        DWORD v = 42;
        LONG rc =
            RegSetValueExW(key, L"v", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&v), sizeof v);
        LONG src = probe::set_dacl(key, L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)(A;;KA;;;BA)");
        std::printf("[f] write: value rc %ld, dacl rc %ld, now %s\n", rc, src,
                    probe::key_sddl(key).c_str());
        RegCloseKey(key);
        return 0;
    }
    HKEY key = nullptr;
    LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &key);
    if (rc != ERROR_SUCCESS) {
        std::printf("[f] read: open rc %ld\n", rc);
        return 0;
    }
    DWORD v = 0, size = sizeof v;
    rc = RegQueryValueExW(key, L"v", nullptr, nullptr, reinterpret_cast<BYTE*>(&v), &size);
    std::printf("[f] read: value rc %ld = %lu, descriptor %s\n", rc, v,
                probe::key_sddl(key).c_str());
    RegCloseKey(key);
    return 0;
}
