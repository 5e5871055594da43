// libFuzzer target: load_config must report problems, never crash or throw.
// A config it accepts must have no problems listed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/policy/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const permwatch::ConfigResult result = permwatch::load_config(text);
    if (result.config.has_value() != result.problems.empty()) std::abort();
    return 0;
}
