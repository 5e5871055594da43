// libFuzzer target: parse_sddl must either return a descriptor that formats
// and re-parses to itself, or throw SddlError with an offset inside the input.
// Anything else (a crash, a sanitizer report, another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/security/sddl.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const permwatch::SecurityDescriptor sd = permwatch::parse_sddl(text);
        const std::string formatted = permwatch::format_sddl(sd);
        if (permwatch::parse_sddl(formatted) != sd) std::abort();
        if (permwatch::format_sddl(permwatch::parse_sddl(formatted)) != formatted) std::abort();
    } catch (const permwatch::SddlError& e) {
        if (e.offset() > size) std::abort();
    }
    return 0;
}
