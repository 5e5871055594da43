// Probes (b) and (d): key security round-trip through SDDL, what Wine writes
// back, and whether a DACL is enforced when the prefix user opens the key.
#include "probe_util.hpp"

namespace {

const wchar_t* const kBase = L"SYSTEM\\CurrentControlSet\\Services\\PermWatchProbe";

void round_trip(HKEY parent, const wchar_t* sub, const wchar_t* sddl, bool aclapi) {
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(parent, sub, 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS) {
        std::printf("create %s: %ld\n", probe::narrow(sub).c_str(), rc);
        return;
    }
    std::string before = probe::key_sddl(key);
    long set =
        aclapi ? static_cast<long>(probe::set_dacl_aclapi(key, sddl)) : probe::set_dacl(key, sddl);
    std::printf("%s DACL %s\n  before: %s\n  set rc: %ld\n  after:  %s\n",
                aclapi ? "SetSecurityInfo" : "RegSetKeySecurity", probe::narrow(sddl).c_str(),
                before.c_str(), set, probe::key_sddl(key).c_str());
    RegCloseKey(key);
}

}  // namespace

// Deletes a key tree whose DACLs may deny us: the owner may always WRITE_DAC,
// so open each key for that, grant ourselves everything, then delete.
void force_delete(HKEY parent, const std::wstring& sub) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(parent, sub.c_str(), 0, WRITE_DAC, &key) == ERROR_SUCCESS) {
        probe::set_dacl(key, L"D:(A;CI;KA;;;WD)");
        RegCloseKey(key);
    }
    if (RegOpenKeyExW(parent, sub.c_str(), 0, KEY_ALL_ACCESS, &key) != ERROR_SUCCESS) return;
    wchar_t name[256];
    for (;;) {
        DWORD len = 256;
        if (RegEnumKeyExW(key, 0, name, &len, nullptr, nullptr, nullptr, nullptr) != ERROR_SUCCESS)
            break;
        std::wstring child = name;
        force_delete(key, child);  // deletes child, or leaves it and we stop
        HKEY left = nullptr;
        if (RegOpenKeyExW(key, child.c_str(), 0, READ_CONTROL, &left) == ERROR_SUCCESS) {
            std::printf("cleanup: could not delete %s\n", probe::narrow(child.c_str()).c_str());
            RegCloseKey(left);
            break;
        }
    }
    RegCloseKey(key);
    RegDeleteKeyW(parent, sub.c_str());
}

