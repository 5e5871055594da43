// SID strings and SDDL aliases. The rules follow what Windows' own converters
// read and write (ConvertStringSidToSid / ConvertSidToStringSid), checked
// against Wine's dlls/sechost/security.c and the Windows-verified cases in
// Samba's python/samba/tests/sddl.py. Where Windows is lenient in a way that
// could surprise an administrator (sub-authority overflow silently saturating
// to 4294967295, "S-0x1-..." switching everything to hex), PermWatch refuses.
#include "core/security/sid.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace permwatch {

namespace {

constexpr std::uint64_t max_authority = (std::uint64_t{1} << 48) - 1;  // 6 bytes
constexpr std::size_t max_sub_authorities = 15;                        // SID_MAX_SUB_AUTHORITIES

struct AliasEntry {
    std::string_view alias;
    std::uint64_t authority;
    std::array<std::uint32_t, 6> subs;
    std::size_t count;
};

// Domain-independent aliases from sddl.h. Order does not matter: every SID
// appears once. Wine's well_known_sids table has the same pairs for the ones it
// knows; the rest (AA, RA, ES, MS, HA, RM, CD, WR, UD, AS, SS, MP) are in
// Microsoft's "SID Strings" documentation and written by current Windows.
constexpr std::array<AliasEntry, 49> alias_table{{
    {"WD", 1, {0}, 1},                  // Everyone
    {"CO", 3, {0}, 1},                  // CREATOR OWNER
    {"CG", 3, {1}, 1},                  // CREATOR GROUP
    {"OW", 3, {4}, 1},                  // OWNER RIGHTS
    {"NU", 5, {2}, 1},                  // NETWORK
    {"IU", 5, {4}, 1},                  // INTERACTIVE
    {"SU", 5, {6}, 1},                  // SERVICE
    {"AN", 5, {7}, 1},                  // ANONYMOUS LOGON
    {"ED", 5, {9}, 1},                  // ENTERPRISE DOMAIN CONTROLLERS
    {"PS", 5, {10}, 1},                 // SELF
    {"AU", 5, {11}, 1},                 // Authenticated Users
    {"RC", 5, {12}, 1},                 // RESTRICTED
    {"WR", 5, {33}, 1},                 // WRITE RESTRICTED
    {"SY", 5, {18}, 1},                 // LocalSystem
    {"LS", 5, {19}, 1},                 // LOCAL SERVICE
    {"NS", 5, {20}, 1},                 // NETWORK SERVICE
    {"BA", 5, {32, 544}, 2},            // Administrators
    {"BU", 5, {32, 545}, 2},            // Users
    {"BG", 5, {32, 546}, 2},            // Guests
    {"PU", 5, {32, 547}, 2},            // Power Users
    {"AO", 5, {32, 548}, 2},            // Account Operators
    {"SO", 5, {32, 549}, 2},            // Server Operators
    {"PO", 5, {32, 550}, 2},            // Print Operators
    {"BO", 5, {32, 551}, 2},            // Backup Operators
    {"RE", 5, {32, 552}, 2},            // Replicator
    {"RU", 5, {32, 554}, 2},            // Pre-Windows 2000 Compatible Access
    {"RD", 5, {32, 555}, 2},            // Remote Desktop Users
    {"NO", 5, {32, 556}, 2},            // Network Configuration Operators
    {"MU", 5, {32, 558}, 2},            // Performance Monitor Users
    {"LU", 5, {32, 559}, 2},            // Performance Log Users
    {"IS", 5, {32, 568}, 2},            // IIS_IUSRS
    {"CY", 5, {32, 569}, 2},            // Cryptographic Operators
    {"ER", 5, {32, 573}, 2},            // Event Log Readers
    {"CD", 5, {32, 574}, 2},            // Certificate Service DCOM Access
    {"RA", 5, {32, 575}, 2},            // RDS Remote Access Servers
    {"ES", 5, {32, 576}, 2},            // RDS Endpoint Servers
    {"MS", 5, {32, 577}, 2},            // RDS Management Servers
    {"HA", 5, {32, 578}, 2},            // Hyper-V Administrators
    {"AA", 5, {32, 579}, 2},            // Access Control Assistance Operators
    {"RM", 5, {32, 580}, 2},            // Remote Management Users
    {"UD", 5, {84, 0, 0, 0, 0, 0}, 6},  // USER MODE DRIVERS
    {"AC", 15, {2, 1}, 2},              // ALL APPLICATION PACKAGES
    {"AS", 18, {1}, 1},                 // Authentication authority asserted identity
    {"SS", 18, {2}, 1},                 // Service asserted identity
    {"LW", 16, {4096}, 1},              // Low mandatory level
    {"ME", 16, {8192}, 1},              // Medium mandatory level
    {"MP", 16, {8448}, 1},              // Medium Plus mandatory level
    {"HI", 16, {12288}, 1},             // High mandatory level
    {"SI", 16, {16384}, 1},             // System mandatory level
}};

// Aliases that Windows resolves against the machine's or the forest's domain
// SID (DOMAIN_USER_RID_ADMIN, DOMAIN_GROUP_RID_ADMINS...). PermWatch runs on
// cluster nodes whose domain it does not look up while parsing, so "DA" could
// only be read by guessing; it refuses these aliases instead and asks for the
// full S-1-5-21-... SID.
constexpr std::array<std::string_view, 17> domain_relative_aliases{
    "LA", "LG", "DA", "DU", "DG", "DC", "DD", "CA", "SA",
    "EA", "PA", "RS", "RO", "CN", "AP", "KA", "EK",
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_hex_digit(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// One dash-separated number of a SID: decimal without leading zeros, or
// "0x"-hex (Windows reads both; Samba's tests show "S-1-5-21-0x1-0x2-0x3-513"
// read as S-1-5-21-1-2-3-513). A decimal with a leading zero is refused: it is
// unclear whether a reader treats it as octal. Returns an error text, or ""
// and sets `value` when it is at most `limit`.
std::string parse_number(std::string_view part, std::uint64_t limit, std::uint64_t& value) {
    if (part.empty()) return "an empty part (two dashes in a row, or a trailing dash)";
    int base = 10;
    std::string_view digits = part;
    if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
        base = 16;
        digits = part.substr(2);
        if (digits.empty()) return "'" + std::string(part) + "' has no hex digits after 0x";
        if (!std::all_of(digits.begin(), digits.end(), is_hex_digit))
            return "'" + std::string(part) + "' is not a hex number";
    } else {
        if (!std::all_of(digits.begin(), digits.end(), is_digit))
            return "'" + std::string(part) + "' is not a number";
        if (digits.size() > 1 && digits[0] == '0')
            return "'" + std::string(part) + "' has a leading zero";
    }
    // Skip leading zeros of hex so that from_chars sees a bounded number.
    std::size_t first = digits.find_first_not_of('0');
    if (first == std::string_view::npos) {
        value = 0;
        return {};
    }
    digits = digits.substr(first);
    if (digits.size() > 20) return "'" + std::string(part) + "' is too large";
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc{} || ptr != digits.data() + digits.size() || v > limit)
        return "'" + std::string(part) + "' is too large (at most " + std::to_string(limit) + ")";
    value = v;
    return {};
}

std::optional<Sid> parse_impl(std::string_view text, std::string& why) {
    constexpr std::string_view prefix = "S-1-";
    if (text.empty()) {
        why = "the SID is empty";
        return std::nullopt;
    }
    if (text.substr(0, 2) != "S-") {
        why = "a SID starts with \"S-1-\"";
        return std::nullopt;
    }
    if (text.substr(0, prefix.size()) != prefix) {
        // Windows only knows revision 1; "S-0x1-..." is read by Windows as hex
        // for every later part (Samba's windows_is_weird cases) - refused.
        why = "the SID revision must be 1 (\"S-1-\")";
        return std::nullopt;
    }
    std::string_view rest = text.substr(prefix.size());
    std::vector<std::string_view> parts;
    while (true) {
        std::size_t dash = rest.find('-');
        parts.push_back(rest.substr(0, dash));
        if (dash == std::string_view::npos) break;
        rest = rest.substr(dash + 1);
    }
    if (parts.size() - 1 > max_sub_authorities) {
        why = "a SID has at most 15 sub-authorities, this one has " +
              std::to_string(parts.size() - 1);
        return std::nullopt;
    }
    std::uint64_t authority = 0;
    if (std::string e = parse_number(parts[0], max_authority, authority); !e.empty()) {
        why = "identifier authority: " + e;
        return std::nullopt;
    }
    std::vector<std::uint32_t> subs;
    for (std::size_t i = 1; i < parts.size(); ++i) {
        std::uint64_t v = 0;
        if (std::string e = parse_number(parts[i], 0xFFFFFFFFu, v); !e.empty()) {
            why = "sub-authority " + std::to_string(i) + ": " + e;
            return std::nullopt;
        }
        subs.push_back(static_cast<std::uint32_t>(v));
    }
    why.clear();
    return Sid(authority, std::move(subs));
}

bool matches(const AliasEntry& e, const Sid& sid) {
    if (sid.authority() != e.authority || sid.sub_authorities().size() != e.count) return false;
    return std::equal(e.subs.begin(), e.subs.begin() + static_cast<std::ptrdiff_t>(e.count),
                      sid.sub_authorities().begin());
}

}  // namespace

