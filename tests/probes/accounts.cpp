// Probe (e): LookupAccountName / LookupAccountSid under Wine.
#include "probe_util.hpp"

namespace {

void by_name(const std::wstring& name) {
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD sid_size = sizeof sid;
    wchar_t domain[256];
    DWORD domain_size = 256;
    SID_NAME_USE use = SidTypeUnknown;
    if (LookupAccountNameW(nullptr, name.c_str(), sid, &sid_size, domain, &domain_size, &use)) {
        LPWSTR s = nullptr;
        ConvertSidToStringSidW(sid, &s);
        std::printf("[e] LookupAccountName(\"%s\") = %s, domain \"%s\", use %d\n",
                    probe::narrow(name.c_str()).c_str(), probe::narrow(s).c_str(),
                    probe::narrow(domain).c_str(), static_cast<int>(use));
        LocalFree(s);
    } else {
        std::printf("[e] LookupAccountName(\"%s\") failed: %lu\n",
                    probe::narrow(name.c_str()).c_str(), GetLastError());
    }
}

void by_sid(const wchar_t* text) {
    PSID sid = nullptr;
    if (!ConvertStringSidToSidW(text, &sid)) {
        std::printf("[e] ConvertStringSidToSid(%s) failed: %lu\n", probe::narrow(text).c_str(),
                    GetLastError());
        return;
    }
    wchar_t name[256], domain[256];
    DWORD name_size = 256, domain_size = 256;
    SID_NAME_USE use = SidTypeUnknown;
    if (LookupAccountSidW(nullptr, sid, name, &name_size, domain, &domain_size, &use))
        std::printf("[e] LookupAccountSid(%s) = \"%s\\%s\", use %d\n", probe::narrow(text).c_str(),
                    probe::narrow(domain).c_str(), probe::narrow(name).c_str(),
                    static_cast<int>(use));
    else
        std::printf("[e] LookupAccountSid(%s) failed: %lu\n", probe::narrow(text).c_str(),
                    GetLastError());
    LocalFree(sid);
}

}  // namespace

int main() {
    wchar_t user[256], computer[256];
    DWORD user_size = 256, computer_size = 256;
    GetUserNameW(user, &user_size);
    GetComputerNameW(computer, &computer_size);
    wchar_t env_user[256] = L"";
    GetEnvironmentVariableW(L"USERNAME", env_user, 256);
    std::printf("[e] GetUserName \"%s\", USERNAME \"%s\", computer \"%s\"\n",
                probe::narrow(user).c_str(), probe::narrow(env_user).c_str(),
                probe::narrow(computer).c_str());
    for (const std::wstring& n :
         {std::wstring(user), L".\\" + std::wstring(user), std::wstring(computer) + L"\\" + user,
          std::wstring(L"SYSTEM"), std::wstring(L"NT AUTHORITY\\SYSTEM"),
          std::wstring(L"LocalSystem"), std::wstring(L"Administrators"),
          std::wstring(L"BUILTIN\\Administrators"), std::wstring(L"Users"),
          std::wstring(L"Everyone"), std::wstring(L"NT SERVICE\\PermWatch"),
          std::wstring(L"nosuchuser")})
        by_name(n);
    for (const wchar_t* s : {L"S-1-5-18", L"S-1-5-32-544", L"S-1-5-32-545", L"S-1-5-11", L"S-1-1-0",
                             L"S-1-5-19", L"S-1-5-20", L"S-1-5-21-1-2-3-1105"})
        by_sid(s);
    const std::wstring me = probe::token_user_sid();
    if (!me.empty()) {
        std::printf("[e] token user SID %s\n", probe::narrow(me.c_str()).c_str());
        by_sid(me.c_str());
    }
    return 0;
}
