#include "service/security_convert.hpp"

#include <algorithm>
#include <string>

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

namespace {

std::uint32_t read32(const unsigned char* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

void put32(std::vector<unsigned char>& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<unsigned char>(v >> (8 * i)));
}

AceType kind_of(std::uint8_t windows_type) {
    switch (windows_type) {
        case ACCESS_ALLOWED_ACE_TYPE:
            return AceType::allow;
        case ACCESS_DENIED_ACE_TYPE:
            return AceType::deny;
        case ACCESS_ALLOWED_OBJECT_ACE_TYPE:
            return AceType::allow_object;
        case ACCESS_DENIED_OBJECT_ACE_TYPE:
            return AceType::deny_object;
        case ACCESS_ALLOWED_CALLBACK_ACE_TYPE:
            return AceType::allow_callback;
        case ACCESS_DENIED_CALLBACK_ACE_TYPE:
            return AceType::deny_callback;
        case ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE:
            return AceType::allow_callback_object;
        case ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE:
            return AceType::deny_callback_object;
        default:
            return AceType::other;
    }
}

// The highest ACE type Windows defines (SYSTEM_SCOPED_POLICY_ID_ACE_TYPE).
// Past it the layout is not known, and guessing could read a deny as
// something else.
constexpr std::uint8_t kLastKnownAceType = 0x13;
// ACCESS_ALLOWED_COMPOUND_ACE_TYPE: a server-impersonation ACE with its own
// layout, not used by Windows since NT 4.
constexpr std::uint8_t kCompoundAceType = 4;

// A SID at `p` that must end within `end`; returns its length.
std::size_t sid_length_within(const unsigned char* p, const unsigned char* end) {
    if (end - p < 8) return 0;
    const std::size_t length = 8 + 4 * std::size_t{p[1]};
    if (p[0] != SID_REVISION || p[1] > SID_MAX_SUB_AUTHORITIES ||
        static_cast<std::size_t>(end - p) < length)
        return 0;
    return length;
}

Ace ace_at(const unsigned char* p, std::size_t size, std::size_t index) {
    const std::string which = "ACE " + std::to_string(index);
    const unsigned char* end = p + size;
    Ace ace;
    const std::uint8_t type = p[0];
    if (type == kCompoundAceType || type > kLastKnownAceType) {
        throw Win32Error(which + " has type " + std::to_string(type) +
                             ", which PermWatch cannot read; the DACL is not judged",
                         ERROR_INVALID_ACL);
    }
    ace.type = kind_of(type);
    if (ace.type == AceType::other) ace.raw_type = type;
    ace.flags = p[1];
    const unsigned char* q = p + 4;
    if (end - q < 4) throw Win32Error(which + " is too short for its mask", ERROR_INVALID_ACL);
    ace.mask = read32(q);
    q += 4;
    if (is_object_layout(type)) {
        if (end - q < 4)
            throw Win32Error(which + " is too short for its object flags", ERROR_INVALID_ACL);
        const std::uint32_t present = read32(q);
        q += 4;
        if (present & ~std::uint32_t{ACE_OBJECT_TYPE_PRESENT | ACE_INHERITED_OBJECT_TYPE_PRESENT})
            throw Win32Error(which + " has unknown object flags", ERROR_INVALID_ACL);
        for (auto [bit, guid] :
             {std::pair{ACE_OBJECT_TYPE_PRESENT, &ace.object_type},
              std::pair{ACE_INHERITED_OBJECT_TYPE_PRESENT, &ace.inherited_object_type}}) {
            if ((present & bit) == 0) continue;
            if (end - q < 16)
                throw Win32Error(which + " is too short for its object type", ERROR_INVALID_ACL);
            Guid g{};
            std::copy(q, q + 16, g.begin());
            *guid = g;
            q += 16;
        }
    }
    const std::size_t sid_length = sid_length_within(q, end);
    if (sid_length == 0)
        throw Win32Error(which + "'s SID does not fit inside the ACE", ERROR_INVALID_ACL);
    ace.sid = from_psid(const_cast<unsigned char*>(q));
    q += sid_length;
    // Callback conditions and claims are kept as they were; after the other
    // types only zero padding may follow (the writer pads by itself).
    if (carries_application_data(type)) {
        ace.application_data.assign(q, end);
    } else if (std::any_of(q, end, [](unsigned char c) { return c != 0; })) {
        throw Win32Error(which + " has " + std::to_string(end - q) +
                             " bytes after its SID that PermWatch would not write back",
                         ERROR_INVALID_ACL);
    }
    return ace;
}

// Every ACE, bounded by the ACL's own size: each AceSize must fit inside the
// ACL, and each SID inside its ACE. GetAce checks neither.
std::vector<Ace> aces_of(const ACL* dacl) {
    const auto* base = reinterpret_cast<const unsigned char*>(dacl);
    const std::size_t acl_size = dacl->AclSize;
    if (acl_size < sizeof(ACL)) throw Win32Error("reading the DACL's size", ERROR_INVALID_ACL);
    std::vector<Ace> out;
    std::size_t offset = sizeof(ACL);
    for (std::size_t i = 0; i < dacl->AceCount; ++i) {
        if (acl_size - offset < sizeof(ACE_HEADER))
            throw Win32Error("ACE " + std::to_string(i) + " starts past the end of the DACL",
                             ERROR_INVALID_ACL);
        const auto* header = reinterpret_cast<const ACE_HEADER*>(base + offset);
        const std::size_t ace_size = header->AceSize;
        if (ace_size < sizeof(ACE_HEADER) + 4 || ace_size > acl_size - offset)
            throw Win32Error("ACE " + std::to_string(i) + " has a size (" +
                                 std::to_string(ace_size) + ") that does not fit in the DACL",
                             ERROR_INVALID_ACL);
        out.push_back(ace_at(base + offset, ace_size, i));
        offset += ace_size;
    }
    return out;
}

// One ACE in Windows' binary layout, padded to a multiple of 4 bytes.
std::vector<unsigned char> binary_ace(const Ace& ace) {
    if (!ace.condition.empty())
        throw Win32Error(
            "writing a callback ACE whose condition is SDDL text (only a condition "
            "read from a key can be written back)",
            ERROR_INVALID_PARAMETER);
    const std::uint8_t type = windows_ace_type(ace);
    std::vector<unsigned char> out = {type, ace.flags, 0, 0};
    put32(out, ace.mask);
    if (is_object_layout(type)) {
        std::uint32_t present = 0;
        if (ace.object_type) present |= ACE_OBJECT_TYPE_PRESENT;
        if (ace.inherited_object_type) present |= ACE_INHERITED_OBJECT_TYPE_PRESENT;
        put32(out, present);
        if (ace.object_type)
            out.insert(out.end(), ace.object_type->begin(), ace.object_type->end());
        if (ace.inherited_object_type)
            out.insert(out.end(), ace.inherited_object_type->begin(),
                       ace.inherited_object_type->end());
    } else if (ace.object_type || ace.inherited_object_type) {
        throw Win32Error("writing an object type into an ACE that has none",
                         ERROR_INVALID_PARAMETER);
    }
    const std::vector<unsigned char> sid = to_binary_sid(ace.sid);
    out.insert(out.end(), sid.begin(), sid.end());
    out.insert(out.end(), ace.application_data.begin(), ace.application_data.end());
    while (out.size() % 4) out.push_back(0);
    if (out.size() > 0xFFFF)
        throw Win32Error("writing an ACE larger than 64 KiB", ERROR_INVALID_PARAMETER);
    out[2] = static_cast<unsigned char>(out.size());
    out[3] = static_cast<unsigned char>(out.size() >> 8);
    return out;
}

}  // namespace

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
    if (dacl) acl.aces = aces_of(dacl);
    out.dacl = std::move(acl);
    return out;
}

