#include "core/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/ascii.hpp"

#include "core/security_descriptor.hpp"

namespace permwatch {

namespace {

// ordered_json keeps members in the order the file wrote them, so problems
// come out in document order, the order an administrator reads the file in.
using Json = nlohmann::ordered_json;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
// "\\.\pipe\" takes 9 of the 256 characters Windows allows for a pipe name.
constexpr std::size_t kMaxPipeName = 247;
// The SCM's limit for a service name.
constexpr std::size_t kMaxServiceName = 256;

constexpr std::string_view kHklm = "HKLM\\";
constexpr std::string_view kHklmLong = "HKEY_LOCAL_MACHINE\\";

std::string upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_upper(c);
    return out;
}

// Characters, not bytes, as JSON Schema's maxLength counts them (the parser has
// already rejected invalid UTF-8).
std::size_t code_points(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_control_char(std::string_view s) {
    return std::any_of(s.begin(), s.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

std::string child(const std::string& pointer, std::string_view member) {
    return pointer + "/" + json_pointer_token(member);
}

std::string child(const std::string& pointer, std::size_t index) {
    return pointer + "/" + std::to_string(index);
}

std::string json_quote(std::string_view s) {
    // dump() escapes quotes and control characters; replace keeps it from
    // throwing on a multi-byte character cut by the truncation.
    constexpr std::size_t kMax = 60;
    Json j = std::string(s.substr(0, kMax));
    std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    if (s.size() > kMax) out.insert(out.size() - 1, "...");
    return out;
}

// What the file holds at a place, for "found ..." in messages.
std::string found(const Json& v) {
    switch (v.type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::boolean:
            return v.get<bool>() ? "the boolean true" : "the boolean false";
        case Json::value_t::string:
            return "the string " + json_quote(v.get_ref<const std::string&>());
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "the number " + v.dump();
        case Json::value_t::object:
            return v.empty() ? "an empty object" : "an object";
        case Json::value_t::array:
            return v.empty() ? "an empty array" : "an array";
        default:
            return "a value of an unexpected kind";
    }
}

// JSON Schema's "integer": any number with no fractional part (so 60.0 is 60).
// Values beyond int64 saturate, so that range checks reject them.
std::optional<std::int64_t> integral_value(const Json& v) {
    if (v.is_number_unsigned()) {
        const auto u = v.get<std::uint64_t>();
        const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return u > max ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(u);
    }
    if (v.is_number_integer()) return v.get<std::int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::floor(d) != d) return std::nullopt;
        if (d >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
        if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::string join(std::initializer_list<std::string_view> names) {
    std::string out;
    for (auto n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

const std::initializer_list<std::string_view> kTopMembers = {
    "version",  "mode", "sweep_interval_s", "debounce_ms", "failover_timeout_s",
    "flapping", "pipe", "journal",          "keys"};
const std::initializer_list<std::string_view> kFlappingMembers = {"max_repairs", "window_s",
                                                                  "backoff_s"};
const std::initializer_list<std::string_view> kKeyMembers = {"path", "checkpoint", "require"};
const std::initializer_list<std::string_view> kRequirementMembers = {"principal", "rights",
                                                                     "inherit"};

constexpr std::string_view kPrincipalForms =
    "a SID string (\"S-1-5-18\"), an SDDL alias of two upper-case letters (\"SY\"), "
    "\"DOMAIN\\\\name\" (\".\\\\name\" for a local account) or "
    "{\"service_account_of\": \"ServiceName\"}";

class Loader {
public:
    explicit Loader(std::vector<ConfigProblem>& problems) : problems_(problems) {}

    Config load(const Json& doc) {
        Config cfg;
        if (!doc.is_object()) {
            problem("", "found " + found(doc) +
                            "; expected a JSON object with at least \"version\" and \"keys\"");
            return cfg;
        }
        bool have_version = false;
        bool have_keys = false;
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
            } else if (name == "keys") {
                have_keys = true;
                keys(v, p, cfg.keys);
            } else {
                unknown(p, name, kTopMembers);
            }
        }
        if (!have_version) {
            problem("/version", "missing; expected \"version\": 1");
        }
        if (!have_keys) {
            problem("/keys", "missing; expected an array of keys to watch");
        }
        return cfg;
    }

private:
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
                           " (Windows limits \\\\.\\pipe\\NAME to 256)");
        } else {
            out = s;
        }
    }

    void keys(const Json& v, const std::string& p, std::vector<KeyPolicy>& out) {
        if (!v.is_array() || v.empty()) {
            problem(p, "found " + found(v) +
                           "; expected a non-empty array of keys, each {\"path\": ..., "
                           "\"require\": [...]}");
            return;
        }
        // (index, path) of every key whose path is valid, to find two entries
        // that name the same key even when other parts of them are wrong.
        std::vector<std::pair<std::size_t, std::string>> seen;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string kp = child(p, i);
            KeyPolicy key;
            if (!key_policy(v[i], kp, key)) continue;
            for (const auto& [j, other] : seen) {
                if (same_key_path(other, key.path)) {
                    problem(child(kp, "path"),
                            "found " + json_quote(key.path) + ", the same key as " + child(p, j) +
                                "/path (" + json_quote(other) +
                                "); expected each key once (merge their \"require\" lists)");
                    break;
                }
            }
            seen.emplace_back(i, key.path);
            out.push_back(std::move(key));
        }
    }

    // Returns false when the key's path is unusable (so it cannot take part in
    // the duplicate check); other problems are reported and do not stop it.
    bool key_policy(const Json& v, const std::string& p, KeyPolicy& out) {
        if (!is_object_or_report(
                v, p, "an object with \"path\" and \"require\" (and optionally \"checkpoint\")")) {
            return false;
        }
        bool path_ok = false;
        bool have_path = false;
        bool have_require = false;
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& name = it.key();
            const std::string cp = child(p, name);
            if (name == "path") {
                have_path = true;
                path_ok = key_path(it.value(), cp, out.path);
            } else if (name == "checkpoint") {
                const Json& c = it.value();
                if (c == "auto") {
                    out.checkpoint = CheckpointMode::automatic;
                } else if (c.is_boolean()) {
                    out.checkpoint = c.get<bool>() ? CheckpointMode::yes : CheckpointMode::no;
                } else {
                    problem(cp, "found " + found(c) +
                                    "; expected \"auto\" (ask the cluster), true or false");
                }
            } else if (name == "require") {
                have_require = true;
                requirements(it.value(), cp, out.require);
            } else {
                unknown(cp, name, kKeyMembers);
            }
        }
        if (!have_path) {
            problem(child(p, "path"),
                    "missing; expected the key's path, such as "
                    "\"HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\MSExchangeES\"");
        }
        if (!have_require) {
            problem(child(p, "require"),
                    "missing; expected an array of requirements, each {\"principal\": ..., "
                    "\"rights\": [...]}");
        }
        return path_ok;
    }

