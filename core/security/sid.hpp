// Security identifiers: parse and format "S-1-..." strings and the two-letter
// SDDL aliases. Pure value type; no Windows headers.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace permwatch {

class Sid {
public:
    Sid() = default;
    Sid(std::uint64_t authority, std::vector<std::uint32_t> sub_authorities);

    // "S-1-5-21-1-2-3-1105" (authority decimal, or 0x-hex above 2^32 as Windows
    // writes it); sub-authorities are unsigned 32-bit. nullopt when malformed.
    static std::optional<Sid> parse(std::string_view text);
    // Two-letter SDDL alias ("SY", "BA", "WD"...) for well-known SIDs that do
    // not depend on a domain. nullopt when the alias is unknown.
    static std::optional<Sid> from_alias(std::string_view alias);

    std::uint64_t authority() const { return authority_; }
    const std::vector<std::uint32_t>& sub_authorities() const { return subs_; }

    // "S-1-5-18"
    std::string str() const;
    // The alias Windows writes for this SID in SDDL, if any ("SY").
    std::optional<std::string_view> alias() const;

    friend auto operator<=>(const Sid&, const Sid&) = default;
    friend bool operator==(const Sid&, const Sid&) = default;

private:
    std::uint64_t authority_ = 0;
    std::vector<std::uint32_t> subs_;
};

// Why `text` is not a valid SID string, in words for an error message (for
// example "sub-authority 3: '4294967296' is too large ..."); empty when Sid::parse
// accepts it.
std::string sid_parse_error(std::string_view text);

// True for the SDDL aliases Windows resolves relative to a domain ("DA", "DU",
// "LA", "LG"...). PermWatch does not know the domain, so it refuses them.
bool is_domain_relative_alias(std::string_view alias);

// Well-known SIDs the policy logic needs by name.
Sid everyone_sid();      // S-1-1-0 (WD)
Sid local_system_sid();  // S-1-5-18 (SY)

}  // namespace permwatch