std::vector<unsigned char> to_binary_acl(const Acl& acl) {
    // Built byte by byte: AddAccess*AceEx know only some types, and every ACE
    // PermWatch did not plan must go back exactly as it was read.
    bool object = false;
    std::vector<unsigned char> body;
    for (const Ace& ace : acl.aces) {
        const std::vector<unsigned char> bytes = binary_ace(ace);
        body.insert(body.end(), bytes.begin(), bytes.end());
        object = object || is_object_layout(windows_ace_type(ace));
    }
    const std::size_t size = sizeof(ACL) + body.size();
    if (size > 0xFFFF || acl.aces.size() > 0xFFFF)
        throw Win32Error("building a DACL larger than 64 KiB", ERROR_INVALID_PARAMETER);
    // The ACL header (revision, Sbz1, AclSize, AceCount, Sbz2), written byte
    // by byte like the ACEs. Object ACEs need the DS revision (Windows
    // refuses them in a revision 2 ACL).
    const auto le16 = [](std::size_t v) {
        return std::array<unsigned char, 2>{static_cast<unsigned char>(v),
                                            static_cast<unsigned char>(v >> 8)};
    };
    const auto acl_size = le16(size), count = le16(acl.aces.size());
    std::vector<unsigned char> buf = {
        static_cast<unsigned char>(object ? ACL_REVISION_DS : ACL_REVISION),
        0,
        acl_size[0],
        acl_size[1],
        count[0],
        count[1],
        0,
        0};
    static_assert(sizeof(ACL) == 8);
    // resize and copy, not insert: GCC 12 at -O3 takes an insert into this
    // 8-byte vector for a write past its end (-Warray-bounds, a false alarm).
    buf.resize(size);
    std::copy(body.begin(), body.end(), buf.begin() + sizeof(ACL));
    if (!IsValidAcl(reinterpret_cast<PACL>(buf.data())))
        throw Win32Error("building the DACL (Windows finds it not valid)", ERROR_INVALID_ACL);
    return buf;
}

}  // namespace permwatch::win
