// ASCII case-insensitive comparison: registry paths, account and service
// names are compared the way the contract says ("matching is
// case-insensitive"), for the ASCII letters that config and snapshots use.
#pragma once

#include <algorithm>
#include <string_view>

namespace permwatch {

// Any character type: UTF-16 names from clusapi fold the same letters.
template <class Char>
constexpr Char ascii_upper(Char c) {
    return (c >= Char('a') && c <= Char('z')) ? static_cast<Char>(c - Char('a') + Char('A')) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_upper(x) == ascii_upper(y);
           });
}

constexpr bool iequals(std::u16string_view a, std::u16string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(),
                      [](char16_t x, char16_t y) { return ascii_upper(x) == ascii_upper(y); });
}

constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

}  // namespace permwatch
