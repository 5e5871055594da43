#include "core/policy/paths.hpp"

#include <cstdlib>

#include "core/common/ascii.hpp"

namespace permwatch {

namespace {
// Set once by the entry point before any thread starts; read-only afterwards.
std::optional<std::string> g_program_data;
}  // namespace

void set_program_data_folder(std::optional<std::string> folder) {
    g_program_data = std::move(folder);
}

std::string expand_environment(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t open = text.find('%', i);
        const std::size_t close = open == std::string::npos ? open : text.find('%', open + 1);
        if (close == std::string::npos) {
            out.append(text, i);
            break;
        }
        const std::string name = text.substr(open + 1, close - open - 1);
        const char* value = name.empty() ? nullptr
                            : g_program_data && iequals(name, "ProgramData")
                                ? g_program_data->c_str()
                                : std::getenv(name.c_str());
        out.append(text, i, open - i);
        if (value) {
            out += value;
            i = close + 1;
        } else {
            out += '%';
            i = open + 1;
        }
    }
    return out;
}

std::string default_config_path() {
    return expand_environment("%ProgramData%\\PermWatch\\permwatch.json");
}

}  // namespace permwatch
