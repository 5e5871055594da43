#include "core/cli/init_config.hpp"

#include <nlohmann/json.hpp>

#include "core/cluster/auto_keys.hpp"
#include "core/policy/config.hpp"
#include "core/security/access_mask.hpp"
#include "core/security/security_descriptor.hpp"

namespace permwatch {

namespace {

using nlohmann::ordered_json;

ordered_json principal_json(const Principal& p) {
    switch (p.kind) {
        case Principal::Kind::sid:
            return p.sid.str();
        case Principal::Kind::account_name:
            return p.name;
        case Principal::Kind::service_account_of:
            return {{"service_account_of", p.name}};
    }
    return p.name;
}

// "KEY_QUERY_VALUE | 0x100000" -> ["KEY_QUERY_VALUE", "0x100000"]: the names
// the loader reads back.
ordered_json rights_json(AccessMask mask) {
    ordered_json out = ordered_json::array();
    const std::string text = describe_rights(mask);
    std::size_t start = 0;
    for (;;) {
        const std::size_t bar = text.find(" | ", start);
        out.push_back(text.substr(start, bar - start));
        if (bar == std::string::npos) break;
        start = bar + 3;
    }
    return out;
}

ordered_json inherit_json(std::uint8_t flags) {
    ordered_json out = ordered_json::array();
    if (flags & ace_flags::container_inherit) out.push_back("container");
    if (flags & ace_flags::object_inherit) out.push_back("object");
    if (flags & ace_flags::inherit_only) out.push_back("inherit_only");
    if (flags & ace_flags::no_propagate) out.push_back("no_propagate");
    return out;
}

}  // namespace

InitConfig make_init_config(const std::vector<Checkpoint>& checkpoints,
                            std::vector<ResourceFacts> facts, bool whole_cluster,
                            const std::string& cluster, const std::string& node,
                            const std::string& when_utc) {
    InitConfig out;
    if (whole_cluster) {
        for (ResourceFacts& f : facts) f.possible_here = true;
    }
    Config rules;
    rules.auto_keys.enabled = true;
    const std::vector<KeyPolicy> keys = with_auto_keys(rules, checkpoints, facts).keys;
    if (keys.empty()) {
        out.errors.push_back(
            whole_cluster ? "the cluster has no registry checkpoints: no key to write"
                          : "no resource this node may own has a registry checkpoint: no key to "
                            "write (--cluster writes every resource's)");
        return out;
    }
    ordered_json doc;
    doc["comment"] = "written by permwatch init from cluster " + cluster + " on node " + node +
                     " at " + when_utc + (whole_cluster ? ", every resource's checkpoints" : "") +
                     "; review it, then give it as --config";
    doc["version"] = 1;
    ordered_json list = ordered_json::array();
    for (const KeyPolicy& k : keys) {
        std::string comment = "registry checkpoint of resource " + k.origin->resource +
                              " in group " + k.origin->group;
        if (!k.origin->problem.empty()) comment += "; " + k.origin->problem;
        ordered_json require = ordered_json::array();
        for (std::size_t i = 0; i < k.require.size(); ++i) {
            const Requirement& r = k.require[i];
            require.push_back({{"comment", k.origin->because.at(i)},
                               {"principal", principal_json(r.principal)},
                               {"rights", rights_json(r.rights)},
                               {"inherit", inherit_json(r.inherit)}});
        }
        list.push_back({{"comment", comment},
                        {"path", k.path},
                        {"checkpoint", true},
                        {"require", std::move(require)}});
    }
    doc["keys"] = std::move(list);
    std::string text = doc.dump(2) + "\n";
    // What is written must load, and say what "auto" would.
    const ConfigResult back = load_config(text);
    if (!back.config) {
        for (const ConfigProblem& p : back.problems)
            out.errors.push_back(describe_problem("(init output)", p));
        return out;
    }
    out.keys = back.config->keys.size();
    out.text = std::move(text);
    return out;
}

}  // namespace permwatch
