#include "core/cluster/regsync_values.hpp"

#include <algorithm>
#include <array>

#include "core/common/ascii.hpp"

namespace permwatch {

namespace {

// Text from outside, fit for one log line: control characters become '?',
// and it is cut after 80 bytes.
std::string shown(std::string_view text) {
    constexpr std::size_t kShown = 80;
    std::string out;
    for (const char c : text.substr(0, kShown)) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7F) ? '?' : c;
    }
    if (text.size() > kShown) out += "...";
    return out;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The Cluster service names checkpoint values with 8 hex digits.
bool checkpoint_value_name(std::string_view name) {
    return name.size() == 8 && std::all_of(name.begin(), name.end(), is_hex);
}

// First components that make a path absolute, or name another hive: a
// checkpoint is always relative to HKLM.
bool names_a_root(std::string_view first) {
    static constexpr std::array<std::string_view, 8> kRoots = {
        "HKLM", "HKCU", "HKU", "HKCR", "HKCC", "REGISTRY", "MACHINE", "USER"};
    if (istarts_with(first, "HKEY_")) return true;
    if (first.find(':') != std::string_view::npos) return true;  // C:, \\?\ ...
    return std::any_of(kRoots.begin(), kRoots.end(),
                       [&](std::string_view root) { return iequals(first, root); });
}

// UTF-16 code units the UTF-8 text takes (the registry's limits count them).
std::size_t utf16_units(std::string_view utf8) {
    std::size_t n = 0;
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if ((u & 0xC0) != 0x80) n += (u >= 0xF0) ? 2 : 1;  // a lead byte (4-byte: a pair)
    }
    return n;
}

}  // namespace

std::optional<std::string> regsync_path_problem(std::string_view relative) {
    if (relative.empty()) return "an empty path";
    if (utf16_units(relative) > kMaxRegSyncPathChars) {
        return "a path of " + std::to_string(utf16_units(relative)) +
               " characters (a checkpoint path has at most " +
               std::to_string(kMaxRegSyncPathChars) + ")";
    }
    for (const char c : relative) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) return "a control character in the path";
    }
    std::size_t start = 0;
    bool first = true;
    while (start <= relative.size()) {
        const std::size_t end = std::min(relative.find('\\', start), relative.size());
        const std::string_view part = relative.substr(start, end - start);
        if (part.empty()) return "an empty path component (\\\\, or a trailing \\)";
        if (utf16_units(part) > 255) return "a key name longer than 255 characters";
        if (part == "." || part == "..") return "a '.' or '..' component";
        if (first && names_a_root(part)) {
            return "not a path relative to HKLM (it starts with '" + shown(part) + "')";
        }
        if (first && iequals(part, "Cluster")) {
            return "a key inside HKLM\\Cluster, the cluster database itself";
        }
        first = false;
        if (end == relative.size()) break;
        start = end + 1;
    }
    return std::nullopt;
}

bool plausible_resource_id(std::string_view id) {
    if (id.empty() || id.size() > 64) return false;
    std::string_view inner = id;
    if (inner.front() == '{') {
        if (inner.size() < 2 || inner.back() != '}') return false;
        inner = inner.substr(1, inner.size() - 2);
    }
    if (inner.empty()) return false;
    return std::all_of(inner.begin(), inner.end(), [](char c) { return is_hex(c) || c == '-'; });
}

RegSyncParse parse_regsync(const std::vector<RegSyncValue>& values, std::uint64_t total_values) {
    RegSyncParse out;
    if (total_values > kMaxRegSyncValues || values.size() > kMaxRegSyncValues) {
        out.problems.push_back(
            "the key holds " +
            std::to_string(std::max<std::uint64_t>(total_values, values.size())) +
            " values, more than any resource checkpoints (at most " +
            std::to_string(kMaxRegSyncValues) + "): none of them is believed");
        return out;
    }
    for (const RegSyncValue& v : values) {
        const std::string name =
            v.name_too_long
                ? "(a name longer than " + std::to_string(kMaxRegSyncNameChars) + " characters)"
                : "'" + shown(v.name) + "'";
        auto skip = [&](const std::string& why) {
            out.problems.push_back("value " + name + " skipped: " + why);
        };
        if (v.name_too_long || !checkpoint_value_name(v.name)) {
            skip("not a checkpoint value name (8 hex digits, as 00000001)");
            continue;
        }
        if (v.type != kRegSzType) {
            skip("type " + std::to_string(v.type) + ", not REG_SZ");
            continue;
        }
        if (v.bytes > kMaxRegSyncValueBytes || !v.text) {
            skip(std::to_string(v.bytes) + " bytes of data (a checkpoint path has at most " +
                 std::to_string(kMaxRegSyncValueBytes) + ")");
            continue;
        }
        std::string_view path = *v.text;
        // The control code's paths may start with '\' too; both mean HKLM's.
        while (!path.empty() && path.front() == '\\') path.remove_prefix(1);
        if (const auto why = regsync_path_problem(path)) {
            skip(*why + ": '" + shown(*v.text) + "'");
            continue;
        }
        const std::string key = "HKLM\\" + std::string(path);
        const bool seen = std::any_of(out.keys.begin(), out.keys.end(),
                                      [&](const std::string& k) { return iequals(k, key); });
        if (!seen) out.keys.push_back(key);
    }
    return out;
}

}  // namespace permwatch