    bool key_path(const Json& v, const std::string& p, std::string& out) {
        constexpr std::string_view expected =
            "; expected a path that starts with HKLM\\ or HKEY_LOCAL_MACHINE\\, such as "
            "\"HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\MSExchangeES\"";
        if (!v.is_string()) {
            problem(p, "found " + found(v) + std::string(expected));
            return false;
        }
        const auto& s = v.get_ref<const std::string&>();
        // A NUL cuts the name Win32 sees short of the one the policy names, and
        // a control character makes log lines lie: neither is in a real key name.
        if (has_control_char(s)) {
            problem(
                p, "found " + found(v) + "; expected a key path without control characters or NUL");
            return false;
        }
        const auto normal = normalize_key_path(s);
        if (!normal) {
            problem(p, "found " + found(v) + std::string(expected) +
                           " (PermWatch watches keys of HKEY_LOCAL_MACHINE only)");
            return false;
        }
        const std::string_view rest = std::string_view(*normal).substr(kHklm.size());
        if (rest.empty()) {
            problem(p, "found " + found(v) + ", the root itself; expected a subkey of it" +
                           std::string(expected));
            return false;
        }
        if (rest.front() == '\\' || rest.back() == '\\' ||
            rest.find("\\\\") != std::string_view::npos) {
            problem(p, "found " + found(v) +
                           ", which has an empty component (a doubled, leading or trailing "
                           "backslash); expected names separated by single backslashes");
            return false;
        }
        out = s;
        return true;
    }

