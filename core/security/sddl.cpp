// SDDL for registry key descriptors: owner, group and DACL.
//
// Reading: PermWatch may refuse what Windows accepts, but must never read a
// string differently, or it would judge a descriptor Windows does not have. The places where
// Windows' reading is not the obvious one, and where they are documented:
//  - A section's text ends one character before the next ':' - that character
//    is the next section's letter. So "G:BAD:" is group BA then an empty DACL,
//    and "O:S-1-2-0x200D:" is owner S-1-2-512 (not 0x200D). Wine's parse_sd()
//    in dlls/sechost/security.c; Samba's sddl.py "ambiguous 'D'" cases, which
//    were run against Windows.
//  - Sections may come in any order ("S:D:" is accepted by Windows; Samba's
//    non_canonical cases).
//  - DACL flags P, AR, AI in any order and repeated ("D:PARP" is "D:PAR").
//  - Rights are two-letter codes, each exactly one access bit or one full-right
//    constant; or one number read like strtoul(s, 0): 0x-hex, 0-octal, decimal,
//    saturating at 0xFFFFFFFF on overflow (Samba's non_canonical and
//    windows_is_weird cases: "01234567" is 0x53977, "0x123456789" is
//    0xffffffff). An empty rights field is mask 0.
//  - "WD" and "RC" are both a right and a SID; which one depends only on the
//    field. "D:" is an empty DACL (nobody gets access), "D:NO_ACCESS_CONTROL"
//    is a null DACL (everybody gets everything).
// Every ACE type a DACL can hold is read (A, D, OA, OD, XA, XD, ZA, and
// audit, label and the like, which grant nothing): a key's DACL must be shown
// and judged whole. A callback ACE's condition is kept as text, never
// interpreted (a conditional allow never counts as granting, a conditional
// deny always counts as denying), so no reading of it can be wrong; "(#hex)"
// in its place is application data as read from a key, which Windows itself
// would not accept as text.
// PermWatch refuses, with one clear error: SACLs, negative or signed masks, a
// number mixed with letter codes, lower case, whitespace, domain-relative
// aliases (DA, LA...), a ':' inside a condition (it would end the section).
//
// Writing follows Windows' ConvertSecurityDescriptorToStringSecurityDescriptor
// (Wine's print_* functions): O:, G:, D: in that order; DACL flags P, AR, AI;
// ACE flags OI CI NP IO ID CR SA FA; object GUIDs in lower case; rights as the first full-right
// constant equal to the mask (so 0x20019 is KR, not KX), else the bit codes in bit order when every
// set bit has one, else "0x%x"; SIDs as an alias when there is one.
#include "core/security/sddl.hpp"

#include <array>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <vector>

