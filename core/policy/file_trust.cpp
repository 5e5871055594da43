#include "core/policy/file_trust.hpp"

#include <algorithm>

namespace permwatch {

namespace {

const Sid creator_owner{3, {0}};
const Sid creator_group{3, {1}};
const Sid owner_rights{3, {4}};

// The bits that let an account change what PermWatch reads.
AccessMask dangerous_bits(FileKind kind) {
    AccessMask m = file_rights::write_data | file_rights::append_data | rights::delete_ |
                   rights::write_dac | rights::write_owner;
    if (kind == FileKind::folder) m |= file_rights::delete_child;
    return m;
}

AccessMask map_generic(AccessMask mask) {
    AccessMask out = mask & 0x0FFFFFFF;
    if (mask & rights::generic_all) out |= file_rights::all_access;
    if (mask & rights::generic_write) out |= file_rights::generic_write;
    return out;  // GENERIC_READ and GENERIC_EXECUTE map to nothing dangerous
}

// Does this ACE bear on the object (or, for a folder, when `new_files`
// counts, on files made in it)?
bool applies(const Ace& ace, FileKind kind, bool new_files = true) {
    if (!(ace.flags & ace_flags::inherit_only)) return true;
    return new_files && kind == FileKind::folder && (ace.flags & ace_flags::object_inherit);
}

std::string describe(AccessMask bits, FileKind kind) {
    const bool folder = kind == FileKind::folder;
    std::vector<std::pair<AccessMask, const char*>> names = {
        {file_rights::write_data, folder ? "add files" : "write"},
        {file_rights::append_data, folder ? "add subfolders" : "append"},
        {file_rights::delete_child, "delete files in it"},
        {rights::delete_, "delete"},
        {rights::write_dac, "change its DACL"},
        {rights::write_owner, "take ownership"},
    };
    std::string out;
    for (const auto& [bit, name] : names) {
        if (!(bits & bit)) continue;
        out += out.empty() ? "may " : ", ";
        out += name;
    }
    return out;
}

bool contains(const std::vector<Sid>& set, const Sid& sid) {
    return std::find(set.begin(), set.end(), sid) != set.end();
}

}  // namespace

Sid permwatch_service_sid() {
    return Sid(5, {80, 5779389u, 2805270332u, 644613588u, 160790857u, 1539090852u});
}

Sid trusted_installer_sid() {
    return Sid(5, {80, 956008885u, 3418522649u, 1831038044u, 1853292631u, 2271478464u});
}

std::vector<Sid> trusted_file_accounts(const std::optional<Sid>& self) {
    std::vector<Sid> out = {local_system_sid(), Sid(5, {32, 544}), trusted_installer_sid(),
                            permwatch_service_sid()};
    if (self && !contains(out, *self)) out.push_back(*self);
    return out;
}

namespace {

// Who other than `trusted` owns the object or has any of `dangerous` on it.
std::vector<UntrustedAccount> untrusted_for(const SecurityDescriptor& sd, FileKind kind,
                                            AccessMask dangerous, bool new_files,
                                            const std::vector<Sid>& trusted) {
    std::vector<UntrustedAccount> out;
    if (!sd.owner) {
        out.push_back({std::nullopt, "has no owner"});
    } else if (!contains(trusted, *sd.owner)) {
        out.push_back({sd.owner, "owns it"});
    }
    if (!sd.dacl || sd.dacl->is_null) {
        out.push_back({everyone_sid(), "has no DACL (NULL DACL): everyone may change it"});
        return out;
    }
    const std::vector<Ace>& aces = sd.dacl->aces;
    std::vector<std::pair<Sid, AccessMask>> granted;  // per SID, in order of first grant
    for (std::size_t i = 0; i < aces.size(); ++i) {
        const Ace& ace = aces[i];
        if (ace.type != AceType::allow || !applies(ace, kind, new_files)) continue;
        if (ace.sid == creator_owner || ace.sid == creator_group || ace.sid == owner_rights)
            continue;
        if (contains(trusted, ace.sid)) continue;
        AccessMask bits = map_generic(ace.mask) & dangerous;
        for (std::size_t j = 0; j < i && bits; ++j) {
            const Ace& deny = aces[j];
            if (deny.type == AceType::deny && applies(deny, kind, new_files) &&
                (deny.sid == ace.sid || deny.sid == everyone_sid())) {
                bits &= ~map_generic(deny.mask);
            }
        }
        if (!bits) continue;
        auto it = std::find_if(granted.begin(), granted.end(),
                               [&](const auto& g) { return g.first == ace.sid; });
        if (it == granted.end()) {
            granted.emplace_back(ace.sid, bits);
        } else {
            it->second |= bits;
        }
    }
    for (const auto& [sid, bits] : granted) out.push_back({sid, describe(bits, kind)});
    return out;
}

}  // namespace

std::vector<UntrustedAccount> untrusted_accounts(const SecurityDescriptor& sd, FileKind kind,
                                                 const std::vector<Sid>& trusted) {
    return untrusted_for(sd, kind, dangerous_bits(kind), true, trusted);
}

std::vector<Sid> trusted_executable_accounts(const std::optional<Sid>& installer) {
    std::vector<Sid> out = {local_system_sid(), Sid(5, {32, 544}), trusted_installer_sid()};
    if (installer && !contains(out, *installer)) out.push_back(*installer);
    return out;
}

std::vector<UntrustedAccount> untrusted_executable_accounts(const SecurityDescriptor& sd,
                                                            ExecutablePart part,
                                                            const std::vector<Sid>& trusted) {
    const AccessMask on_itself = rights::delete_ | rights::write_dac | rights::write_owner;
    switch (part) {
        case ExecutablePart::file:
            return untrusted_for(sd, FileKind::file, dangerous_bits(FileKind::file), false,
                                 trusted);
        case ExecutablePart::own_folder:
            return untrusted_for(sd, FileKind::folder, dangerous_bits(FileKind::folder), false,
                                 trusted);
        case ExecutablePart::upper_folder:
            return untrusted_for(sd, FileKind::folder, on_itself | file_rights::delete_child, false,
                                 trusted);
    }
    return {};
}

}  // namespace permwatch
