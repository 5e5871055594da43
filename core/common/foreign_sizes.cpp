#include "core/common/foreign_sizes.hpp"

namespace permwatch {

std::optional<std::size_t> grown_size(std::uint64_t asked, std::size_t current, std::size_t cap) {
    if (asked < current || asked >= cap) return std::nullopt;
    return static_cast<std::size_t>(asked) + 1;
}

std::size_t bounded_length(const wchar_t* text, std::size_t capacity) {
    if (!text) return 0;
    std::size_t n = 0;
    while (n < capacity && text[n] != L'\0') ++n;
    return n;
}

namespace {

template <class Unit>
bool any_control_char(const Unit* text, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i) {
        const auto c = static_cast<std::uint32_t>(text[i]);
        if (c < 0x20 || c == 0x7F) return true;
    }
    return false;
}

}  // namespace

bool has_control_char(const wchar_t* text, std::size_t length) {
    return any_control_char(text, length);
}

bool has_control_char(std::u16string_view text) {
    return any_control_char(text.data(), text.size());
}

}  // namespace permwatch