namespace permwatch {

SddlError::SddlError(std::size_t offset, const std::string& what_was_expected)
    : std::runtime_error("SDDL error at offset " + std::to_string(offset) + ": " +
                         what_was_expected),
      offset_(offset) {}

namespace {

struct RightCode {
    std::string_view code;
    AccessMask mask;
};

// Wine's ace_rights[] order; format_sddl looks for an exact match in this
// order, which is why 0x20019 (KEY_READ == KEY_EXECUTE) is written "KR". The
// mandatory-label codes NR, NW, NX are left out: they only make sense in a
// SACL's ML ACE, which PermWatch refuses.
constexpr std::array<RightCode, 25> right_codes{{
    {"GA", 0x10000000}, {"GR", 0x80000000}, {"GW", 0x40000000}, {"GX", 0x20000000},
    {"RC", 0x00020000}, {"SD", 0x00010000}, {"WD", 0x00040000}, {"WO", 0x00080000},
    {"RP", 0x00000010}, {"WP", 0x00000020}, {"CC", 0x00000001}, {"DC", 0x00000002},
    {"LC", 0x00000004}, {"SW", 0x00000008}, {"LO", 0x00000080}, {"DT", 0x00000040},
    {"CR", 0x00000100}, {"FA", 0x001F01FF}, {"FR", 0x00120089}, {"FW", 0x00120116},
    {"FX", 0x001200A0}, {"KA", 0x000F003F}, {"KR", 0x00020019}, {"KW", 0x00020006},
    {"KX", 0x00020019},
}};

// One code per bit, in the order Windows writes them (bit 0 upwards).
constexpr std::array<std::string_view, 32> bit_codes{
    "CC", "DC", "LC", "SW", "RP", "WP", "DT", "LO", "CR", "", "", "", "",   "",   "",   "",
    "SD", "RC", "WD", "WO", "",   "",   "",   "",   "",   "", "", "", "GA", "GX", "GW", "GR",
};

struct FlagCode {
    std::string_view code;
    std::uint8_t bit;
};

// Windows' output order (Wine's print_ace). SA and FA mean something only in
// audit ACEs, but a DACL may hold those too; CR is CRITICAL_ACE_FLAG (0x20).
constexpr std::array<FlagCode, 8> ace_flag_codes{{
    {"OI", ace_flags::object_inherit},
    {"CI", ace_flags::container_inherit},
    {"NP", ace_flags::no_propagate},
    {"IO", ace_flags::inherit_only},
    {"ID", ace_flags::inherited},
    {"CR", 0x20},
    {"SA", ace_flags::successful_access},
    {"FA", ace_flags::failed_access},
}};

struct TypeCode {
    std::string_view code;
    std::uint8_t windows_type;
    AceType type;
};

// Windows' codes (sddl.h); ZD, XL, ZU and ZL are PermWatch's own for the
// four types Windows has no code for (it cannot write them as SDDL at all),
// so that every DACL a key can hold can be shown.
constexpr std::array<TypeCode, 19> ace_type_codes{{
    {"A", 0x00, AceType::allow},
    {"D", 0x01, AceType::deny},
    {"AU", 0x02, AceType::other},
    {"AL", 0x03, AceType::other},
    {"OA", 0x05, AceType::allow_object},
    {"OD", 0x06, AceType::deny_object},
    {"OU", 0x07, AceType::other},
    {"OL", 0x08, AceType::other},
    {"XA", 0x09, AceType::allow_callback},
    {"XD", 0x0A, AceType::deny_callback},
    {"ZA", 0x0B, AceType::allow_callback_object},
    {"ZD", 0x0C, AceType::deny_callback_object},
    {"XU", 0x0D, AceType::other},
    {"XL", 0x0E, AceType::other},
    {"ZU", 0x0F, AceType::other},
    {"ZL", 0x10, AceType::other},
    {"ML", 0x11, AceType::other},
    {"RA", 0x12, AceType::other},
    {"SP", 0x13, AceType::other},
}};

const TypeCode* type_code_of(std::uint8_t windows_type) {
    for (const TypeCode& t : ace_type_codes)
        if (t.windows_type == windows_type) return &t;
    return nullptr;
}

constexpr std::string_view hex_digits = "0123456789abcdef";

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// GUID text as Windows writes it: lower-case 8-4-4-4-12 hex digits, the
// first three groups the little-endian Data1..Data3.
std::string guid_text(const Guid& g) {
    // Byte order of the text's 16 hex pairs in the binary layout.
    constexpr std::array<int, 16> order{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    std::string out;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        const std::uint8_t b = g[static_cast<std::size_t>(order[i])];
        out += hex_digits[b >> 4];
        out += hex_digits[b & 0xF];
    }
    return out;
}

std::optional<Guid> parse_guid(std::string_view t) {
    constexpr std::array<int, 16> order{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    if (t.size() != 36 || t[8] != '-' || t[13] != '-' || t[18] != '-' || t[23] != '-')
        return std::nullopt;
    Guid g{};
    std::size_t pos = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if (t[pos] == '-') ++pos;
        const int hi = hex_value(t[pos]), lo = hex_value(t[pos + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        g[static_cast<std::size_t>(order[i])] = static_cast<std::uint8_t>(hi << 4 | lo);
        pos += 2;
    }
    return g;
}

// Application data shown in a condition's place as "#" and hex bytes: a
// condition read from a key is compiled, and PermWatch does not decompile
// it. Windows would refuse the text; PermWatch reads it back as the bytes.
constexpr char application_data_mark = '#';

constexpr std::string_view null_dacl = "NO_ACCESS_CONTROL";

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

// A short, printable quote of untrusted input for an error message.
std::string quote(std::string_view s) {
    std::string out = "'";
    std::size_t n = 0;
    for (char c : s) {
        if (++n > 40) {
            out += "...";
            break;
        }
        unsigned char u = static_cast<unsigned char>(c);
        out += (u >= 0x20 && u < 0x7F) ? c : '?';
    }
    return out + "'";
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    SecurityDescriptor run() {
        SecurityDescriptor sd;
        bool seen_owner = false, seen_group = false, seen_dacl = false;
        std::size_t pos = 0;
        while (pos < text_.size()) {
            const char letter = text_[pos];
            if (letter == 'S')
                fail(pos,
                     "a SACL (S:) is not supported; PermWatch reads owner (O:), group (G:) "
                     "and DACL (D:) only");
            if (letter != 'O' && letter != 'G' && letter != 'D')
                fail(pos, "expected a section O:, G: or D:");
            if (pos + 1 >= text_.size() || text_[pos + 1] != ':')
                fail(pos + 1, std::string("expected ':' after section letter ") + letter);
            const std::size_t begin = pos + 2;
            // Windows ends a section one character before the next ':', the
            // character there being the next section's letter.
            std::size_t end = text_.size();
            if (std::size_t colon = text_.find(':', begin); colon != std::string_view::npos) {
                if (colon == begin) fail(colon, "expected the section's content, found ':'");
                end = colon - 1;
            }
            switch (letter) {
                case 'O':
                    if (seen_owner) fail(pos, "the owner (O:) is given twice");
                    seen_owner = true;
                    sd.owner = sid_field(begin, end, "the owner after O:");
                    break;
                case 'G':
                    if (seen_group) fail(pos, "the group (G:) is given twice");
                    seen_group = true;
                    sd.group = sid_field(begin, end, "the group after G:");
                    break;
                default:
                    if (seen_dacl) fail(pos, "the DACL (D:) is given twice");
                    seen_dacl = true;
                    sd.dacl = acl(begin, end);
                    break;
            }
            pos = end;
        }
        return sd;
    }

private:
    [[noreturn]] void fail(std::size_t offset, std::string message) const {
        if (offset < text_.size() && is_space(text_[offset]))
            message += " (PermWatch does not accept whitespace in SDDL)";
        throw SddlError(offset, message);
    }

    // A SID that fills [begin, end): "S-1-..." or a two-letter alias.
    Sid sid_field(std::size_t begin, std::size_t end, const char* what) const {
        std::string_view tok = text_.substr(begin, end - begin);
        if (tok.empty())
            fail(begin, std::string("expected a SID (S-1-...) or an alias such as BA for ") + what);
        if (tok.size() >= 2 && tok[0] == 'S' && tok[1] == '-') {
            if (auto sid = Sid::parse(tok)) return *sid;
            fail(begin, "expected a SID for " + std::string(what) + ", " + quote(tok) +
                            " is not one: " + sid_parse_error(tok));
        }
        if (tok.size() == 2) {
            if (auto sid = Sid::from_alias(tok)) return *sid;
            if (is_domain_relative_alias(tok))
                fail(begin, "the alias " + std::string(tok) +
                                " names a SID relative to a domain, which PermWatch does not "
                                "know; write the full SID (S-1-5-21-...) instead");
            fail(begin, "unknown SID alias " + quote(tok) + " for " + what);
        }
        fail(begin, std::string("expected a SID (S-1-...) or a two-letter alias for ") + what +
                        ", found " + quote(tok));
    }

    Acl acl(std::size_t begin, std::size_t end) const {
        Acl acl;
        std::size_t i = begin;
        while (i < end && text_[i] != '(') {
            if (text_.substr(i, null_dacl.size()) == null_dacl && i + null_dacl.size() <= end) {
                acl.is_null = true;
                i += null_dacl.size();
                if (i != end)
                    fail(i, "nothing may follow NO_ACCESS_CONTROL (a null DACL has no ACEs)");
                return acl;
            }
            if (text_[i] == 'P') {
                acl.is_protected = true;
                i += 1;
            } else if (i + 1 < end && text_[i] == 'A' && text_[i + 1] == 'R') {
                acl.auto_inherit_required = true;
                i += 2;
            } else if (i + 1 < end && text_[i] == 'A' && text_[i + 1] == 'I') {
                acl.auto_inherited = true;
                i += 2;
            } else {
                fail(i,
                     "expected DACL flags (P, AI, AR), NO_ACCESS_CONTROL, or '(' to start an ACE");
            }
        }
        while (i < end) {
            if (text_[i] != '(') fail(i, "expected '(' to start the next ACE");
            i = ace(i, end, acl);
        }
        return acl;
    }

    // Parses the ACE at `open` (a '('), appends it, returns the offset after ')'.
    std::size_t ace(std::size_t open, std::size_t end, Acl& acl) const {
        // Field boundaries: five ';' then ')'.
        std::array<std::size_t, 7> cut{};  // cut[k] = offset of the k-th separator
        cut[0] = open;
        std::size_t i = open + 1;
        int k = 1;
        // The type field comes first, so that "(OA;...)", "(AU;...)" or a
        // conditional "(XA;...)" get the "not supported" message rather than
        // a complaint about their later fields.
        std::size_t type_end = i;
        while (type_end < end && text_[type_end] != ';' && text_[type_end] != ')' &&
               text_[type_end] != '(')
            ++type_end;
        std::string_view type = text_.substr(i, type_end - i);
        const TypeCode* type_code = nullptr;
        for (const TypeCode& t : ace_type_codes)
            if (t.code == type) type_code = &t;
        if (type.empty()) fail(i, "expected an ACE type (A, D, OA, OD, XA, XD, ZA...)");
        if (!type_code) fail(i, "ACE type " + quote(type) + " is not supported");
        const bool object = is_object_layout(type_code->windows_type);
        const bool has_data = carries_application_data(type_code->windows_type);
        std::size_t condition_end = 0;  // after the condition's ')', when there is one
        for (; i < end; ++i) {
            const char c = text_[i];
            if (c == '(') fail(i, "expected ')' to close the ACE before another '('");
            if (c == ';') {
                if (k == 6 && has_data) {
                    cut[6] = i;
                    condition_end = condition(i + 1, end);
                    i = condition_end;
                    break;
                }
                if (k == 6)
                    fail(i,
                         "expected ')' after the SID; an ACE has 6 fields "
                         "(type;flags;rights;object;inherited object;SID)");
                cut[static_cast<std::size_t>(k++)] = i;
            } else if (c == ')') {
                break;
            }
        }
        if (i >= end || text_[i] != ')')
            fail(std::min(i, end),
                 "expected ')' to close the ACE that starts at offset " + std::to_string(open));
        if (k != 6)
            fail(i,
                 "expected 6 fields separated by ';' "
                 "(type;flags;rights;object;inherited object;SID), found " +
                     std::to_string(k));
        if (condition_end == 0) cut[6] = i;

        Ace ace;
        ace.type = type_code->type;
        if (ace.type == AceType::other) ace.raw_type = type_code->windows_type;
        ace.flags = flags(cut[1] + 1, cut[2]);
        ace.mask = rights(cut[2] + 1, cut[3]);
        ace.object_type = guid_field(cut[3] + 1, cut[4], object, "object type");
        ace.inherited_object_type = guid_field(cut[4] + 1, cut[5], object, "inherited object type");
        ace.sid = sid_field(cut[5] + 1, cut[6], "the ACE's trustee");
        if (condition_end != 0) {
            // Inside the condition's parentheses.
            const std::string_view inner =
                text_.substr(cut[6] + 2, condition_end - 1 - (cut[6] + 2));
            if (!inner.empty() && inner[0] == application_data_mark) {
                ace.application_data = application_data(cut[6] + 3, inner.substr(1));
            } else {
                ace.condition = std::string(inner);
            }
        }
        acl.aces.push_back(std::move(ace));
        return i + 1;
    }

    std::optional<Guid> guid_field(std::size_t begin, std::size_t end, bool object,
                                   const char* what) const {
        if (begin == end) return std::nullopt;
        if (!object)
            fail(begin, std::string("only object ACEs (OA, OD, ZA...) have an ") + what +
                            " GUID; this field must be empty");
        if (auto g = parse_guid(text_.substr(begin, end - begin))) return g;
        fail(begin, std::string("expected a GUID (8-4-4-4-12 hex digits) as the ") + what);
    }

    // A callback ACE's condition: '(' to its matching ')', strings in double
    // quotes skipped. Returns the offset after the ')'; the ACE's own ')'
    // must follow.
    std::size_t condition(std::size_t begin, std::size_t end) const {
        if (begin >= end || text_[begin] != '(')
            fail(begin, "expected '(' to start the ACE's condition");
        int depth = 0;
        bool quoted = false;
        for (std::size_t i = begin; i < end; ++i) {
            const char c = text_[i];
            if (quoted) {
                if (c == '"') quoted = false;
            } else if (c == '"') {
                quoted = true;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')' && --depth == 0) {
                return i + 1;
            }
        }
        fail(end,
             "expected ')' to close the condition that starts at offset " + std::to_string(begin));
    }

    std::vector<std::uint8_t> application_data(std::size_t offset, std::string_view hex) const {
        std::vector<std::uint8_t> out;
        if (hex.size() % 2 != 0) fail(offset, "expected hex byte pairs after '#'");
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            const int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
            if (hi < 0 || lo < 0) fail(offset + i, "expected hex byte pairs after '#'");
            out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
        }
        return out;
    }

    std::uint8_t flags(std::size_t begin, std::size_t end) const {
        std::uint8_t out = 0;
        for (std::size_t i = begin; i < end; i += 2) {
            if (i + 1 >= end) fail(i, "expected a two-letter ACE flag (CI, OI, IO, NP, ID)");
            std::string_view code = text_.substr(i, 2);
            bool found = false;
            for (const FlagCode& f : ace_flag_codes) {
                if (f.code == code) {
                    out |= f.bit;
                    found = true;
                }
            }
            if (!found)
                fail(i, "unknown ACE flag " + quote(code) +
                            "; expected CI, OI, IO, NP, ID, CR, SA or FA");
        }
        return out;
    }

    AccessMask rights(std::size_t begin, std::size_t end) const {
        if (begin == end) return 0;  // Windows: an empty rights field is mask 0
        const char first = text_[begin];
        if (first == '-' || first == '+')
            fail(begin,
                 "a signed access mask is not accepted (Windows reads -N as 2^32-N); "
                 "write the mask in hex, e.g. 0x20019");
        if (first >= '0' && first <= '9') return number(begin, end);
        AccessMask out = 0;
        for (std::size_t i = begin; i < end; i += 2) {
            if (text_[i] >= '0' && text_[i] <= '9')
                fail(i,
                     "a number cannot follow letter codes in the rights field; use either "
                     "codes or one number");
            if (i + 1 >= end)
                fail(i, "expected a two-letter right code (GA, GR, KA, KR, RC, WD...)");
            std::string_view code = text_.substr(i, 2);
            bool found = false;
            for (const RightCode& r : right_codes) {
                if (r.code == code) {
                    out |= r.mask;
                    found = true;
                    break;
                }
            }
            if (!found) fail(i, "unknown right code " + quote(code));
        }
        return out;
    }

    // strtoul(s, 0) on a 32-bit unsigned long: 0x-hex, 0-octal, else decimal;
    // overflow gives ULONG_MAX. Unlike strtoul, the whole field must be the
    // number (Windows would try to read letter codes after it).
    AccessMask number(std::size_t begin, std::size_t end) const {
        unsigned base = 10;
        std::size_t i = begin;
        if (end - begin >= 2 && text_[begin] == '0' &&
            (text_[begin + 1] == 'x' || text_[begin + 1] == 'X')) {
            base = 16;
            i += 2;
            if (i == end) fail(i, "expected hex digits after 0x");
        } else if (text_[begin] == '0') {
            base = 8;
        }
        std::uint64_t value = 0;
        for (; i < end; ++i) {
            const char c = text_[i];
            unsigned d = 99;
            if (c >= '0' && c <= '9')
                d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = static_cast<unsigned>(c - 'A' + 10);
            if (d >= base) {
                const char* kind = base == 16  ? "hex"
                                   : base == 8 ? "octal (it starts with 0)"
                                               : "decimal";
                fail(i, std::string("expected a ") + kind + " digit in the access mask, found " +
                            quote(text_.substr(i, 1)));
            }
            value = value * base + d;
            if (value > 0xFFFFFFFFu) value = 0x1'0000'0000u;  // saturated; keep scanning
        }
        return value > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<AccessMask>(value);
    }

    std::string_view text_;
};

std::string sid_text(const Sid& sid) {
    if (auto a = sid.alias()) return std::string(*a);
    return sid.str();
}

std::string rights_text(AccessMask mask) {
    if (mask == 0) return {};
    for (const RightCode& r : right_codes)
        if (r.mask == mask) return std::string(r.code);
    std::string out;
    for (unsigned bit = 0; bit < 32; ++bit) {
        if ((mask & (AccessMask{1} << bit)) == 0) continue;
        if (bit_codes[bit].empty()) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "0x%x", static_cast<unsigned>(mask));
            return buf;
        }
        out += bit_codes[bit];
    }
    return out;
}

}  // namespace

