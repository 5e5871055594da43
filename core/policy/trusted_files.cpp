#include "core/policy/trusted_files.hpp"

#include "core/common/ascii.hpp"
#include "core/policy/data_folder.hpp"

namespace permwatch {

namespace {

// The refusal for one object, or nullopt when it is trusted.
std::optional<std::string> judge(const std::string& label, const std::string& path,
                                 const FileSecurityRead& read, FileKind kind,
                                 const std::vector<Sid>& trusted, FileSecurityPort& files) {
    return refusal_of(
        label, path, read,
        [&](const SecurityDescriptor& sd) { return untrusted_accounts(sd, kind, trusted); },
        [&](const Sid& sid) { return files.account_name(sid); });
}

}  // namespace

std::optional<std::string> refusal_of(
    const std::string& label, const std::string& path, const FileSecurityRead& read,
    const std::function<std::vector<UntrustedAccount>(const SecurityDescriptor&)>& untrusted_of,
    const std::function<std::string(const Sid&)>& name) {
    switch (read.status) {
        case FileSecurityRead::Status::ok:
            break;
        case FileSecurityRead::Status::missing:
            return label + " " + path + " does not exist";
        case FileSecurityRead::Status::error:
            return "cannot read the security of " + label + " " + path + ": " + read.error;
    }
    const auto untrusted = untrusted_of(read.sd);
    if (untrusted.empty()) return std::nullopt;
    std::string line = label + " " + path + ":";
    for (std::size_t i = 0; i < untrusted.size(); ++i) {
        const std::optional<Sid>& sid = untrusted[i].account;
        const std::string account_name = sid ? name(*sid) : std::string();
        const std::string account = !sid                   ? "(no owner)"
                                    : account_name.empty() ? sid->str()
                                                           : account_name + " (" + sid->str() + ")";
        line += (i ? "; " : " ") + account + " " + untrusted[i].why;
    }
    return line;
}

std::string folder_of(const std::string& path) {
    const std::size_t slash = path.find_last_of("\\/");
    if (slash == std::string::npos) return ".";
    if (slash == 0) return path.substr(0, 1);
    // "C:\x" -> "C:\" (the root), not "C:" (the drive's current folder).
    if (slash == 2 && path[1] == ':') return path.substr(0, 3);
    return path.substr(0, slash);
}

std::optional<std::string> refuse_untrusted(FileRole role, const std::string& path,
                                            FileSecurityPort& files) {
    const std::string what = role == FileRole::config ? "config" : "journal";
    const std::vector<Sid> trusted = trusted_file_accounts(files.self());
    const std::string tail =
        "; only SYSTEM, Administrators, TrustedInstaller and PermWatch's own account may "
        "own or change it";
    const std::string head = "refusing " + what + " " + path + ": ";
    const std::string folder = folder_of(path);
    const FileSecurityRead folder_read = files.read(folder);
    if (folder_read.status == FileSecurityRead::Status::missing) {
        // The data folder is the one exception: it is created safe when
        // first needed (install, service start, one-shot commands).
        if (role == FileRole::config || iequals(folder, data_folder_path())) return std::nullopt;
        return head + "its folder " + folder +
               " does not exist; PermWatch creates only its data folder";
    }
    if (auto bad = judge("its folder", folder, folder_read, FileKind::folder, trusted, files))
        return head + *bad + tail;
    const FileSecurityRead file = files.read(path);
    if (file.status == FileSecurityRead::Status::missing) return std::nullopt;
    if (auto bad = judge("the file", path, file, FileKind::file, trusted, files))
        return head + *bad + tail;
    return std::nullopt;
}

namespace {

// "\\?\C:\x" -> "C:\x", "\\?\UNC\s\x" -> "\\s\x", '/' -> '\\'.
std::string plain_path(std::string p) {
    for (char& c : p)
        if (c == '/') c = '\\';
    if (p.rfind("\\\\?\\UNC\\", 0) == 0) return "\\" + p.substr(7);
    if (p.rfind("\\\\?\\", 0) == 0 || p.rfind("\\\\.\\", 0) == 0) return p.substr(4);
    return p;
}

}  // namespace

bool same_file_path(const std::string& a, const std::string& b) {
    return iequals(plain_path(a), plain_path(b));
}

std::optional<std::string> refuse_opened(FileRole role, const std::string& path,
                                         const OpenedFile& opened, FileSecurityPort& files) {
    const std::string what = role == FileRole::config ? "config" : "journal";
    const std::string head = "refusing " + what + " " + path + ": ";
    const std::string tail =
        "; only SYSTEM, Administrators, TrustedInstaller and PermWatch's own account may "
        "own or change it";
    switch (opened.status) {
        case OpenedFile::Status::ok:
            break;
        case OpenedFile::Status::missing:
            return std::nullopt;
        case OpenedFile::Status::in_use:
            // Whoever holds a write handle from before could write after the
            // check: a file is read only while no one else may write it.
            return head + "another process holds it open for writing or deleting";
        case OpenedFile::Status::error:
            return head + "cannot open it to judge it: " + opened.error;
    }
    if (opened.reparse_point) return head + "it or its folder is a link (a reparse point)";
    if (!same_file_path(opened.asked_path, opened.final_path)) {
        return head + "it opens as " + plain_path(opened.final_path) +
               " (a link or junction on the way); PermWatch reads only the path it was given";
    }
    const std::vector<Sid> trusted = trusted_file_accounts(files.self());
    const std::string folder = folder_of(path);
    if (auto bad = judge("its folder", folder, opened.folder, FileKind::folder, trusted, files))
        return head + *bad + tail;
    const FileSecurityRead file{FileSecurityRead::Status::ok, opened.sd, {}};
    if (auto bad = judge("the file", path, file, FileKind::file, trusted, files))
        return head + *bad + tail;
    return std::nullopt;
}

TrustedRead read_trusted(FileRole role, const std::string& path, FileSecurityPort& files) {
    OpenedFile opened = files.open_and_read(path);
    TrustedRead out;
    if (auto refused = refuse_opened(role, path, opened, files)) {
        out.refused = std::move(refused);
        return out;
    }
    if (opened.status == OpenedFile::Status::missing) {
        out.error = opened.error.empty() ? "does not exist" : opened.error;
        return out;
    }
    out.bytes = std::move(opened.bytes);
    return out;
}

}  // namespace permwatch
