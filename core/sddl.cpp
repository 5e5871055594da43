// SDDL for registry key descriptors: owner, group and DACL.
//
// Reading: PermWatch may refuse what Windows accepts, but must never read a
// string differently (DESIGN.md, "SDDL rule"). The places where Windows' reading
// is not the obvious one, and where they are documented:
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
// PermWatch refuses, with one clear error: SACLs, ACE types other than A and
// D, object GUIDs, audit flags, negative or signed masks, a number mixed with
// letter codes, lower case, whitespace, domain-relative aliases (DA, LA...).
//
// Writing follows Windows' ConvertSecurityDescriptorToStringSecurityDescriptor
// (Wine's print_* functions): O:, G:, D: in that order; DACL flags P, AR, AI;
// ACE flags OI CI NP IO ID; rights as the first full-right constant equal to
// the mask (so 0x20019 is KR, not KX), else the bit codes in bit order when
// every set bit has one, else "0x%x"; SIDs as an alias when there is one.
#include "core/sddl.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

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

// Windows' output order (Wine's print_ace).
constexpr std::array<FlagCode, 5> ace_flag_codes{{
    {"OI", ace_flags::object_inherit},
    {"CI", ace_flags::container_inherit},
    {"NP", ace_flags::no_propagate},
    {"IO", ace_flags::inherit_only},
    {"ID", ace_flags::inherited},
}};

constexpr std::uint8_t known_ace_flags = ace_flags::object_inherit | ace_flags::container_inherit |
                                         ace_flags::no_propagate | ace_flags::inherit_only |
                                         ace_flags::inherited;

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
        AceType ace_type = AceType::allow;
        if (type == "A") {
            ace_type = AceType::allow;
        } else if (type == "D") {
            ace_type = AceType::deny;
        } else if (type.empty()) {
            fail(i, "expected an ACE type (A or D)");
        } else {
            fail(i, "ACE type " + quote(type) +
                        " is not supported; PermWatch handles A (allow) and D (deny) only");
        }
        for (; i < end; ++i) {
            const char c = text_[i];
            if (c == '(') fail(i, "expected ')' to close the ACE before another '('");
            if (c == ';') {
                if (k == 6)
                    fail(i,
                         "expected ')' after the SID; an ACE has 6 fields "
                         "(type;flags;rights;object;inherited object;SID)");
                cut[static_cast<std::size_t>(k++)] = i;
            } else if (c == ')') {
                break;
            }
        }
        if (i >= end)
            fail(end,
                 "expected ')' to close the ACE that starts at offset " + std::to_string(open));
        if (k != 6)
            fail(i,
                 "expected 6 fields separated by ';' "
                 "(type;flags;rights;object;inherited object;SID), found " +
                     std::to_string(k));
        cut[6] = i;

        Ace ace;
        ace.type = ace_type;
        ace.flags = flags(cut[1] + 1, cut[2]);
        ace.mask = rights(cut[2] + 1, cut[3]);
        if (cut[4] != cut[3] + 1)
            fail(cut[3] + 1,
                 "object ACE GUIDs are not supported; the object type field must be "
                 "empty");
        if (cut[5] != cut[4] + 1)
            fail(cut[4] + 1,
                 "object ACE GUIDs are not supported; the inherited object type "
                 "field must be empty");
        ace.sid = sid_field(cut[5] + 1, cut[6], "the ACE's trustee");
        acl.aces.push_back(std::move(ace));
        return cut[6] + 1;
    }

    std::uint8_t flags(std::size_t begin, std::size_t end) const {
        std::uint8_t out = 0;
        for (std::size_t i = begin; i < end; i += 2) {
            if (i + 1 >= end) fail(i, "expected a two-letter ACE flag (CI, OI, IO, NP, ID)");
            std::string_view code = text_.substr(i, 2);
            if (code == "SA" || code == "FA")
                fail(i, "the audit flag " + std::string(code) +
                            " is not supported; it belongs to SACL audit ACEs");
            bool found = false;
            for (const FlagCode& f : ace_flag_codes) {
                if (f.code == code) {
                    out |= f.bit;
                    found = true;
                }
            }
            if (!found)
                fail(i, "unknown ACE flag " + quote(code) + "; expected CI, OI, IO, NP or ID");
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
            if ((ace.flags & ~known_ace_flags) != 0)
                throw std::invalid_argument(
                    "format_sddl: ACE flag bits other than OI CI NP IO "
                    "ID cannot be written in a DACL");
            out += '(';
            out += ace.type == AceType::allow ? 'A' : 'D';
            out += ';';
            for (const FlagCode& f : ace_flag_codes)
                if (ace.flags & f.bit) out += f.code;
            out += ';';
            out += rights_text(ace.mask);
            out += ";;;";
            out += sid_text(ace.sid);
            out += ')';
        }
    }
    return out;
}

}  // namespace permwatch
