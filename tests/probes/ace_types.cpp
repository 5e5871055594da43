// Probe (b2): whether Wine keeps object and callback ACEs in a registry
// key's DACL: set through RegSetKeySecurity and SetSecurityInfo from a
// binary ACL built by hand, read back with RegGetKeySecurity, ACE types and
// sizes printed. Also what Wine's SDDL converter makes of "OA" and "XA".
#include "probe_util.hpp"

#include <vector>

namespace {

const wchar_t* const kKey = L"SOFTWARE\\PermWatchProbeAceTypes";

void put32(std::vector<BYTE>& b, DWORD v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<BYTE>(v >> (8 * i)));
}

// One ACE: header, mask, for object types the flags and one GUID (object
// type), the SID S-1-1-0, then `extra` bytes (a callback's application data).
std::vector<BYTE> ace(BYTE type, bool object, std::size_t extra) {
    std::vector<BYTE> b = {type, 0, 0, 0};
    put32(b, KEY_READ);
    if (object) {
        put32(b, ACE_OBJECT_TYPE_PRESENT);
        for (int i = 0; i < 16; ++i) b.push_back(static_cast<BYTE>(0x10 + i));
    }
    const BYTE everyone[] = {1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0};
    b.insert(b.end(), everyone, everyone + sizeof everyone);
    for (std::size_t i = 0; i < extra; ++i) b.push_back(static_cast<BYTE>('a' + i));
    while (b.size() % 4) b.push_back(0);
    b[2] = static_cast<BYTE>(b.size());
    b[3] = static_cast<BYTE>(b.size() >> 8);
    return b;
}

std::vector<BYTE> acl_of(const std::vector<std::vector<BYTE>>& aces) {
    std::vector<BYTE> b = {ACL_REVISION_DS, 0, 0, 0, 0, 0, 0, 0};
    for (const auto& a : aces) b.insert(b.end(), a.begin(), a.end());
    b[2] = static_cast<BYTE>(b.size());
    b[3] = static_cast<BYTE>(b.size() >> 8);
    b[4] = static_cast<BYTE>(aces.size());
    return b;
}

void print_dacl(HKEY key) {
    DWORD size = 0;
    RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, nullptr, &size);
    std::vector<BYTE> sd(size ? size : 1);
    const LONG rc = RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, sd.data(), &size);
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    if (rc != ERROR_SUCCESS || !GetSecurityDescriptorDacl(sd.data(), &present, &dacl, &defaulted) ||
        !dacl) {
        std::printf("    read back: rc %ld, no DACL\n", rc);
        return;
    }
    std::printf("    read back: revision %u, %u ACE(s):", dacl->AclRevision, dacl->AceCount);
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
        void* raw = nullptr;
        GetAce(dacl, i, &raw);
        const auto* h = static_cast<const ACE_HEADER*>(raw);
        std::printf(" type %u size %u;", h->AceType, h->AceSize);
    }
    std::printf("\n    as SDDL: %s\n", probe::key_sddl(key, DACL_SECURITY_INFORMATION).c_str());
}

void try_set(HKEY key, const char* what, std::vector<BYTE> acl) {
    SECURITY_DESCRIPTOR sd;
    InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION);
    const BOOL valid = IsValidAcl(reinterpret_cast<PACL>(acl.data()));
    SetSecurityDescriptorDacl(&sd, TRUE, reinterpret_cast<PACL>(acl.data()), FALSE);
    probe::set_dacl(key, L"D:(A;;KA;;;WD)");
    const LONG rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, &sd);
    std::printf("[b2] %s: IsValidAcl %d, RegSetKeySecurity = %ld\n", what, valid, rc);
    print_dacl(key);
    probe::set_dacl(key, L"D:(A;;KA;;;WD)");
    const DWORD rc2 = SetSecurityInfo(key, SE_REGISTRY_KEY, DACL_SECURITY_INFORMATION, nullptr,
                                      nullptr, reinterpret_cast<PACL>(acl.data()), nullptr);
    std::printf("[b2] %s: SetSecurityInfo = %lu\n", what, rc2);
    print_dacl(key);
}

void sddl(const wchar_t* text) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    const BOOL ok =
        ConvertStringSecurityDescriptorToSecurityDescriptorW(text, SDDL_REVISION_1, &sd, nullptr);
    std::printf("[b2] ConvertStringSecurityDescriptorToSecurityDescriptor(%s) = %d (%lu)\n",
                probe::narrow(text).c_str(), ok, ok ? 0 : GetLastError());
    if (sd) LocalFree(sd);
}

}  // namespace

int main() {
    RegDeleteKeyW(HKEY_LOCAL_MACHINE, kKey);
    HKEY key = probe::create_key(kKey);
    if (!key) return 1;
    try_set(key, "allowed callback (9), 5 bytes of data",
            acl_of({ace(ACCESS_ALLOWED_CALLBACK_ACE_TYPE, false, 5)}));
    try_set(key, "denied callback (10)", acl_of({ace(ACCESS_DENIED_CALLBACK_ACE_TYPE, false, 0)}));
    try_set(key, "allowed object (5)", acl_of({ace(ACCESS_ALLOWED_OBJECT_ACE_TYPE, true, 0)}));
    try_set(key, "denied object (6)", acl_of({ace(ACCESS_DENIED_OBJECT_ACE_TYPE, true, 0)}));
    try_set(key, "denied callback object (12)",
            acl_of({ace(ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE, true, 0)}));
    try_set(key, "system audit (2) in a DACL", acl_of({ace(SYSTEM_AUDIT_ACE_TYPE, false, 0)}));
    try_set(key, "mandatory label (0x11) in a DACL",
            acl_of({ace(SYSTEM_MANDATORY_LABEL_ACE_TYPE, false, 0)}));
    sddl(L"D:(OA;;KR;01234567-89ab-cdef-0123-456789abcdef;;WD)");
    sddl(L"D:(XA;;KR;;;WD;(Member_of {SID(BA)}))");
    sddl(L"D:(ZA;;KR;01234567-89ab-cdef-0123-456789abcdef;;WD;(Member_of {SID(BA)}))");
    probe::set_dacl(key, L"D:(A;;KA;;;WD)");
    RegCloseKey(key);
    RegDeleteKeyW(HKEY_LOCAL_MACHINE, kKey);
    return 0;
}
