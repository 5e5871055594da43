#include "core/security/service_sid.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace permwatch {

namespace {

std::uint32_t rotl(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

// SHA-1 (FIPS 180-4), for the service SID only: not used for any secret.
std::array<std::uint8_t, 20> sha1(const std::vector<std::uint8_t>& message) {
    std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    std::vector<std::uint8_t> m = message;
    const std::uint64_t bits = static_cast<std::uint64_t>(message.size()) * 8;
    m.push_back(0x80);
    while (m.size() % 64 != 56) m.push_back(0);
    for (int i = 7; i >= 0; --i) m.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    for (std::size_t block = 0; block < m.size(); block += 64) {
        std::uint32_t w[80];
        for (int t = 0; t < 16; ++t) {
            const std::size_t at = block + 4 * static_cast<std::size_t>(t);
            w[t] = std::uint32_t{m[at]} << 24 | std::uint32_t{m[at + 1]} << 16 |
                   std::uint32_t{m[at + 2]} << 8 | std::uint32_t{m[at + 3]};
        }
        for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
        std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
        for (int t = 0; t < 80; ++t) {
            std::uint32_t f, k;
            if (t < 20) {
                f = (b & c) | (~b & d);
                k = 0x5A827999;
            } else if (t < 40) {
                f = b ^ c ^ d;
                k = 0x6ED9EBA1;
            } else if (t < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8F1BBCDC;
            } else {
                f = b ^ c ^ d;
                k = 0xCA62C1D6;
            }
            const std::uint32_t next = rotl(a, 5) + f + e + k + w[t];
            e = d;
            d = c;
            c = rotl(b, 30);
            b = a;
            a = next;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
    }
    std::array<std::uint8_t, 20> out{};
    for (int i = 0; i < 20; ++i)
        out[static_cast<std::size_t>(i)] =
            static_cast<std::uint8_t>(h[i / 4] >> (24 - 8 * (i % 4)));
    return out;
}

}  // namespace

std::optional<Sid> service_sid_of(std::string_view service_name) {
    if (service_name.empty()) return std::nullopt;
    std::vector<std::uint8_t> utf16le;
    for (char c : service_name) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) return std::nullopt;
        utf16le.push_back(static_cast<std::uint8_t>(u >= 'a' && u <= 'z' ? u - 'a' + 'A' : u));
        utf16le.push_back(0);
    }
    const auto digest = sha1(utf16le);
    std::vector<std::uint32_t> subs = {80};
    for (std::size_t i = 0; i < 5; ++i) {
        // Each sub-authority is four digest bytes read little-endian.
        subs.push_back(std::uint32_t{digest[4 * i]} | std::uint32_t{digest[4 * i + 1]} << 8 |
                       std::uint32_t{digest[4 * i + 2]} << 16 |
                       std::uint32_t{digest[4 * i + 3]} << 24);
    }
    return Sid(5, std::move(subs));
}

Sid all_services_sid() { return Sid(5, {80, 0}); }

}  // namespace permwatch
