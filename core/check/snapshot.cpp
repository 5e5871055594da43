#include "core/check/snapshot.hpp"

#include <nlohmann/json.hpp>

#include "core/common/ascii.hpp"
#include "core/policy/json_pointer.hpp"
#include "core/policy/json_reading.hpp"
#include "core/security/key_path.hpp"
#include "core/security/sddl.hpp"

namespace permwatch {

// ordered_json keeps the keys in file order, so reports follow the file.
using json = nlohmann::ordered_json;

namespace {

std::string type_name(const json& j) { return j.type_name(); }

}  // namespace

const SecurityDescriptor* Snapshot::find(std::string_view key_path) const {
    for (const auto& [path, sd] : keys) {
        if (same_key_path(path, key_path)) return &sd;
    }
    return nullptr;
}

SnapshotResult load_snapshot(std::string_view json_text) {
    SnapshotResult result;
    auto& problems = result.problems;
    // The same guards as the config's: depth, members written twice, syntax
    // errors by line and column.
    std::optional<json> parsed = parse_json_guarded(json_text, problems);
    if (!parsed) return result;
    const json& doc = *parsed;
    if (!doc.is_object()) {
        problems.push_back({"", "expected a JSON object, found " + type_name(doc)});
        return result;
    }
    Snapshot snap;
    for (const auto& [name, value] : doc.items()) {
        if (name != "version" && name != "keys" && name != "accounts" && name != "groups") {
            problems.push_back({"/" + json_pointer_token(name),
                                "unknown field; expected version, keys, accounts or groups"});
        }
    }
    if (!doc.contains("version")) {
        problems.push_back({"/version", "missing; expected the integer 1"});
    } else if (!doc["version"].is_number_integer() || doc["version"].get<long long>() != 1) {
        problems.push_back({"/version", "expected the integer 1"});
    }
    if (!doc.contains("keys")) {
        problems.push_back({"/keys", "missing; expected an object of key path -> SDDL"});
    } else if (!doc["keys"].is_object()) {
        problems.push_back(
            {"/keys", "expected an object of key path -> SDDL, found " + type_name(doc["keys"])});
    } else {
        for (const auto& [path, value] : doc["keys"].items()) {
            const std::string pointer = "/keys/" + json_pointer_token(path);
            if (!normalize_key_path(path)) {
                problems.push_back({pointer,
                                    "key path must start with HKLM\\ or "
                                    "HKEY_LOCAL_MACHINE\\"});
                continue;
            }
            if (!value.is_string()) {
                problems.push_back({pointer, "expected an SDDL string, found " + type_name(value)});
                continue;
            }
            try {
                snap.keys.emplace_back(path, parse_sddl(value.get<std::string>()));
            } catch (const SddlError& e) {
                problems.push_back({pointer, std::string("bad SDDL: ") + e.what()});
            }
        }
    }
    if (doc.contains("accounts")) {
        if (!doc["accounts"].is_object()) {
            problems.push_back({"/accounts", "expected an object of name -> SID, found " +
                                                 type_name(doc["accounts"])});
        } else {
            for (const auto& [name, value] : doc["accounts"].items()) {
                const std::string pointer = "/accounts/" + json_pointer_token(name);
                auto sid = value.is_string() ? Sid::parse(value.get<std::string>()) : std::nullopt;
                if (!sid) {
                    problems.push_back(
                        {pointer, "expected a SID string such as S-1-5-21-1-2-3-1105"});
                    continue;
                }
                snap.accounts.emplace(name, *sid);
            }
        }
    }
    if (doc.contains("groups")) {
        if (!doc["groups"].is_object()) {
            problems.push_back(
                {"/groups", "expected an object of account SID -> group SIDs, found " +
                                type_name(doc["groups"])});
        } else {
            for (const auto& [account, list] : doc["groups"].items()) {
                const std::string pointer = "/groups/" + json_pointer_token(account);
                const auto sid = Sid::parse(account);
                if (!sid) {
                    problems.push_back(
                        {pointer, "expected an account SID such as S-1-5-21-1-2-3-1105"});
                    continue;
                }
                if (!list.is_array()) {
                    problems.push_back({pointer, "expected an array of group SIDs"});
                    continue;
                }
                std::vector<Sid> sids;
                for (std::size_t i = 0; i < list.size(); ++i) {
                    auto group =
                        list[i].is_string() ? Sid::parse(list[i].get<std::string>()) : std::nullopt;
                    if (!group) {
                        problems.push_back({pointer + "/" + std::to_string(i),
                                            "expected a group SID such as S-1-5-32-544"});
                        continue;
                    }
                    sids.push_back(*group);
                }
                snap.groups.emplace(*sid, std::move(sids));
            }
        }
    }
    if (problems.empty()) result.snapshot = std::move(snap);
    return result;
}

std::string format_snapshot(const std::vector<std::pair<std::string, std::string>>& key_sddl) {
    json keys = json::object();
    for (const auto& [path, sddl] : key_sddl) keys[path] = sddl;
    json doc = {{"version", 1}, {"keys", keys}, {"accounts", json::object()}};
    return doc.dump(2) + "\n";
}

namespace {

AccountLookup lookup(const Snapshot& snap, std::string_view name, const char* what) {
    for (const auto& [known, sid] : snap.accounts) {
        if (iequals(known, name)) {
            return {sid, {}};
        }
    }
    return {std::nullopt,
            std::string(what) + " '" + std::string(name) + "' is not in the snapshot's accounts"};
}

}  // namespace

AccountLookup SnapshotAccounts::account_sid(std::string_view account_name) {
    return lookup(snapshot_, account_name, "account");
}

AccountLookup SnapshotAccounts::service_account_sid(std::string_view service_name) {
    return lookup(snapshot_, service_name, "service");
}

std::vector<Sid> SnapshotAccounts::account_groups(const Sid& account) {
    const auto it = snapshot_.groups.find(account);
    return it == snapshot_.groups.end() ? std::vector<Sid>{} : it->second;
}

}  // namespace permwatch