    void requirements(const Json& v, const std::string& p, std::vector<Requirement>& out) {
        if (!v.is_array() || v.empty()) {
            problem(p, "found " + found(v) +
                           "; expected a non-empty array of requirements, each "
                           "{\"principal\": ..., \"rights\": [...]}");
            return;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            Requirement r;
            if (requirement(v[i], child(p, i), r)) out.push_back(std::move(r));
        }
    }

    bool requirement(const Json& v, const std::string& p, Requirement& out) {
        if (!is_object_or_report(
                v, p, "an object with \"principal\" and \"rights\" (and optionally \"inherit\")")) {
            return false;
        }
        const std::size_t before = problems_.size();
        bool have_principal = false;
        bool have_rights = false;
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& name = it.key();
            const std::string cp = child(p, name);
            if (name == "principal") {
                have_principal = true;
                principal(it.value(), cp, out.principal);
            } else if (name == "rights") {
                have_rights = true;
                rights_list(it.value(), cp, out.rights);
            } else if (name == "inherit") {
                inherit(it.value(), cp, out.inherit);
            } else {
                unknown(cp, name, kRequirementMembers);
            }
        }
        if (!have_principal) {
            problem(child(p, "principal"), "missing; expected " + std::string(kPrincipalForms));
        }
        if (!have_rights) {
            problem(child(p, "rights"),
                    "missing; expected an array of right names such as [\"KEY_ALL_ACCESS\"]");
        }
        return problems_.size() == before;
    }

    void principal(const Json& v, const std::string& p, Principal& out) {
        if (v.is_object()) {
            service_account(v, p, out);
            return;
        }
        if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
            problem(p, "found " + found(v) + "; expected " + std::string(kPrincipalForms));
            return;
        }
        const auto& s = v.get_ref<const std::string&>();
        if (s.find('\\') != std::string::npos) {
            // An account name. LookupAccountName would also take a bare name,
            // but then searches several places and may find another account of
            // that name; a policy about access must say whose domain it means.
            const auto slash = s.find('\\');
            if (has_control_char(s)) {
                problem(p, "found " + found(v) +
                               "; expected an account name without control characters or NUL");
                return;
            }
            if (slash == 0 || slash + 1 == s.size() ||
                s.find('\\', slash + 1) != std::string::npos) {
                problem(p, "found " + found(v) +
                               "; expected an account as \"DOMAIN\\\\name\": one backslash "
                               "between a non-empty domain and a non-empty name");
                return;
            }
            out.kind = Principal::Kind::account_name;
            out.name = s;
            return;
        }
        if (s.starts_with("S-") || s.starts_with("s-")) {
            if (auto sid = Sid::parse(s)) {
                out.kind = Principal::Kind::sid;
                out.sid = *sid;
            } else {
                problem(p, "found " + found(v) + ", which is not a well-formed SID (" +
                               sid_parse_error(s) +
                               "); expected a SID string such as \"S-1-5-18\" or "
                               "\"S-1-5-21-1004336348-1177238915-682003330-512\"");
            }
            return;
        }
        if (s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z') {
            if (auto sid = Sid::from_alias(s)) {
                out.kind = Principal::Kind::sid;
                out.sid = *sid;
            } else if (is_domain_relative_alias(s)) {
                problem(p, "found " + found(v) +
                               ", an SDDL alias relative to a domain PermWatch cannot know; "
                               "expected the group's SID (\"S-1-5-21-...\") or "
                               "\"DOMAIN\\\\name\"");
            } else {
                problem(p, "found " + found(v) +
                               ", which is not an SDDL alias PermWatch knows; expected an alias "
                               "of a well-known SID such as \"SY\", \"BA\", \"BU\" or \"WD\"");
            }
            return;
        }
        std::string hint;
        if (s.size() == 2 && Sid::from_alias(upper(s))) {
            hint = " (did you mean the alias " + json_quote(upper(s)) + "?)";
        } else {
            hint = " (for a local account write \".\\\\" + s +
                   "\", for a built-in group \"BUILTIN\\\\" + s + "\")";
        }
        problem(p, "found " + found(v) + ", a bare name; expected " + std::string(kPrincipalForms) +
                       hint);
    }

    void service_account(const Json& v, const std::string& p, Principal& out) {
        bool have_name = false;
        for (auto it = v.begin(); it != v.end(); ++it) {
            const std::string& name = it.key();
            const std::string cp = child(p, name);
            if (name != "service_account_of") {
                unknown(cp, name, {"service_account_of"});
                continue;
            }
            have_name = true;
            const Json& s = it.value();
            if (!s.is_string() || s.get_ref<const std::string&>().empty()) {
                problem(cp, "found " + found(s) +
                                "; expected a service's name as a non-empty string, such as "
                                "\"MSExchangeSA\"");
                continue;
            }
            const auto& text = s.get_ref<const std::string&>();
            if (text.find_first_of("\\/") != std::string::npos || has_control_char(text) ||
                code_points(text) > kMaxServiceName) {
                problem(cp, "found " + found(s) +
                                "; expected a service name (the SCM's key name, not the display "
                                "name): at most 256 characters, no \"/\" or \"\\\\\"");
                continue;
            }
            out.kind = Principal::Kind::service_account_of;
            out.name = text;
        }
        if (!have_name) {
            problem(child(p, "service_account_of"),
                    "missing; expected {\"service_account_of\": \"ServiceName\"}");
        }
    }

    void rights_list(const Json& v, const std::string& p, AccessMask& out) {
        if (!v.is_array() || v.empty()) {
            problem(p, "found " + found(v) +
                           "; expected a non-empty array of right names such as "
                           "[\"KEY_ALL_ACCESS\"] or hex masks such as [\"0x20019\"]");
            return;
        }
        AccessMask mask = 0;
        bool all_ok = true;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const Json& r = v[i];
            const std::string cp = child(p, i);
            if (!r.is_string()) {
                problem(cp, "found " + found(r) + "; expected a right name as a string");
                all_ok = false;
                continue;
            }
            const auto& s = r.get_ref<const std::string&>();
            if (auto m = parse_right_name(s)) {
                mask |= *m;
                continue;
            }
            all_ok = false;
            if (s.starts_with("0x") || s.starts_with("0X")) {
                problem(cp, "found " + found(r) +
                                "; expected a hex mask: \"0x\" (lower-case x) and 1 to 8 hex "
                                "digits, such as \"0x20019\"");
            } else if (auto m2 = parse_right_name(upper(s))) {
                problem(cp, "found " + found(r) + "; expected " + json_quote(upper(s)) +
                                " (right names are upper-case)");
            } else {
                problem(cp, "found " + found(r) +
                                ", an unknown right; expected a name such as KEY_READ, "
                                "KEY_WRITE, KEY_ALL_ACCESS, KEY_QUERY_VALUE, DELETE, "
                                "READ_CONTROL, WRITE_DAC, WRITE_OWNER, GENERIC_ALL, or a hex "
                                "mask such as \"0x20019\"");
            }
        }
        if (all_ok && mask == 0) {
            problem(p,
                    "found rights that add up to no access at all (0x0); expected at least "
                    "one right (a requirement of nothing is always met)");
        }
        out = mask;
    }

    void inherit(const Json& v, const std::string& p, std::uint8_t& out) {
        if (!v.is_array()) {
            problem(p, "found " + found(v) +
                           "; expected an array of \"container\", \"object\", "
                           "\"inherit_only\", \"no_propagate\" ([] for the key itself only)");
            return;
        }
        std::uint8_t flags = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const Json& f = v[i];
            const std::string cp = child(p, i);
            std::uint8_t bit = 0;
            if (f == "container") {
                bit = ace_flags::container_inherit;
            } else if (f == "object") {
                bit = ace_flags::object_inherit;
            } else if (f == "inherit_only") {
                bit = ace_flags::inherit_only;
            } else if (f == "no_propagate") {
                bit = ace_flags::no_propagate;
            } else {
                problem(cp, "found " + found(f) +
                                "; expected \"container\", \"object\", \"inherit_only\" or "
                                "\"no_propagate\"");
                continue;
            }
            if (flags & bit) {
                problem(cp, "found " + found(f) + " a second time; expected each flag once");
                continue;
            }
            flags |= bit;
        }
        // IO and NP only say how an ACE is inherited; without CI or OI the ACE
        // is never inherited, so IO would make it apply to nothing at all.
        const std::uint8_t inheriting = ace_flags::container_inherit | ace_flags::object_inherit;
        const std::uint8_t modifiers = ace_flags::inherit_only | ace_flags::no_propagate;
        if ((flags & modifiers) && !(flags & inheriting)) {
            problem(p,
                    "found \"inherit_only\" or \"no_propagate\" without \"container\" or "
                    "\"object\"; expected one of those too (alone they make an ACE that "
                    "is never inherited)");
        }
        out = flags;
    }

    std::vector<ConfigProblem>& problems_;
};

