#include "core/policy/config_keys.hpp"

#include "core/common/ascii.hpp"
#include "core/policy/config_reader.hpp"
#include "core/security/key_path.hpp"
#include "core/security/security_descriptor.hpp"

namespace permwatch::config_reading {

namespace {

// The SCM's limit for a service name.
constexpr std::size_t kMaxServiceName = 256;

const std::initializer_list<std::string_view> kKeyMembers = {"path", "checkpoint", "require",
                                                             "comment"};
const std::initializer_list<std::string_view> kRuleMembers = {"resource_type", "require"};
const std::initializer_list<std::string_view> kRequirementMembers = {"principal", "rights",
                                                                     "inherit", "comment"};

constexpr std::string_view kPrincipalForms =
    "a SID string (\"S-1-5-18\"), an SDDL alias of two upper-case letters (\"SY\"), "
    "\"DOMAIN\\\\name\" (\".\\\\name\" for a local account) or "
    "{\"service_account_of\": \"ServiceName\"}";

class KeysReader : public ConfigReader {
public:
    using ConfigReader::ConfigReader;

    void keys(const Json& v, const std::string& p, std::vector<KeyPolicy>& out, bool& auto_keys) {
        if (v == "auto") {
            auto_keys = true;
            return;
        }
        if (!v.is_array() || v.empty()) {
            problem(p, "found " + found(v) +
                           "; expected \"auto\" (every registry checkpoint the cluster "
                           "knows) or a non-empty array of keys, each {\"path\": ..., "
                           "\"require\": [...]}");
            return;
        }
        // (index, path) of every key whose path is valid, to find two entries
        // that name the same key even when other parts of them are wrong.
        std::vector<std::pair<std::size_t, std::string>> seen;
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string kp = child(p, i);
            if (v[i] == "auto") {
                if (auto_keys) {
                    problem(kp, "found \"auto\" a second time; expected it once");
                }
                auto_keys = true;
                continue;
            }
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

    // "comment": words for the reader (`init` says where each entry came
    // from); any string, ignored.
    void comment(const Json& v, const std::string& p) {
        if (!v.is_string()) problem(p, "found " + found(v) + "; expected a string (a comment)");
    }

    void auto_rights(const Json& v, const std::string& p, AccessMask& out) {
        rights_list(v, p, out);
    }

    void auto_rules(const Json& v, const std::string& p, std::vector<ResourceTypeRule>& out) {
        if (!v.is_array()) {
            problem(p, "found " + found(v) +
                           "; expected an array of rules, each {\"resource_type\": ..., "
                           "\"require\": [...]}");
            return;
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            const std::string rp = child(p, i);
            const Json& r = v[i];
            if (!is_object_or_report(r, rp, "an object with \"resource_type\" and \"require\"")) {
                continue;
            }
            ResourceTypeRule rule;
            bool have_type = false;
            bool have_require = false;
            for (auto it = r.begin(); it != r.end(); ++it) {
                const std::string cp = child(rp, it.key());
                if (it.key() == "resource_type") {
                    have_type = true;
                    const Json& t = it.value();
                    if (!t.is_string() || t.get_ref<const std::string&>().empty() ||
                        has_control_char(t.get_ref<const std::string&>())) {
                        problem(cp, "found " + found(t) +
                                        "; expected a resource type's name, such as "
                                        "\"Generic Application\"");
                        continue;
                    }
                    rule.resource_type = t.get<std::string>();
                    for (std::size_t j = 0; j < out.size(); ++j) {
                        if (iequals(out[j].resource_type, rule.resource_type)) {
                            problem(cp, "found " + found(t) + ", the same type as " +
                                            child(child(p, j), "resource_type") +
                                            "; expected each resource type once");
                        }
                    }
                } else if (it.key() == "require") {
                    have_require = true;
                    requirements(it.value(), cp, rule.require);
                } else {
                    unknown(cp, it.key(), kRuleMembers);
                }
            }
            if (!have_type) {
                problem(child(rp, "resource_type"),
                        "missing; expected the resource type the rule is for");
            }
            if (!have_require) {
                problem(child(rp, "require"),
                        "missing; expected an array of requirements, each {\"principal\": "
                        "..., \"rights\": [...]}");
            }
            out.push_back(std::move(rule));
        }
    }

private:
    // Returns false when the key's path is unusable (so it cannot take part in
    // the duplicate check); other problems are reported and do not stop it.
    bool key_policy(const Json& v, const std::string& p, KeyPolicy& out) {
        if (!is_object_or_report(v, p,
                                 "\"auto\" or an object with \"path\" and \"require\" (and "
                                 "optionally \"checkpoint\")")) {
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
            } else if (name == "comment") {
                comment(it.value(), cp);
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
            } else if (name == "comment") {
                comment(it.value(), cp);
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
};

}  // namespace

void read_keys(const Json& v, const std::string& pointer, std::vector<KeyPolicy>& out,
               bool& auto_keys, std::vector<ConfigProblem>& problems) {
    KeysReader(problems).keys(v, pointer, out, auto_keys);
}

void read_comment(const Json& v, const std::string& pointer, std::vector<ConfigProblem>& problems) {
    KeysReader(problems).comment(v, pointer);
}

void read_auto_rights(const Json& v, const std::string& pointer, AccessMask& out,
                      std::vector<ConfigProblem>& problems) {
    KeysReader(problems).auto_rights(v, pointer, out);
}

void read_auto_rules(const Json& v, const std::string& pointer, std::vector<ResourceTypeRule>& out,
                     std::vector<ConfigProblem>& problems) {
    KeysReader(problems).auto_rules(v, pointer, out);
}

}  // namespace permwatch::config_reading
