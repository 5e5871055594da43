#include "core/pipe/status_format.hpp"

#include <algorithm>
#include <sstream>
#include <vector>

namespace permwatch {

namespace {

// A field as text: strings as they are, null or absent as `none`, anything
// else as compact JSON.
std::string text(const nlohmann::json& object, const char* name, const char* none = "-") {
    if (!object.is_object()) return none;
    const auto it = object.find(name);
    if (it == object.end() || it->is_null()) return none;
    if (it->is_string()) return it->get<std::string>();
    return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string format_status_table(const nlohmann::json& status) {
    std::ostringstream out;
    const nlohmann::json empty_keys = nlohmann::json::array();
    const nlohmann::json& keys =
        status.is_object() && status.contains("keys") && status["keys"].is_array() ? status["keys"]
                                                                                   : empty_keys;
    out << "PermWatch " << text(status, "version", "?") << ", mode " << text(status, "mode", "?")
        << ", " << keys.size() << (keys.size() == 1 ? " key" : " keys") << "\n";

    std::vector<std::vector<std::string>> rows = {{"KEY", "STATE", "LAST CHECK", "LAST REPAIR"}};
    for (const nlohmann::json& key : keys) {
        rows.push_back({text(key, "path", "?"), text(key, "state", "?"),
                        text(key, "last_check", "never"), text(key, "last_repair", "never")});
    }
    std::vector<std::size_t> width(4, 0);
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    if (!keys.empty()) {
        for (const auto& row : rows) {
            std::string line;
            for (std::size_t i = 0; i < row.size(); ++i)
                line += i + 1 < row.size() ? pad(row[i], width[i] + 2) : row[i];
            out << line << "\n";
        }
    }

    // Which resource checkpoints each key, and where PermWatch learned it
    // ("control code", "RegSync" or "config"): keys without one are left out.
    bool checkpoint_header = false;
    for (const nlohmann::json& key : keys) {
        if (!key.is_object() || !key.contains("checkpoint") || !key["checkpoint"].is_object()) {
            continue;
        }
        const nlohmann::json& cp = key["checkpoint"];
        if (!checkpoint_header) {
            out << "checkpoints:\n";
            checkpoint_header = true;
        }
        auto named = [&](const char* field) {
            const std::string t = text(cp, field);
            return t.empty() ? std::string("-") : t;
        };
        out << "  " << text(key, "path", "?") << ": resource " << named("resource") << ", group "
            << named("group") << ", from " << text(cp, "source", "control code") << "\n";
    }

    // The keys learned from the cluster ("keys": "auto"), each requirement
    // with the reason it is there.
    bool learned_header = false;
    for (const nlohmann::json& key : keys) {
        if (!key.is_object() || !key.contains("auto") || !key["auto"].is_string()) continue;
        if (!learned_header) {
            out << "learned from the cluster:\n";
            learned_header = true;
        }
        out << "  " << text(key, "path", "?") << ": resource " << text(key, "auto", "?")
            << ", group " << text(key, "auto_group", "-") << "\n";
        if (key.contains("require") && key["require"].is_array()) {
            for (const nlohmann::json& r : key["require"]) {
                out << "    " << text(r, "principal", "?") << " " << text(r, "rights", "?")
                    << (r.is_object() && r.value("subkeys", false) ? " (and subkeys)" : "") << ": "
                    << text(r, "because", "") << "\n";
            }
        }
        if (const std::string problem = text(key, "auto_problem", ""); !problem.empty())
            out << "    not required: " << problem << "\n";
    }

    if (status.is_object() && status.contains("counters") && status["counters"].is_object() &&
        !status["counters"].empty()) {
        out << "counters:";
        bool first = true;
        for (const auto& [name, value] : status["counters"].items()) {
            out << (first ? " " : ", ") << name << " "
                << (value.is_string()
                        ? value.get<std::string>()
                        : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            first = false;
        }
        out << "\n";
    }

    if (status.is_object() && status.contains("cluster") && status["cluster"].is_object()) {
        const nlohmann::json& c = status["cluster"];
        const bool available =
            c.contains("available") && c["available"].is_boolean() && c["available"].get<bool>();
        out << "cluster: " << (available ? "available" : "not available");
        if (available) {
            out << " (node " << text(c, "node") << ", failovers prepared "
                << text(c, "failovers_prepared", "0") << ", last event "
                << text(c, "last_event", "none") << ")";
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace permwatch