// nlohmann keeps the last of two members with the same name without a word;
// an administrator who wrote "mode" twice should hear about it. The parser
// callback sees keys in order, so track where it is as a JSON pointer.
class DuplicateFinder {
public:
    explicit DuplicateFinder(std::vector<ConfigProblem>& problems) : problems_(problems) {}

    bool operator()(int /*depth*/, nlohmann::detail::parse_event_t event, Json& parsed) {
        using E = nlohmann::detail::parse_event_t;
        switch (event) {
            case E::object_start:
            case E::array_start:
                frames_.push_back({event == E::object_start, next_token(), {}, {}, 0});
                break;
            case E::object_end:
            case E::array_end:
                if (!frames_.empty()) frames_.pop_back();
                break;
            case E::key:
                if (!frames_.empty() && parsed.is_string()) {
                    Frame& f = frames_.back();
                    const auto& name = parsed.get_ref<const std::string&>();
                    if (!f.names.insert(name).second) {
                        problems_.push_back(
                            {child(pointer(), name),
                             "found member " + json_quote(name) +
                                 " a second time in the same object; expected each member "
                                 "once (JSON parsers would silently keep only one of them)"});
                    }
                    f.last_key = name;
                }
                break;
            case E::value:
                if (!frames_.empty() && !frames_.back().is_object) ++frames_.back().index;
                break;
        }
        return true;
    }

private:
    // Each frame keeps only its own token, not its whole pointer: a document
    // nested 100,000 deep must not cost 100,000 squared bytes.
    struct Frame {
        bool is_object;
        std::string token;  // how the parent names it ("" for the root)
        std::set<std::string> names;
        std::string last_key;
        std::size_t index;
    };

