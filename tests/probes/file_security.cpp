// Probe (x): file and folder security under Wine, for the data-folder check
// (core/policy/file_trust.hpp). What does GetNamedSecurityInfo return for a file and
// a folder, who owns them, does SetNamedSecurityInfo (DACL, protection,
// owner) stick, what does a new file in a protected folder inherit, is the
// prefix user in Administrators, and where is FOLDERID_ProgramData?
//   probe_file_security.exe            all of it, in a fresh folder
//   probe_file_security.exe read DIR   only the read-back (after a restart)
#include "probe_util.hpp"
// shlobj.h after windows.h
#include <knownfolders.h>
#include <shlobj.h>

namespace {

std::string sid_text(PSID sid) {
    if (!sid) return "(none)";
    LPWSTR s = nullptr;
    if (!ConvertSidToStringSidW(sid, &s)) return "(bad sid)";
    std::string out = probe::narrow(s);
    LocalFree(s);
    return out;
}

// Owner, group and DACL of a file or folder as SDDL, or "error N".
std::string path_sddl(const std::wstring& path) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    PSID owner = nullptr;
    PACL dacl = nullptr;
    const SECURITY_INFORMATION what =
        OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    const DWORD rc = GetNamedSecurityInfoW(path.c_str(), SE_FILE_OBJECT, what, &owner, nullptr,
                                           &dacl, nullptr, &sd);
    if (rc != ERROR_SUCCESS) return "error " + std::to_string(rc);
    LPWSTR str = nullptr;
    std::string out;
    if (ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, what, &str,
                                                             nullptr)) {
        out = probe::narrow(str);
        LocalFree(str);
    } else {
        out = "convert error " + std::to_string(GetLastError());
    }
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    GetSecurityDescriptorControl(sd, &control, &revision);
    char flags[16];
    std::snprintf(flags, sizeof flags, "0x%x", control);
    out += " [dacl " + std::string(dacl ? "present" : "null") + ", control " + flags + "]";
    LocalFree(sd);
    return out;
}

DWORD set_from_sddl(const std::wstring& path, const wchar_t* sddl, SECURITY_INFORMATION what) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr))
        return GetLastError();
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    PSID owner = nullptr;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    GetSecurityDescriptorOwner(sd, &owner, &defaulted);
    const DWORD rc = SetNamedSecurityInfoW(const_cast<wchar_t*>(path.c_str()), SE_FILE_OBJECT, what,
                                           owner, nullptr, dacl, nullptr);
    LocalFree(sd);
    return rc;
}

void write_file(const std::wstring& path) {
    HANDLE h = CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        std::printf("[x] CreateFile(%s) failed: %lu\n", probe::narrow(path.c_str()).c_str(),
                    GetLastError());
        return;
    }
    DWORD n = 0;
    WriteFile(h, "{}", 2, &n, nullptr);
    CloseHandle(h);
}

