// The config loader (docs/reference.md "Configuration"): the document and its
// settings here, the "keys" section in config_keys.cpp. Every problem is
// reported with its JSON pointer; a config with any problem is rejected whole.
#include "core/policy/config.hpp"
#include "core/policy/config_keys.hpp"
#include "core/policy/config_reader.hpp"
#include "core/policy/file_text.hpp"
#include "core/policy/json_reading.hpp"

namespace permwatch {

namespace {

using namespace config_reading;

// "\\\\.\\pipe\\" takes 9 of the 256 characters Windows allows for a pipe name,
// and the administrators' door ("<pipe>-admin") 6 more: a longer name would
// load and then fail when the service creates that door.
constexpr std::size_t kMaxPipeName = 241;

const std::initializer_list<std::string_view> kTopMembers = {
    "version",     "mode",       "sweep_interval_s", "debounce_ms",       "failover_timeout_s",
    "flapping",    "pipe",       "journal",          "journal_max_bytes", "keys",
    "auto_rights", "auto_rules", "comment"};
const std::initializer_list<std::string_view> kFlappingMembers = {"max_repairs", "window_s",
                                                                  "backoff_s"};

class Loader : public ConfigReader {
public:
    using ConfigReader::ConfigReader;

    Config load(const Json& doc) {
        Config cfg;
        if (!doc.is_object()) {
            problem("", "found " + found(doc) +
                            "; expected a JSON object with at least \"version\" and \"keys\"");
            return cfg;
        }
        bool have_version = false;
        bool have_keys = false;
        bool have_auto_settings = false;
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            const std::string& name = it.key();
            const Json& v = it.value();
            const std::string p = child("", name);
            if (name == "version") {
                have_version = true;
                if (integral_value(v) != 1) {
                    problem(p, "found " + found(v) +
                                   "; expected the integer 1 (the only config format version)");
                }
            } else if (name == "mode") {
                if (v == "enforce") {
                    cfg.mode = Mode::enforce;
                } else if (v == "audit") {
                    cfg.mode = Mode::audit;
                } else {
                    problem(p, "found " + found(v) + "; expected \"enforce\" or \"audit\"");
                }
            } else if (name == "sweep_interval_s") {
                int_member(v, p, 1, "seconds between safety sweeps", cfg.sweep_interval_s);
            } else if (name == "failover_timeout_s") {
                int_member(v, p, 1,
                           "seconds keys stay frozen after a failover prepare when neither "
                           "online nor failed comes",
                           cfg.failover_timeout_s);
            } else if (name == "debounce_ms") {
                int_member(v, p, 0, "milliseconds to wait for a burst of changes to end",
                           cfg.debounce_ms);
            } else if (name == "flapping") {
                flapping(v, p, cfg.flapping);
            } else if (name == "pipe") {
                pipe(v, p, cfg.pipe);
            } else if (name == "journal") {
                if (v.is_string() && has_control_char(v.get_ref<const std::string&>())) {
                    problem(p, "found " + found(v) +
                                   "; expected a file path without control characters or NUL");
                } else if (v.is_string() && !v.get_ref<const std::string&>().empty()) {
                    cfg.journal = v.get<std::string>();
                } else {
                    problem(p, "found " + found(v) +
                                   "; expected the journal file's path as a non-empty string");
                }
            } else if (name == "journal_max_bytes") {
                journal_max_bytes(v, p, cfg.journal_max_bytes);
            } else if (name == "keys") {
                have_keys = true;
                read_keys(v, p, cfg.keys, cfg.auto_keys.enabled, problems_);
            } else if (name == "comment") {
                read_comment(v, p, problems_);
            } else if (name == "auto_rights") {
                have_auto_settings = true;
                read_auto_rights(v, p, cfg.auto_keys.service_rights, problems_);
            } else if (name == "auto_rules") {
                have_auto_settings = true;
                read_auto_rules(v, p, cfg.auto_keys.rules, problems_);
            } else {
                unknown(p, name, kTopMembers);
            }
        }
        if (!have_version) {
            problem("/version", "missing; expected \"version\": 1");
        }
        if (!have_keys) {
            problem("/keys", "missing; expected an array of keys to watch, or \"auto\"");
        } else if (have_auto_settings && !cfg.auto_keys.enabled) {
            // Settings that would change nothing are a mistake worth a word.
            problem("/keys",
                    "has no \"auto\", but \"auto_rights\" or \"auto_rules\" is "
                    "set; expected \"keys\": \"auto\" or \"auto\" among the keys "
                    "(or neither setting)");
        }
        return cfg;
    }

private:
    // At least 4 KiB, so a typo cannot rotate at every line; at most 1 TiB.
    void journal_max_bytes(const Json& v, const std::string& p, std::int64_t& out) {
        constexpr std::int64_t kMin = 4096;
        constexpr std::int64_t kMax = std::int64_t{1} << 40;
        const auto value = integral_value(v);
        if (!value || *value < kMin || *value > kMax) {
            problem(p, "found " + found(v) + "; expected an integer from " + std::to_string(kMin) +
                           " to " + std::to_string(kMax) +
                           " (bytes after which the journal is rotated)");
            return;
        }
        out = *value;
    }

    void flapping(const Json& v, const std::string& p, Flapping& out) {
        if (!is_object_or_report(v, p,
                                 "an object such as {\"max_repairs\": 5, \"window_s\": 60, "
                                 "\"backoff_s\": 300}")) {
            return;
        }
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& name = it.key();
            const std::string cp = child(p, name);
            if (name == "max_repairs") {
                int_member(it.value(), cp, 1,
                           "repairs of one key within window_s before backing off",
                           out.max_repairs);
            } else if (name == "window_s") {
                int_member(it.value(), cp, 1, "seconds in which repairs are counted", out.window_s);
            } else if (name == "backoff_s") {
                int_member(it.value(), cp, 1, "seconds to leave a flapping key alone",
                           out.backoff_s);
            } else {
                unknown(cp, name, kFlappingMembers);
            }
        }
    }
    void pipe(const Json& v, const std::string& p, std::string& out) {
        if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
            problem(p, "found " + found(v) + "; expected the pipe's name as a non-empty string");
            return;
        }
        const auto& s = v.get_ref<const std::string&>();
        if (s.find('\\') != std::string::npos) {
            problem(p, "found " + found(v) +
                           "; expected only the pipe's name without backslashes, such as "
                           "\"permwatch\" (PermWatch adds \\\\.\\pipe\\ itself)");
        } else if (has_control_char(s)) {
            problem(p, "found " + found(v) + "; expected a pipe name without control characters");
        } else if (code_points(s) > kMaxPipeName) {
            problem(p, "found a name of " + std::to_string(code_points(s)) +
                           " characters; expected at most " + std::to_string(kMaxPipeName) +
                           " (Windows limits \\\\.\\pipe\\NAME-admin to 256)");
        } else {
            out = s;
        }
    }
};

}  // namespace

ConfigResult load_config(std::string_view json_text) {
    ConfigResult result;
    std::optional<Json> doc = parse_json_guarded(json_text, result.problems);
    if (!doc) return result;
    Config cfg = Loader(result.problems).load(*doc);
    if (result.problems.empty()) result.config = std::move(cfg);
    return result;
}

ConfigResult load_config_file(const std::string& path) {
    const std::optional<std::string> text = read_file_text(path);
    if (!text) return {std::nullopt, {{"", "cannot be read"}}};
    return load_config(*text);
}

}  // namespace permwatch