Sid::Sid(std::uint64_t authority, std::vector<std::uint32_t> sub_authorities)
    : authority_(authority), subs_(std::move(sub_authorities)) {
    // A SID that Windows cannot hold would format to a string that does not
    // parse back; refuse to build it at all.
    if (authority_ > max_authority)
        throw std::invalid_argument("SID identifier authority does not fit in 48 bits");
    if (subs_.size() > max_sub_authorities)
        throw std::invalid_argument("a SID has at most 15 sub-authorities");
}

std::optional<Sid> Sid::parse(std::string_view text) {
    std::string why;
    return parse_impl(text, why);
}

std::string sid_parse_error(std::string_view text) {
    std::string why;
    parse_impl(text, why);
    return why;
}

std::optional<Sid> Sid::from_alias(std::string_view alias) {
    for (const AliasEntry& e : alias_table) {
        if (e.alias == alias)
            return Sid(e.authority,
                       std::vector<std::uint32_t>(
                           e.subs.begin(), e.subs.begin() + static_cast<std::ptrdiff_t>(e.count)));
    }
    return std::nullopt;
}

bool is_domain_relative_alias(std::string_view alias) {
    return std::find(domain_relative_aliases.begin(), domain_relative_aliases.end(), alias) !=
           domain_relative_aliases.end();
}

std::string Sid::str() const {
    std::string out = "S-1-";
    if (authority_ <= 0xFFFFFFFFu) {
        out += std::to_string(authority_);
    } else {
        // Windows (RtlConvertSidToUnicodeString) writes the six authority
        // bytes as "0x%02hx%02hx%02hx%02hx%02hx%02hx": twelve lower-case hex
        // digits. It reads any length and either case back.
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%012llx", static_cast<unsigned long long>(authority_));
        out += buf;
    }
    for (std::uint32_t s : subs_) {
        out += '-';
        out += std::to_string(s);
    }
    return out;
}

std::optional<std::string_view> Sid::alias() const {
    for (const AliasEntry& e : alias_table)
        if (matches(e, *this)) return e.alias;
    return std::nullopt;
}

Sid everyone_sid() { return Sid(1, {0}); }
Sid local_system_sid() { return Sid(5, {18}); }

}  // namespace permwatch