void token_facts() {
    HANDLE token = nullptr;
    OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token);
    BYTE buf[4096];
    DWORD size = 0;
    if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &size))
        std::printf("[x] token user %s\n",
                    sid_text(reinterpret_cast<TOKEN_USER*>(buf)->User.Sid).c_str());
    if (GetTokenInformation(token, TokenOwner, buf, sizeof buf, &size))
        std::printf("[x] token default owner %s\n",
                    sid_text(reinterpret_cast<TOKEN_OWNER*>(buf)->Owner).c_str());
    if (GetTokenInformation(token, TokenGroups, buf, sizeof buf, &size)) {
        auto* g = reinterpret_cast<TOKEN_GROUPS*>(buf);
        std::string groups;
        for (DWORD i = 0; i < g->GroupCount; ++i) {
            char attributes[16];
            std::snprintf(attributes, sizeof attributes, "/0x%lx", g->Groups[i].Attributes);
            groups += " " + sid_text(g->Groups[i].Sid) + attributes;
        }
        std::printf("[x] token groups:%s\n", groups.c_str());
    }
    CloseHandle(token);
    PSID admins = nullptr;
    ConvertStringSidToSidW(L"S-1-5-32-544", &admins);
    BOOL member = FALSE;
    CheckTokenMembership(nullptr, admins, &member);
    std::printf("[x] CheckTokenMembership(Administrators) = %d\n", member);
    LocalFree(admins);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "read") {
        std::wstring dir;
        for (const char* p = argv[2]; *p; ++p) dir.push_back(static_cast<wchar_t>(*p));
        std::printf("[x] read back %s: %s\n", argv[2], path_sddl(dir).c_str());
        std::printf("[x] read back file: %s\n", path_sddl(dir + L"\\permwatch.json").c_str());
        return 0;
    }
    token_facts();
    PWSTR known = nullptr;
    const HRESULT hr = SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &known);
    std::printf("[x] SHGetKnownFolderPath(ProgramData) = 0x%lx \"%s\"\n",
                static_cast<unsigned long>(hr), probe::narrow(known).c_str());
    wchar_t env[MAX_PATH] = L"";
    GetEnvironmentVariableW(L"ProgramData", env, MAX_PATH);
    std::printf("[x] %%ProgramData%% = \"%s\"\n", probe::narrow(env).c_str());
    const std::wstring base = known ? known : L"C:\\ProgramData";
    CoTaskMemFree(known);
    std::printf("[x] ProgramData: %s\n", path_sddl(base).c_str());

    {
        const std::wstring made = base + L"\\PermWatchProbeSA";
        RemoveDirectoryW(made.c_str());
        PSECURITY_DESCRIPTOR sd = nullptr;
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            L"O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)", SDDL_REVISION_1, &sd,
            nullptr);
        SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
        const BOOL ok = CreateDirectoryW(made.c_str(), &sa);
        std::printf("[x] CreateDirectory with a protected descriptor = %d -> %s\n", ok,
                    path_sddl(made).c_str());
        LocalFree(sd);
        RemoveDirectoryW(made.c_str());
    }
    const std::wstring dir = base + L"\\PermWatchProbe";
    CreateDirectoryW(dir.c_str(), nullptr);
    const std::wstring file = dir + L"\\permwatch.json";
    write_file(file);
    std::printf("[x] new folder: %s\n", path_sddl(dir).c_str());
    std::printf("[x] new file: %s\n", path_sddl(file).c_str());

    // The data folder's protected DACL: SYSTEM and Administrators full, Users read.
    const wchar_t* folder_sddl = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)";
    DWORD rc = set_from_sddl(dir, folder_sddl,
                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION);
    std::printf("[x] SetNamedSecurityInfo(folder, DACL|PROTECTED) = %lu -> %s\n", rc,
                path_sddl(dir).c_str());
    std::printf("[x] file after its folder was set: %s\n", path_sddl(file).c_str());
    const std::wstring file2 = dir + L"\\journal.jsonl";
    write_file(file2);
    std::printf("[x] file created after the folder was set: %s\n", path_sddl(file2).c_str());

    rc = set_from_sddl(dir, L"O:BA", OWNER_SECURITY_INFORMATION);
    std::printf("[x] SetNamedSecurityInfo(folder, OWNER=BA) = %lu -> %s\n", rc,
                path_sddl(dir).c_str());
    rc = set_from_sddl(file, L"O:SY", OWNER_SECURITY_INFORMATION);
    std::printf("[x] SetNamedSecurityInfo(file, OWNER=SY) = %lu -> %s\n", rc,
                path_sddl(file).c_str());
    rc = set_from_sddl(file, L"O:S-1-5-21-1-2-3-1105", OWNER_SECURITY_INFORMATION);
    std::printf("[x] SetNamedSecurityInfo(file, OWNER=foreign user) = %lu -> %s\n", rc,
                path_sddl(file).c_str());
    rc = set_from_sddl(file, L"D:P(A;;FR;;;SY)",
                       DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION);
    std::printf("[x] SetNamedSecurityInfo(file, DACL SY read only) = %lu -> %s\n", rc,
                path_sddl(file).c_str());
    HANDLE h = CreateFileW(file.c_str(), GENERIC_WRITE, 0, nullptr, OPEN_EXISTING, 0, nullptr);
    std::printf("[x] open for write with a read-only DACL: %s\n",
                h == INVALID_HANDLE_VALUE ? ("denied " + std::to_string(GetLastError())).c_str()
                                          : "allowed (not enforced)");
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
    set_from_sddl(file, L"D:P(A;;FA;;;SY)(A;;FA;;;BA)",
                  DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION);
    std::printf("[x] probe folder left at %s (run 'read' after a wineserver restart)\n",
                probe::narrow(dir.c_str()).c_str());
    return 0;
}
