// What every section of the config loader shares: the problem list and the
// checks every section makes (unknown members, objects, bounded integers).
// Internal to the loader (config_loader.cpp, config_keys.cpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/config.hpp"
#include "core/policy/json_pointer.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch::config_reading {

inline constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

inline std::string child(const std::string& pointer, std::string_view member) {
    return json_pointer_child(pointer, member);
}
inline std::string child(const std::string& pointer, std::size_t index) {
    return json_pointer_child(pointer, index);
}

std::string upper(std::string_view s);
// Characters, not bytes, as JSON Schema's maxLength counts them.
std::size_t code_points(std::string_view s);
bool has_control_char(std::string_view s);
std::string join(std::initializer_list<std::string_view> names);

class ConfigReader {
public:
    explicit ConfigReader(std::vector<ConfigProblem>& problems) : problems_(problems) {}

protected:
    void problem(std::string pointer, std::string message) {
        problems_.push_back({std::move(pointer), std::move(message)});
    }
    void unknown(const std::string& p, std::string_view name,
                 std::initializer_list<std::string_view> allowed) {
        problem(p,
                "found unknown member " + json_quote(name) + "; expected one of: " + join(allowed));
    }
    bool is_object_or_report(const Json& v, const std::string& p, std::string_view expected) {
        if (v.is_object()) return true;
        problem(p, "found " + found(v) + "; expected " + std::string(expected));
        return false;
    }
    void int_member(const Json& v, const std::string& p, std::int64_t min, std::string_view what,
                    int& out) {
        const auto value = integral_value(v);
        if (!value || *value < min || *value > kIntMax) {
            problem(p, "found " + found(v) + "; expected an integer from " + std::to_string(min) +
                           " to " + std::to_string(kIntMax) + " (" + std::string(what) + ")");
            return;
        }
        out = static_cast<int>(*value);
    }

    std::vector<ConfigProblem>& problems_;
};

}  // namespace permwatch::config_reading
