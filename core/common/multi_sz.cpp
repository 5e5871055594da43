#include "core/common/multi_sz.hpp"

#include <cstring>

namespace permwatch {

std::vector<std::u16string> split_multi_sz(const void* bytes, std::size_t size) {
    std::vector<std::u16string> out;
    if (!bytes) return out;
    const auto* base = static_cast<const unsigned char*>(bytes);
    const std::size_t units = size / sizeof(char16_t);
    // Unit by unit through memcpy: the range need not be aligned for char16_t.
    const auto unit_at = [base](std::size_t i) {
        char16_t c = 0;
        std::memcpy(&c, base + i * sizeof(char16_t), sizeof c);
        return c;
    };
    std::size_t i = 0;
    while (i < units && unit_at(i) != u'\0') {
        std::u16string text;
        while (i < units && unit_at(i) != u'\0') text.push_back(unit_at(i++));
        ++i;  // past its NUL (or past the end, for a last string without one)
        out.push_back(std::move(text));
    }
    return out;
}

}  // namespace permwatch
