#include "service/opened_file.hpp"

// aclapi.h needs windows.h first
#include <aclapi.h>

#include <optional>
#include <vector>

#include "service/file_security.hpp"
#include "service/security_convert.hpp"
#include "service/unique_handle.hpp"
#include "service/win32_error.hpp"

namespace permwatch::win {

namespace {

// Every file and folder is opened without following a link at its end:
// a link is judged (and refused) itself, never its target.
constexpr DWORD kNoFollow = FILE_FLAG_OPEN_REPARSE_POINT;

bool is_reparse_point(HANDLE h) {
    BY_HANDLE_FILE_INFORMATION info{};
    return GetFileInformationByHandle(h, &info) &&
           (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT);
}

FileSecurityRead security_of(HANDLE h, const std::string& path) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    const DWORD rc =
        GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                        nullptr, nullptr, nullptr, nullptr, &sd);
    const UniqueLocal owned(sd);
    if (rc != ERROR_SUCCESS)
        return {
            FileSecurityRead::Status::error, {}, describe("reading the security of " + path, rc)};
    try {
        return {FileSecurityRead::Status::ok, from_descriptor(sd), {}};
    } catch (const Win32Error& e) {
        return {FileSecurityRead::Status::error, {}, path + ": " + e.what()};
    }
}

std::optional<std::string> final_path_of(HANDLE h) {
    std::vector<wchar_t> buf(MAX_PATH);
    for (int tries = 0; tries < 3; ++tries) {
        const DWORD n = GetFinalPathNameByHandleW(h, buf.data(), static_cast<DWORD>(buf.size()),
                                                  FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
        if (n == 0) return std::nullopt;
        if (n < buf.size()) return narrow(std::wstring(buf.data(), n));
        buf.resize(n + 1);
    }
    return std::nullopt;
}

// `path` made absolute the way CreateFileW reads it (the current folder,
// '/', "." and ".."), without touching the disk.
std::string absolute(const std::wstring& path) {
    std::vector<wchar_t> buf(MAX_PATH);
    for (int tries = 0; tries < 3; ++tries) {
        const DWORD n =
            GetFullPathNameW(path.c_str(), static_cast<DWORD>(buf.size()), buf.data(), nullptr);
        if (n == 0) break;
        if (n < buf.size()) return narrow(std::wstring(buf.data(), n));
        buf.resize(n + 1);
    }
    return narrow(path);
}

OpenedFile failed(OpenedFile::Status status, std::string error) {
    OpenedFile out;
    out.status = status;
    out.error = std::move(error);
    return out;
}

OpenedFile::Status status_of_open_error(DWORD code) {
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
        return OpenedFile::Status::missing;
    if (code == ERROR_SHARING_VIOLATION) return OpenedFile::Status::in_use;
    return OpenedFile::Status::error;
}

// The folder's facts through a handle held by the caller while the file is
// opened and judged: without FILE_SHARE_DELETE, no one renames it meanwhile.
UniqueKernelHandle open_folder(const std::string& folder) {
    return UniqueKernelHandle(
        CreateFileW(widen(folder).c_str(), READ_CONTROL | FILE_READ_ATTRIBUTES,
                    FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                    kNoFollow | FILE_FLAG_BACKUP_SEMANTICS, nullptr));
}

// `path` in UTF-16 and its folder, opened and held while the file is judged
// (the file's final path then also proves that it is in this very folder).
struct PathAndFolder {
    std::wstring wide;
    std::string folder;
    UniqueKernelHandle handle;
    std::optional<OpenedFile> failure;  // set when either could not be had
};

PathAndFolder path_and_folder(const std::string& path) {
    PathAndFolder out;
    try {
        out.wide = widen(path);
    } catch (const std::exception& e) {
        out.failure = failed(OpenedFile::Status::error, e.what());
        return out;
    }
    out.folder = folder_of(path);
    out.handle = open_folder(out.folder);
    if (!out.handle) {
        const DWORD code = GetLastError();
        out.failure = failed(status_of_open_error(code) == OpenedFile::Status::missing
                                 ? OpenedFile::Status::missing
                                 : OpenedFile::Status::error,
                             describe("opening the folder " + out.folder, code));
    }
    return out;
}

void add_folder_facts(OpenedFile& out, HANDLE folder, const std::string& folder_path) {
    out.folder = security_of(folder, folder_path);
    if (is_reparse_point(folder)) out.reparse_point = true;
}

}  // namespace

OpenedFile facts_of_handle(HANDLE file, const std::string& path) {
    OpenedFile out;
    PathAndFolder at = path_and_folder(path);
    if (at.failure) return std::move(*at.failure);
    const std::wstring& wide = at.wide;
    add_folder_facts(out, at.handle.get(), at.folder);
    out.sd = [&] {
        FileSecurityRead read = security_of(file, path);
        if (read.status != FileSecurityRead::Status::ok) {
            out.status = OpenedFile::Status::error;
            out.error = read.error;
        }
        return read.sd;
    }();
    if (is_reparse_point(file)) out.reparse_point = true;
    out.asked_path = absolute(wide);
    const std::optional<std::string> final_path = final_path_of(file);
    if (!final_path && out.status == OpenedFile::Status::ok) {
        out.status = OpenedFile::Status::error;
        out.error = describe("asking where " + path + " really is", GetLastError());
    }
    out.final_path = final_path.value_or(std::string());
    return out;
}

OpenedFile open_and_read_file(const std::string& path) {
    // The folder first, held until the file is read.
    PathAndFolder at = path_and_folder(path);
    if (at.failure) return std::move(*at.failure);
    const std::wstring& wide = at.wide;
    const std::string& folder = at.folder;
    const UniqueKernelHandle& folder_handle = at.handle;
    const UniqueKernelHandle file(CreateFileW(wide.c_str(), GENERIC_READ | READ_CONTROL,
                                              FILE_SHARE_READ, nullptr, OPEN_EXISTING, kNoFollow,
                                              nullptr));
    if (!file) {
        const DWORD code = GetLastError();
        return failed(status_of_open_error(code), describe("opening " + path, code));
    }
    OpenedFile out;
    add_folder_facts(out, folder_handle.get(), folder);
    const FileSecurityRead read = security_of(file.get(), path);
    if (read.status != FileSecurityRead::Status::ok)
        return failed(OpenedFile::Status::error, read.error);
    out.sd = read.sd;
    if (is_reparse_point(file.get())) out.reparse_point = true;
    out.asked_path = absolute(wide);
    const std::optional<std::string> final_path = final_path_of(file.get());
    if (!final_path)
        return failed(OpenedFile::Status::error,
                      describe("asking where " + path + " really is", GetLastError()));
    out.final_path = *final_path;
    // Read last, from the same handle; the caller parses it only when the
    // facts above are judged safe.
    char buffer[64 * 1024];
    DWORD got = 0;
    while (true) {
        if (!ReadFile(file.get(), buffer, sizeof buffer, &got, nullptr))
            return failed(OpenedFile::Status::error, describe("reading " + path, GetLastError()));
        if (got == 0) break;
        out.bytes.append(buffer, got);
    }
    return out;
}

std::optional<std::string> refuse_journal_handle(HANDLE file, const std::string& path) {
    Win32FileSecurity files;
    return refuse_opened(FileRole::journal, path, facts_of_handle(file, path), files);
}

}  // namespace permwatch::win
