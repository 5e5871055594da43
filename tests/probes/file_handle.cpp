// Probe (x2): judging a file through the handle that then reads it. What do
// CreateFileW with FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS,
// GetFileInformationByHandle's attributes, GetSecurityInfo and SetSecurityInfo
// on a file or folder handle, and GetFinalPathNameByHandleW return under Wine,
// for a plain path, a non-ASCII one, and whatever paths are given (a Unix
// symlink made by scripts/probes.sh)? Does a held write handle make an open
// that shares only reading fail? Can a junction be made (FSCTL_SET_REPARSE_POINT)?
//   probe_file_handle.exe [PATH...]
#include "probe_util.hpp"
// shellapi.h and winioctl.h after windows.h
#include <shellapi.h>
#include <winioctl.h>

#include <cstring>
#include <vector>

namespace {

// Non-ASCII characters as U+XXXX, so the output is plain text.
std::string shown(const std::wstring& w) {
    std::string s;
    for (wchar_t c : w) {
        if (c < 128) {
            s.push_back(static_cast<char>(c));
        } else {
            char u[16];
            std::snprintf(u, sizeof u, "<U+%04X>", static_cast<unsigned>(c));
            s += u;
        }
    }
    return s;
}

HANDLE open_handle(const std::wstring& path, DWORD access, DWORD share, DWORD flags) {
    return CreateFileW(path.c_str(), access, share, nullptr, OPEN_EXISTING, flags, nullptr);
}

void report_handle(const char* label, const std::wstring& path, DWORD access, DWORD share,
                   DWORD flags) {
    HANDLE h = open_handle(path, access, share, flags);
    if (h == INVALID_HANDLE_VALUE) {
        std::printf("[x2] %s %s: CreateFileW error %lu\n", label, shown(path).c_str(),
                    GetLastError());
        return;
    }
    BY_HANDLE_FILE_INFORMATION info{};
    if (GetFileInformationByHandle(h, &info)) {
        std::printf("[x2] %s %s: attributes 0x%lx (reparse %s)\n", label, shown(path).c_str(),
                    info.dwFileAttributes,
                    info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT ? "yes" : "no");
    } else {
        std::printf("[x2] %s: GetFileInformationByHandle error %lu\n", label, GetLastError());
    }
    PSECURITY_DESCRIPTOR sd = nullptr;
    const SECURITY_INFORMATION what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    const DWORD rc =
        GetSecurityInfo(h, SE_FILE_OBJECT, what, nullptr, nullptr, nullptr, nullptr, &sd);
    if (rc == ERROR_SUCCESS) {
        LPWSTR str = nullptr;
        ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, what, &str,
                                                             nullptr);
        std::printf("[x2] %s: GetSecurityInfo(handle) %s\n", label, probe::narrow(str).c_str());
        LocalFree(str);
        LocalFree(sd);
    } else {
        std::printf("[x2] %s: GetSecurityInfo(handle) error %lu\n", label, rc);
    }
    wchar_t final_path[1024];
    const DWORD n =
        GetFinalPathNameByHandleW(h, final_path, 1024, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    if (n == 0 || n >= 1024) {
        std::printf("[x2] %s: GetFinalPathNameByHandleW error %lu\n", label, GetLastError());
    } else {
        std::printf("[x2] %s: GetFinalPathNameByHandleW %s\n", label, shown(final_path).c_str());
    }
    CloseHandle(h);
}

void write_file(const std::wstring& path) {
    HANDLE h = CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                           FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        std::printf("[x2] create %s failed: %lu\n", shown(path).c_str(), GetLastError());
        return;
    }
    DWORD n = 0;
    WriteFile(h, "{}", 2, &n, nullptr);
    CloseHandle(h);
}

