#include "core/policy/file_text.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace permwatch {

std::optional<std::string> read_file_text(const std::string& utf8_path) {
    const std::u8string u8(utf8_path.begin(), utf8_path.end());
    std::ifstream in(std::filesystem::path(u8), std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace permwatch
