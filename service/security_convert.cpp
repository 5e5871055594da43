#include "service/security_convert.hpp"

#include "service/win32_error.hpp"

namespace permwatch::win {

Sid from_psid(PSID sid) {
    const SID_IDENTIFIER_AUTHORITY* ia = GetSidIdentifierAuthority(sid);
    std::uint64_t authority = 0;
    for (BYTE b : ia->Value) authority = (authority << 8) | b;
    std::vector<std::uint32_t> subs;
    const UCHAR n = *GetSidSubAuthorityCount(sid);
    for (UCHAR i = 0; i < n; ++i) subs.push_back(*GetSidSubAuthority(sid, i));
    return Sid(authority, std::move(subs));
}

std::vector<unsigned char> to_binary_sid(const Sid& sid) {
    const auto& subs = sid.sub_authorities();
    std::vector<unsigned char> buf(GetSidLengthRequired(static_cast<UCHAR>(subs.size())));
    SID_IDENTIFIER_AUTHORITY ia{};
    for (int i = 0; i < 6; ++i) ia.Value[5 - i] = static_cast<BYTE>(sid.authority() >> (8 * i));
    if (!InitializeSid(buf.data(), &ia, static_cast<BYTE>(subs.size()))) {
        throw Win32Error("building SID " + sid.str(), GetLastError());
    }
    for (std::size_t i = 0; i < subs.size(); ++i) {
        *GetSidSubAuthority(buf.data(), static_cast<DWORD>(i)) = subs[i];
    }
    return buf;
}

SecurityDescriptor from_descriptor(PSECURITY_DESCRIPTOR psd) {
    SecurityDescriptor out;
    PSID owner = nullptr, group = nullptr;
    BOOL defaulted = FALSE;
    if (GetSecurityDescriptorOwner(psd, &owner, &defaulted) && owner) out.owner = from_psid(owner);
    if (GetSecurityDescriptorGroup(psd, &group, &defaulted) && group) out.group = from_psid(group);
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    if (!GetSecurityDescriptorControl(psd, &control, &revision)) {
        throw Win32Error("reading the descriptor's control flags", GetLastError());
    }
    BOOL present = FALSE;
    PACL dacl = nullptr;
    if (!GetSecurityDescriptorDacl(psd, &present, &dacl, &defaulted)) {
        throw Win32Error("reading the DACL", GetLastError());
    }
    if (!present) return out;
    Acl acl;
    acl.is_protected = (control & SE_DACL_PROTECTED) != 0;
    acl.auto_inherit_required = (control & SE_DACL_AUTO_INHERIT_REQ) != 0;
    acl.auto_inherited = (control & SE_DACL_AUTO_INHERITED) != 0;
    acl.is_null = dacl == nullptr;
    if (dacl) {
        for (DWORD i = 0; i < dacl->AceCount; ++i) {
            void* raw = nullptr;
            if (!GetAce(dacl, i, &raw))
                throw Win32Error("reading ACE " + std::to_string(i), GetLastError());
            const auto* header = static_cast<const ACE_HEADER*>(raw);
            Ace ace;
            if (header->AceType == ACCESS_ALLOWED_ACE_TYPE) {
                ace.type = AceType::allow;
            } else if (header->AceType == ACCESS_DENIED_ACE_TYPE) {
                ace.type = AceType::deny;
            } else {
                // Object and callback ACEs do not occur on registry keys;
                // refusing is safer than reading them as something else.
                throw Win32Error("reading ACE " + std::to_string(i) + " of unsupported type " +
                                     std::to_string(header->AceType),
                                 ERROR_INVALID_ACL);
            }
            // ACCESS_ALLOWED_ACE and ACCESS_DENIED_ACE share one layout.
            const auto* body = static_cast<const ACCESS_ALLOWED_ACE*>(raw);
            ace.flags = header->AceFlags & VALID_INHERIT_FLAGS;
            ace.mask = body->Mask;
            ace.sid = from_psid(const_cast<DWORD*>(&body->SidStart));
            acl.aces.push_back(std::move(ace));
        }
    }
    out.dacl = std::move(acl);
    return out;
}

std::vector<unsigned char> to_binary_acl(const Acl& acl) {
    std::vector<std::vector<unsigned char>> sids;
    DWORD size = sizeof(ACL);
    for (const Ace& ace : acl.aces) {
        sids.push_back(to_binary_sid(ace.sid));
        size += sizeof(ACCESS_ALLOWED_ACE) - sizeof(DWORD) + static_cast<DWORD>(sids.back().size());
    }
    size = (size + 3) & ~3u;
    std::vector<unsigned char> buf(size);
    auto* pacl = reinterpret_cast<PACL>(buf.data());
    if (!InitializeAcl(pacl, size, ACL_REVISION))
        throw Win32Error("building the DACL", GetLastError());
    for (std::size_t i = 0; i < acl.aces.size(); ++i) {
        const Ace& ace = acl.aces[i];
        const BOOL ok =
            ace.type == AceType::allow
                ? AddAccessAllowedAceEx(pacl, ACL_REVISION, ace.flags, ace.mask, sids[i].data())
                : AddAccessDeniedAceEx(pacl, ACL_REVISION, ace.flags, ace.mask, sids[i].data());
        if (!ok)
            throw Win32Error("adding ACE " + std::to_string(i) + " to the DACL", GetLastError());
    }
    return buf;
}

}  // namespace permwatch::win
