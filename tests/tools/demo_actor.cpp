// demo_actor.exe: the "other actors" of the demo, with plain Win32 calls: an
// administrator's tool that sets a key's DACL, and Setup registering a
// service under some logon account. Not part of the product.
//   demo_actor set-dacl KEY SDDL      (KEY relative to HKLM; created if missing)
//   demo_actor get-dacl KEY
//   demo_actor create-service NAME ACCOUNT
//   demo_actor delete-service NAME
//   demo_actor user-sid                 (the SID this process runs as)
#include <windows.h>
// sddl.h needs windows.h first
#include <sddl.h>

#include <cstdio>
#include <string>

namespace {

std::wstring widen(const char* s) {
    const int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, nullptr, 0);
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    MultiByteToWideChar(CP_UTF8, 0, s, -1, out.data(), n);
    out.resize(static_cast<std::size_t>(n > 0 ? n - 1 : 0));
    return out;
}

int set_dacl(const char* key_name, const char* sddl) {
    HKEY key = nullptr;
    LONG rc = RegCreateKeyExW(HKEY_LOCAL_MACHINE, widen(key_name).c_str(), 0, nullptr, 0,
                              WRITE_DAC | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    if (rc != ERROR_SUCCESS) {
        std::fprintf(stderr, "demo_actor: open HKLM\\%s: %ld\n", key_name, rc);
        return 1;
    }
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(widen(sddl).c_str(), SDDL_REVISION_1,
                                                              &sd, nullptr)) {
        std::fprintf(stderr, "demo_actor: bad SDDL %s: %lu\n", sddl, GetLastError());
        return 1;
    }
    rc = RegSetKeySecurity(key, DACL_SECURITY_INFORMATION, sd);
    LocalFree(sd);
    RegCloseKey(key);
    if (rc != ERROR_SUCCESS) std::fprintf(stderr, "demo_actor: set DACL: %ld\n", rc);
    return rc == ERROR_SUCCESS ? 0 : 1;
}

int get_dacl(const char* key_name) {
    HKEY key = nullptr;
    if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, widen(key_name).c_str(), 0,
                      READ_CONTROL | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS) {
        return 1;
    }
    char buf[8192];
    DWORD size = sizeof buf;
    wchar_t* text = nullptr;
    if (RegGetKeySecurity(key, DACL_SECURITY_INFORMATION, buf, &size) == ERROR_SUCCESS &&
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            buf, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, nullptr)) {
        std::printf("%ls\n", text);
        LocalFree(text);
    }
    RegCloseKey(key);
    return 0;
}

int create_service(const char* name, const char* account) {
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
    if (!scm) return 1;
    if (SC_HANDLE old = OpenServiceW(scm, widen(name).c_str(), DELETE)) {
        DeleteService(old);
        CloseServiceHandle(old);
    }
    const bool system = std::string(account) == "LocalSystem";
    SC_HANDLE svc =
        CreateServiceW(scm, widen(name).c_str(), widen(name).c_str(), SERVICE_ALL_ACCESS,
                       SERVICE_WIN32_OWN_PROCESS, SERVICE_DEMAND_START, SERVICE_ERROR_NORMAL,
                       L"C:\\windows\\system32\\notepad.exe", nullptr, nullptr, nullptr,
                       system ? nullptr : widen(account).c_str(), system ? nullptr : L"");
    if (!svc) std::fprintf(stderr, "demo_actor: create service %s: %lu\n", name, GetLastError());
    if (svc) CloseServiceHandle(svc);
    CloseServiceHandle(scm);
    return svc ? 0 : 1;
}

int delete_service(const char* name) {
    SC_HANDLE scm = OpenSCManagerW(nullptr, nullptr, SC_MANAGER_ALL_ACCESS);
    if (!scm) return 1;
    SC_HANDLE svc = OpenServiceW(scm, widen(name).c_str(), DELETE);
    if (svc) {
        DeleteService(svc);
        CloseServiceHandle(svc);
    }
    CloseServiceHandle(scm);
    return 0;
}

int user_sid() {
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return 1;
    char buf[256];
    DWORD size = sizeof buf;
    wchar_t* text = nullptr;
    const bool ok = GetTokenInformation(token, TokenUser, buf, size, &size) &&
                    ConvertSidToStringSidW(reinterpret_cast<TOKEN_USER*>(buf)->User.Sid, &text);
    CloseHandle(token);
    if (!ok) return 1;
    std::printf("%ls\n", text);
    LocalFree(text);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "set-dacl" && argc == 4) return set_dacl(argv[2], argv[3]);
    if (cmd == "get-dacl" && argc == 3) return get_dacl(argv[2]);
    if (cmd == "create-service" && argc == 4) return create_service(argv[2], argv[3]);
    if (cmd == "delete-service" && argc == 3) return delete_service(argv[2]);
    if (cmd == "user-sid" && argc == 2) return user_sid();
    std::fprintf(stderr,
                 "usage: demo_actor set-dacl KEY SDDL | get-dacl KEY | create-service NAME ACCOUNT "
                 "| delete-service NAME | user-sid\n");
    return 2;
}
