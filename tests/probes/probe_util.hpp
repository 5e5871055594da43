// Helpers shared by the Wine probes (tests/probes). Windows only.
#pragma once
#include <windows.h>
// aclapi.h and sddl.h need windows.h first
#include <aclapi.h>
#include <sddl.h>

#include <cstdio>
#include <string>

namespace probe {

inline std::string narrow(const wchar_t* w) {
    std::string s;
    for (; w && *w; ++w) s.push_back(*w < 128 ? static_cast<char>(*w) : '?');
    return s;
}

// The key's descriptor as SDDL (owner, group, DACL), or "error N".
inline std::string key_sddl(HKEY key, SECURITY_INFORMATION what = OWNER_SECURITY_INFORMATION |
                                                                  GROUP_SECURITY_INFORMATION |
                                                                  DACL_SECURITY_INFORMATION) {
    DWORD size = 0;
    LONG rc = RegGetKeySecurity(key, what, nullptr, &size);
    if (rc != ERROR_INSUFFICIENT_BUFFER) return "error " + std::to_string(rc);
    std::string buf(size, '\0');
    rc = RegGetKeySecurity(key, what, buf.data(), &size);
    if (rc != ERROR_SUCCESS) return "error " + std::to_string(rc);
    LPWSTR str = nullptr;
    if (!ConvertSecurityDescriptorToStringSecurityDescriptorW(buf.data(), SDDL_REVISION_1, what,
                                                              &str, nullptr))
        return "convert error " + std::to_string(GetLastError());
    std::string out = narrow(str);
    LocalFree(str);
    return out;
}

// Sets the key's DACL from an SDDL string with RegSetKeySecurity. Returns the
// Win32 error.
inline LONG set_dacl(HKEY key, const wchar_t* sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr))
        return static_cast<LONG>(GetLastError());
    LONG rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
    LocalFree(sd);
    return rc;
}

// The same through SetSecurityInfo (aclapi). Returns the Win32 error.
inline DWORD set_dacl_aclapi(HKEY key, const wchar_t* sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr))
        return GetLastError();
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    DWORD rc = SetSecurityInfo(key, SE_REGISTRY_KEY, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                               dacl, nullptr);
    LocalFree(sd);
    return rc;
}

// The SID as text ("S-1-5-18"), or "" when it cannot be converted.
inline std::wstring sid_text(PSID sid) {
    LPWSTR s = nullptr;
    if (!ConvertSidToStringSidW(sid, &s)) return L"";
    std::wstring out = s;
    LocalFree(s);
    return out;
}

// The user of this process's token as SID text, or "" when it cannot be read.
inline std::wstring token_user_sid() {
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return L"";
    char buf[512];
    DWORD len = 0;
    std::wstring out;
    if (GetTokenInformation(token, TokenUser, buf, sizeof buf, &len))
        out = sid_text(reinterpret_cast<TOKEN_USER*>(buf)->User.Sid);
    CloseHandle(token);
    return out;
}

inline HKEY create_key(const wchar_t* path, REGSAM sam = KEY_ALL_ACCESS) {
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, nullptr, REG_OPTION_NON_VOLATILE, sam,
                              nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS) {
        std::printf("RegCreateKeyEx(HKLM\\%s) = %ld\n", narrow(path).c_str(), rc);
        return nullptr;
    }
    return key;
}

}  // namespace probe