SecurityDescriptor parse_sddl(std::string_view text) { return Parser(text).run(); }

std::string format_sddl(const SecurityDescriptor& sd) {
    std::string out;
    if (sd.owner) out += "O:" + sid_text(*sd.owner);
    if (sd.group) out += "G:" + sid_text(*sd.group);
    if (sd.dacl) {
        const Acl& acl = *sd.dacl;
        out += "D:";
        if (acl.is_protected) out += "P";
        if (acl.auto_inherit_required) out += "AR";
        if (acl.auto_inherited) out += "AI";
        if (acl.is_null) {
            // A null DACL has no ACL to hold ACEs; writing them would lose them.
            if (!acl.aces.empty())
                throw std::invalid_argument("format_sddl: a null DACL cannot hold ACEs");
            out += null_dacl;
        }
        for (const Ace& ace : acl.aces) {
            const TypeCode* code = type_code_of(windows_ace_type(ace));
            if (!code)
                throw std::invalid_argument("format_sddl: ACE type " +
                                            std::to_string(windows_ace_type(ace)) +
                                            " has no SDDL code");
            out += '(';
            out += code->code;
            out += ';';
            for (const FlagCode& f : ace_flag_codes)
                if (ace.flags & f.bit) out += f.code;
            out += ';';
            out += rights_text(ace.mask);
            out += ';';
            if (ace.object_type) out += guid_text(*ace.object_type);
            out += ';';
            if (ace.inherited_object_type) out += guid_text(*ace.inherited_object_type);
            out += ';';
            out += sid_text(ace.sid);
            if (!ace.condition.empty()) {
                out += ";(" + ace.condition + ")";
            } else if (!ace.application_data.empty()) {
                out += ";(";
                out += application_data_mark;
                for (std::uint8_t b : ace.application_data) {
                    out += hex_digits[b >> 4];
                    out += hex_digits[b & 0xF];
                }
                out += ')';
            }
            out += ')';
        }
    }
    return out;
}

}  // namespace permwatch
