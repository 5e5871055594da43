#include "core/policy/json_pointer.hpp"

namespace permwatch {

std::string json_pointer_token(std::string_view token) {
    std::string out;
    out.reserve(token.size());
    for (char c : token) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

std::string json_pointer_child(const std::string& pointer, std::string_view member) {
    return pointer + "/" + json_pointer_token(member);
}

std::string json_pointer_child(const std::string& pointer, std::size_t index) {
    return pointer + "/" + std::to_string(index);
}

}  // namespace permwatch