// A mount-point (junction) reparse buffer for `target` ("\??\C:\...").
void try_junction(const std::wstring& dir, const std::wstring& target) {
    CreateDirectoryW(dir.c_str(), nullptr);
    HANDLE h = open_handle(dir, GENERIC_WRITE, 0,
                           FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS);
    if (h == INVALID_HANDLE_VALUE) {
        std::printf("[x2] junction: opening %s error %lu\n", shown(dir).c_str(), GetLastError());
        return;
    }
    const std::wstring substitute = L"\\??\\" + target;
    const WORD sub_bytes = static_cast<WORD>(substitute.size() * sizeof(wchar_t));
    const WORD print_bytes = static_cast<WORD>(target.size() * sizeof(wchar_t));
    std::vector<unsigned char> buf(8 + 8 + sub_bytes + 2 + print_bytes + 2, 0);
    auto put16 = [&](std::size_t at, WORD v) {
        buf[at] = static_cast<unsigned char>(v);
        buf[at + 1] = static_cast<unsigned char>(v >> 8);
    };
    const DWORD tag = IO_REPARSE_TAG_MOUNT_POINT;
    std::memcpy(buf.data(), &tag, 4);
    put16(4, static_cast<WORD>(buf.size() - 8));
    put16(8, 0);
    put16(10, sub_bytes);
    put16(12, static_cast<WORD>(sub_bytes + 2));
    put16(14, print_bytes);
    std::memcpy(buf.data() + 16, substitute.data(), sub_bytes);
    std::memcpy(buf.data() + 16 + sub_bytes + 2, target.data(), print_bytes);
    DWORD got = 0;
    const BOOL ok = DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, buf.data(),
                                    static_cast<DWORD>(buf.size()), nullptr, 0, &got, nullptr);
    std::printf("[x2] junction %s -> %s: FSCTL_SET_REPARSE_POINT %s %lu\n", shown(dir).c_str(),
                shown(target).c_str(), ok ? "ok" : "error", ok ? 0ul : GetLastError());
    CloseHandle(h);
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t** argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    constexpr DWORD kReparse = FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS;
    const std::wstring folder = L"C:\\\u00dcberwachungProbe";
    const std::wstring file = folder + L"\\permwatch.json";
    CreateDirectoryW(folder.c_str(), nullptr);
    write_file(file);

    report_handle("folder", folder, READ_CONTROL | FILE_READ_ATTRIBUTES,
                  FILE_SHARE_READ | FILE_SHARE_WRITE, kReparse);
    report_handle("file", file, GENERIC_READ, FILE_SHARE_READ, FILE_FLAG_OPEN_REPARSE_POINT);
    report_handle("short name", L"C:\\PROGRA~1", READ_CONTROL | FILE_READ_ATTRIBUTES,
                  FILE_SHARE_READ, kReparse);
    report_handle("upper case", L"C:\\\u00dcBERWACHUNGPROBE\\PERMWATCH.JSON", GENERIC_READ,
                  FILE_SHARE_READ, 0);
    report_handle("forward slashes", L"C:/\u00dcberwachungProbe/permwatch.json", GENERIC_READ,
                  FILE_SHARE_READ, 0);

    // SetSecurityInfo on a folder handle opened with WRITE_DAC.
    HANDLE dir = open_handle(folder, READ_CONTROL | WRITE_DAC | FILE_READ_ATTRIBUTES,
                             FILE_SHARE_READ | FILE_SHARE_WRITE, kReparse);
    if (dir != INVALID_HANDLE_VALUE) {
        PSECURITY_DESCRIPTOR sd = nullptr;
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)", SDDL_REVISION_1, &sd, nullptr);
        BOOL present = FALSE, defaulted = FALSE;
        PACL dacl = nullptr;
        GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
        const DWORD rc = SetSecurityInfo(
            dir, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            nullptr, nullptr, dacl, nullptr);
        std::printf("[x2] SetSecurityInfo(folder handle, protected DACL): %lu\n", rc);
        LocalFree(sd);
        CloseHandle(dir);
        report_handle("folder after", folder, READ_CONTROL, FILE_SHARE_READ, kReparse);
    }

    // A writer holds the file open; an open that shares only reading.
    HANDLE writer = CreateFileW(file.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                nullptr, OPEN_EXISTING, 0, nullptr);
    HANDLE reader = open_handle(file, GENERIC_READ, FILE_SHARE_READ, 0);
    std::printf("[x2] open sharing read only while a writer holds it: %s %lu\n",
                reader == INVALID_HANDLE_VALUE ? "error" : "ok",
                reader == INVALID_HANDLE_VALUE ? GetLastError() : 0ul);
    if (reader != INVALID_HANDLE_VALUE) CloseHandle(reader);
    // And the other order: our read handle first, then a writer.
    CloseHandle(writer);
    reader = open_handle(file, GENERIC_READ, FILE_SHARE_READ, 0);
    writer = CreateFileW(file.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_EXISTING, 0, nullptr);
    std::printf("[x2] a writer while our read-only-sharing handle is open: %s %lu\n",
                writer == INVALID_HANDLE_VALUE ? "error" : "ok",
                writer == INVALID_HANDLE_VALUE ? GetLastError() : 0ul);
    if (writer != INVALID_HANDLE_VALUE) CloseHandle(writer);
    if (reader != INVALID_HANDLE_VALUE) CloseHandle(reader);

    try_junction(folder + L"\\junction", L"C:\\windows");
    report_handle("junction", folder + L"\\junction", READ_CONTROL | FILE_READ_ATTRIBUTES,
                  FILE_SHARE_READ, kReparse);
    RemoveDirectoryW((folder + L"\\junction").c_str());

    for (int i = 1; i < argc; ++i) {
        report_handle("argument", argv[i], READ_CONTROL | FILE_READ_ATTRIBUTES | GENERIC_READ,
                      FILE_SHARE_READ, FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS);
    }
    DeleteFileW(file.c_str());
    RemoveDirectoryW(folder.c_str());
    return 0;
}