    std::string next_token() {
        if (frames_.empty()) return "";
        Frame& f = frames_.back();
        return f.is_object ? f.last_key : std::to_string(f.index++);
    }

    std::string pointer() const {
        std::string out;
        for (std::size_t i = 1; i < frames_.size(); ++i) out = child(out, frames_[i].token);
        return out;
    }

    std::vector<ConfigProblem>& problems_;
    std::vector<Frame> frames_;
};

// nlohmann builds and copies documents recursively, so a file of 100,000
// nested brackets would overflow the stack before any rule could look at it.
// A config is 6 levels deep; refuse far deeper ones up front. Returns the byte
// offset where the limit is passed.
constexpr int kMaxDepth = 64;

std::optional<std::size_t> too_deep(std::string_view text) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) return i;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return std::nullopt;
}

std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
    std::size_t line = 1;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            line_start = i + 1;
        }
    }
    return {line, offset - line_start + 1};
}

// nlohmann quotes the whole offending token ("number overflow parsing
// '1222...'"); one line of an event log entry should stay readable.
// Its "last read" part also copies raw bytes of the file, which may not be
// UTF-8; messages end up in JSON output and the event log, so keep them ASCII.
std::string shorten(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    }
    constexpr std::size_t kMax = 300;
    if (text.size() > kMax) {
        text.resize(kMax);
        text += "...";
    }
    return text;
}

