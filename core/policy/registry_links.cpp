#include "core/policy/registry_links.hpp"

#include <algorithm>
#include <cctype>

#include "core/common/ascii.hpp"
#include "core/policy/file_trust.hpp"

namespace permwatch {

namespace {

// What lets an account change where a link points, or replace it.
constexpr AccessMask kChangesTheLink =
    0x0002 /* KEY_SET_VALUE */ | 0x0004 /* KEY_CREATE_SUB_KEY */ | 0x0020 /* KEY_CREATE_LINK */ |
    0x00010000 /* DELETE */ | 0x00040000 /* WRITE_DAC */ | 0x00080000 /* WRITE_OWNER */;

bool trusted(const Sid& sid) {
    return sid == local_system_sid() || sid == Sid(5, {32, 544}) || sid == trusted_installer_sid();
}

// "\REGISTRY\MACHINE\SYSTEM\ControlSet" and three digits, as Windows makes it.
bool control_set_target(std::string_view target) {
    while (!target.empty() && target.back() == '\0') target.remove_suffix(1);
    constexpr std::string_view prefix = "\\REGISTRY\\MACHINE\\SYSTEM\\ControlSet";
    if (target.size() != prefix.size() + 3 || !iequals(target.substr(0, prefix.size()), prefix))
        return false;
    return std::all_of(target.end() - 3, target.end(),
                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::optional<std::string> refuse_link(std::string_view link, std::string_view target,
                                       const SecurityDescriptor& sd) {
    if (!iequals(link, "SYSTEM\\CurrentControlSet"))
        return "only Windows' own HKLM\\SYSTEM\\CurrentControlSet link is followed";
    if (!control_set_target(target))
        return "it does not point to a HKLM\\SYSTEM\\ControlSetNNN key, as Windows' own does";
    if (!sd.owner || !trusted(*sd.owner))
        return "it is owned by " + (sd.owner ? sd.owner->str() : std::string("no one")) +
               ", not by SYSTEM, Administrators or TrustedInstaller";
    if (!sd.dacl || sd.dacl->is_null) return "anyone may change it (it has a null DACL)";
    for (const Ace& ace : sd.dacl->aces) {
        // Any ACE but a deny may grant (a conditional allow too).
        if (ace.type == AceType::deny || (ace.flags & ace_flags::inherit_only)) continue;
        if (!trusted(ace.sid) && (map_generic_to_key_rights(ace.mask) & kChangesTheLink))
            return ace.sid.str() + " may change it";
    }
    return std::nullopt;
}

}  // namespace permwatch
