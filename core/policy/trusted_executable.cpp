#include "core/policy/trusted_executable.hpp"

#include <vector>

#include "core/policy/file_trust.hpp"

namespace permwatch {

namespace {

// More folders than any Windows path can hold (32,767 characters).
constexpr int kMaxFolderDepth = 16384;

std::optional<std::string> judge(const std::string& label, const std::string& path,
                                 ExecutablePart part, const std::vector<Sid>& trusted,
                                 const ExecutableFacts& facts) {
    return refusal_of(
        label, path, facts.read(path),
        [&](const SecurityDescriptor& sd) {
            return untrusted_executable_accounts(sd, part, trusted);
        },
        [&](const Sid& sid) {
            return facts.account_name ? facts.account_name(sid) : std::string();
        });
}

}  // namespace

std::optional<std::string> refuse_replaceable_executable(const std::string& exe,
                                                         const ExecutableFacts& facts) {
    const std::vector<Sid> trusted = trusted_executable_accounts(facts.installer);
    const std::string head = "refusing to register " + exe + " as the PermWatch service: ";
    const std::string tail =
        "; a service runs as LocalSystem, so only SYSTEM, Administrators, TrustedInstaller and "
        "you may own or change its file and the folders above it: copy permwatch.exe to "
        "%ProgramFiles%\\PermWatch and run install from there";
    if (auto bad = judge("the file", exe, ExecutablePart::file, trusted, facts))
        return head + *bad + tail;
    std::string at = exe;
    ExecutablePart part = ExecutablePart::own_folder;
    for (int depth = 0; depth < kMaxFolderDepth; ++depth) {
        const std::string folder = folder_of(at);
        if (folder == at || folder == ".") return std::nullopt;  // past the root
        const std::string label = part == ExecutablePart::own_folder ? "its folder" : "the folder";
        if (auto bad = judge(label, folder, part, trusted, facts)) return head + *bad + tail;
        part = ExecutablePart::upper_folder;
        at = folder;
    }
    return head + "its path has too many folders";
}

}  // namespace permwatch