int main() {
    force_delete(HKEY_LOCAL_MACHINE, kBase);
    HKEY base = probe::create_key(kBase);
    if (!base) return 1;
    std::printf("[b] new key HKLM\\%s: %s\n", probe::narrow(kBase).c_str(),
                probe::key_sddl(base).c_str());

    std::printf("[b] round trips (DACL_SECURITY_INFORMATION only):\n");
    round_trip(base, L"reg", L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)", false);
    round_trip(base, L"aclapi", L"D:(A;CI;KA;;;SY)(A;CI;KR;;;BU)", true);
    round_trip(
        base, L"masks",
        L"D:(A;;0x20094;;;BU)(A;;0x1;;;SY)(A;;0x20019;;;AU)(A;;0x20006;;;WD)(A;;0xF003F;;;BA)",
        false);
    round_trip(base, L"generic", L"D:(A;;GA;;;SY)(A;;GR;;;BU)(A;;GRGW;;;AU)(A;;FA;;;BA)", false);
    round_trip(base, L"letters", L"D:(A;;RPWPCCDCLCSWRCWDWOSD;;;SY)(A;;KX;;;BU)(A;;KW;;;AU)",
               false);
    round_trip(base, L"flags", L"D:PAI(D;OICI;KW;;;WD)(A;OICIIONP;KA;;;SY)(A;CIID;KR;;;BU)", false);
    round_trip(base, L"hex1", L"D:(A;;0x100000;;;SY)(A;;0x200;;;BU)", false);
    round_trip(base, L"hex2", L"D:(A;;0x120019;;;AU)(A;;0x80000000;;;BA)", false);
    round_trip(base, L"hex3", L"D:(A;;0x1;;;SY)(A;;;;;BU)", false);
    round_trip(base, L"hex4", L"D:(A;;0;;;WD)", false);
    round_trip(base, L"empty", L"D:", false);
    round_trip(base, L"null", L"D:NO_ACCESS_CONTROL", false);

    // What the string parser itself makes of a few inputs.
    for (const wchar_t* text : {L"D:NO_ACCESS_CONTROL", L"D:", L"D:(A;;0;;;WD)", L"D:(A;;;;;WD)"}) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(text, SDDL_REVISION_1, &sd,
                                                                  nullptr)) {
            std::printf("[b] parse %s: failed %lu\n", probe::narrow(text).c_str(), GetLastError());
            continue;
        }
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = nullptr;
        GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
        std::printf("[b] parse %s: DACL present %d, %s, %d ACEs\n", probe::narrow(text).c_str(),
                    present, dacl ? "non-null" : "NULL", dacl ? dacl->AceCount : -1);
        LocalFree(sd);
    }

    // A DACL set to NO_ACCESS_CONTROL: null DACL or empty DACL when read back?
    HKEY null_key = nullptr;
    if (RegOpenKeyExW(base, L"null", 0, KEY_READ, &null_key) != ERROR_SUCCESS)
        std::printf("[b] key 'null' (set D:NO_ACCESS_CONTROL): open KEY_READ denied\n");
    if (RegOpenKeyExW(base, L"null", 0, READ_CONTROL, &null_key) == ERROR_SUCCESS) {
        DWORD size = 0;
        RegGetKeySecurity(null_key, DACL_SECURITY_INFORMATION, nullptr, &size);
        std::string buf(size, '\0');
        RegGetKeySecurity(null_key, DACL_SECURITY_INFORMATION, buf.data(), &size);
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = nullptr;
        GetSecurityDescriptorDacl(buf.data(), &present, &dacl, &defaulted);
        std::printf(
            "[b] key 'null' (set D:NO_ACCESS_CONTROL): open READ_CONTROL ok, DACL present %d, "
            "pointer %s\n",
            present, dacl ? "non-null" : "NULL");
        RegCloseKey(null_key);
    } else {
        std::printf("[b] key 'null': open READ_CONTROL denied\n");
    }

    // Inheritance: a subkey created under a key whose DACL has CI ACEs.
    HKEY parent = nullptr;
    if (RegCreateKeyExW(base, L"inherit", 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &parent,
                        nullptr) == 0) {
        probe::set_dacl(parent, L"D:(A;CI;KA;;;BA)(A;CIIO;KR;;;BU)(A;;KA;;;SY)");
        std::printf("[b] parent 'inherit': %s\n", probe::key_sddl(parent).c_str());
        HKEY child = nullptr;
        LONG rc = RegCreateKeyExW(parent, L"child", 0, nullptr, 0, KEY_ALL_ACCESS, nullptr, &child,
                                  nullptr);
        if (rc == 0) {
            std::printf("[b] subkey created under it: %s\n", probe::key_sddl(child).c_str());
            LONG set = probe::set_dacl(child, L"D:(A;;KA;;;SY)");
            std::printf("[b] after a DACL set on the subkey: rc %ld, %s\n", set,
                        probe::key_sddl(child).c_str());
            RegCloseKey(child);
        } else {
            std::printf("[b] subkey create rc %ld\n", rc);
        }
        RegCloseKey(parent);
    }

    // (d) enforcement: a key whose DACL grants SY read only.
    HKEY locked = probe::create_key(L"SYSTEM\\CurrentControlSet\\Services\\PermWatchProbe\\locked");
    if (!locked) return 1;
    LONG setrc = probe::set_dacl(locked, L"D:(A;;KR;;;SY)");
    std::printf("[d] locked: set rc %ld, now %s\n", setrc, probe::key_sddl(locked).c_str());
    RegCloseKey(locked);
    struct {
        const char* name;
        REGSAM sam;
    } opens[] = {{"KEY_SET_VALUE", KEY_SET_VALUE}, {"KEY_QUERY_VALUE", KEY_QUERY_VALUE},
                 {"KEY_READ", KEY_READ},           {"READ_CONTROL", READ_CONTROL},
                 {"WRITE_DAC", WRITE_DAC},         {"KEY_ALL_ACCESS", KEY_ALL_ACCESS}};
    // Opens HKLM\<path> with each access in turn and prints what each gave.
    const auto try_opens = [&opens](const wchar_t* path, const char* label) {
        for (const auto& o : opens) {
            HKEY k = nullptr;
            const LONG rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, o.sam, &k);
            std::printf("[d] RegOpenKeyEx(%s, %s) = %ld\n", label, o.name, rc);
            if (rc == ERROR_SUCCESS) RegCloseKey(k);
        }
    };
    try_opens(L"SYSTEM\\CurrentControlSet\\Services\\PermWatchProbe\\locked", "locked");
    // The same with a DACL that grants nothing at all (D:).
    HKEY none = probe::create_key(L"SYSTEM\\CurrentControlSet\\Services\\PermWatchProbe\\none");
    if (none) {
        probe::set_dacl(none, L"D:");
        RegCloseKey(none);
        try_opens(L"SYSTEM\\CurrentControlSet\\Services\\PermWatchProbe\\none", "none = D:");
    }

    // Who the prefix user is, in the token.
    const std::wstring me = probe::token_user_sid();
    if (!me.empty()) std::printf("[d] token user %s\n", probe::narrow(me.c_str()).c_str());
    HANDLE token = nullptr;
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) {
        char buf[4096];
        DWORD len = 0;
        if (GetTokenInformation(token, TokenGroups, buf, sizeof buf, &len)) {
            auto* g = reinterpret_cast<TOKEN_GROUPS*>(buf);
            std::printf("[d] token groups:");
            for (DWORD i = 0; i < g->GroupCount; ++i)
                std::printf(" %s(0x%lx)",
                            probe::narrow(probe::sid_text(g->Groups[i].Sid).c_str()).c_str(),
                            g->Groups[i].Attributes);
            std::printf("\n");
        }
        CloseHandle(token);
    }
    RegCloseKey(base);
    return 0;
}