ConfigProblem syntax_problem(std::string_view text, const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and points at the last character read.
    const std::size_t end = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const auto [line, column] = line_column(text, end);
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line
    // L, column C: DETAIL"; keep DETAIL, the position is said once above.
    std::string detail = e.what();
    if (auto at = detail.find("column "); at != std::string::npos) {
        if (auto colon = detail.find(": ", at); colon != std::string::npos) {
            detail = detail.substr(colon + 2);
        }
    }
    return {"", "not valid JSON at line " + std::to_string(line) + ", column " +
                    std::to_string(column) + " (byte " + std::to_string(e.byte) +
                    "): " + shorten(std::move(detail))};
}

}  // namespace

std::string Principal::text() const {
    switch (kind) {
        case Kind::sid:
            return sid.str();
        case Kind::account_name:
            return name;
        case Kind::service_account_of:
            return "service_account_of:" + name;
    }
    return name;
}

std::string_view to_string(Mode mode) {
    switch (mode) {
        case Mode::enforce:
            return "enforce";
        case Mode::audit:
            return "audit";
    }
    return "unknown";
}

std::optional<std::string> normalize_key_path(std::string_view path) {
    std::string_view rest;
    if (istarts_with(path, kHklm)) {
        rest = path.substr(kHklm.size());
    } else if (istarts_with(path, kHklmLong)) {
        rest = path.substr(kHklmLong.size());
    } else {
        return std::nullopt;
    }
    std::string out(kHklm);
    out += rest;
    return out;
}

bool same_key_path(std::string_view a, std::string_view b) {
    // Registry names compare case-insensitively. Only ASCII is folded here:
    // Windows folds all of Unicode, so two non-ASCII spellings of one key may
    // go unnoticed (then both entries are kept, which is harmless).
    const auto na = normalize_key_path(a);
    const auto nb = normalize_key_path(b);
    return iequals(na ? std::string_view(*na) : a, nb ? std::string_view(*nb) : b);
}

ConfigResult load_config(std::string_view json_text) {
    ConfigResult result;
    std::vector<ConfigProblem> duplicates;
    if (const auto deep = too_deep(json_text)) {
        const auto [line, column] = line_column(json_text, *deep);
        result.problems.push_back(
            {"", "found arrays or objects nested more than " + std::to_string(kMaxDepth) +
                     " levels deep at line " + std::to_string(line) + ", column " +
                     std::to_string(column) + "; expected a config (it needs 6 levels)"});
        return result;
    }
    Json doc;
    try {
        doc = Json::parse(json_text.begin(), json_text.end(), DuplicateFinder(duplicates));
    } catch (const nlohmann::json::parse_error& e) {
        result.problems.push_back(syntax_problem(json_text, e));
        return result;
    } catch (const nlohmann::json::exception& e) {
        // Not a syntax error but still the parser's: a number such as 1e400
        // that does not fit a double (out_of_range.406), which has no position.
        std::string detail = e.what();
        if (auto close = detail.find("] "); close != std::string::npos) {
            detail = detail.substr(close + 2);
        }
        result.problems.push_back({"", "not valid JSON: " + shorten(std::move(detail))});
        return result;
    }
    result.problems = std::move(duplicates);
    Config cfg = Loader(result.problems).load(doc);
    if (result.problems.empty()) result.config = std::move(cfg);
    return result;
}

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

bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key) {
    const auto k = normalize_key_path(key);
    const auto c = normalize_key_path(checkpoint_key);
    return k && c && istarts_with(*k, *c) && (k->size() == c->size() || (*k)[c->size()] == '\\');
}

}  // namespace permwatch
