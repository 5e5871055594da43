#include "core/policy/data_folder.hpp"

#include <algorithm>

#include "core/policy/paths.hpp"

namespace permwatch {

std::string data_folder_path() { return expand_environment("%ProgramData%\\PermWatch"); }

std::optional<std::string> refuse_existing_data_folder(const std::string& folder,
                                                       const ExistingFolder& facts,
                                                       const std::vector<Sid>& trusted_owners) {
    const std::string head = "refusing the data folder " + folder + ": ";
    const std::string tail =
        "; PermWatch does not take over a data folder someone else made (it may hold files "
        "in it open); an administrator should check it, delete it and start PermWatch again";
    if (facts.reparse_point)
        return head + "it is a link (a junction or symbolic link), not a folder" + tail;
    if (!facts.is_directory) return head + "it is a file, not a folder" + tail;
    if (!facts.owner) return head + "its owner cannot be read" + tail;
    if (std::find(trusted_owners.begin(), trusted_owners.end(), *facts.owner) ==
        trusted_owners.end()) {
        return head + "it is owned by " + facts.owner->str() +
               ", not by SYSTEM, Administrators or TrustedInstaller" + tail;
    }
    return std::nullopt;
}

}  // namespace permwatch
