#include "core/cluster/auto_keys.hpp"

#include <algorithm>

#include "core/common/ascii.hpp"
#include "core/security/key_path.hpp"
#include "core/security/security_descriptor.hpp"

namespace permwatch {

namespace {

Requirement for_service(const std::string& service, AccessMask rights) {
    Requirement r;
    r.principal.kind = Principal::Kind::service_account_of;
    r.principal.name = service;
    r.rights = rights;
    r.inherit = ace_flags::container_inherit;
    return r;
}

// Adds `r` unless the key already requires exactly that.
void add(KeyPolicy& key, Requirement r, std::string because) {
    if (std::find(key.require.begin(), key.require.end(), r) != key.require.end()) return;
    key.require.push_back(std::move(r));
    key.origin->because.push_back(std::move(because));
}

void add_requirements(KeyPolicy& key, const Checkpoint& c, const ResourceFacts& f,
                      const AutoKeys& settings) {
    add(key, for_service(std::string(kClusterServiceName), rights::key_all_access),
        "the Cluster service's logon account restores the checkpoint of resource " + c.resource +
            ": full control of the key and its subkeys");
    if (iequals(f.type, kGenericServiceType)) {
        if (!f.service_name.empty()) {
            add(key, for_service(f.service_name, settings.service_rights),
                "the logon account of service " + f.service_name + " (ServiceName of " +
                    std::string(kGenericServiceType) + " resource " + c.resource +
                    "): auto_rights on the key and its subkeys");
        } else {
            const std::string why = f.problem.empty() ? "it has no ServiceName" : f.problem;
            if (!key.origin->problem.empty()) key.origin->problem += "; ";
            key.origin->problem += "the service of " + std::string(kGenericServiceType) +
                                   " resource " + c.resource + " is not known (" + why +
                                   "): its logon account is not required";
        }
    } else if (f.type.empty()) {
        if (!key.origin->problem.empty()) key.origin->problem += "; ";
        key.origin->problem += "the type of resource " + c.resource + " is not known (" +
                               (f.problem.empty() ? "not asked" : f.problem) +
                               "): only the cluster account is required";
    }
    for (const ResourceTypeRule& rule : settings.rules) {
        if (f.type.empty() || !iequals(rule.resource_type, f.type)) continue;
        for (const Requirement& r : rule.require) {
            add(key, r, "auto_rules for resource type " + rule.resource_type);
        }
    }
}

bool named(const std::vector<KeyPolicy>& keys, const std::string& path) {
    return std::any_of(keys.begin(), keys.end(),
                       [&](const KeyPolicy& k) { return same_key_path(k.path, path); });
}

}  // namespace

Config with_auto_keys(Config config, const std::vector<Checkpoint>& checkpoints,
                      const std::vector<ResourceFacts>& facts) {
    std::erase_if(config.keys, [](const KeyPolicy& k) { return k.origin.has_value(); });
    if (!config.auto_keys.enabled) return config;
    const std::size_t explicit_count = config.keys.size();
    const std::vector<KeyPolicy> named_keys(config.keys.begin(), config.keys.end());
    for (const Checkpoint& c : checkpoints) {
        // A restore runs only on a node that may own the resource; a checkpoint
        // the config names explicitly is guarded as written.
        ResourceFacts f;
        f.resource = c.resource;
        const auto known = std::find_if(facts.begin(), facts.end(), [&](const ResourceFacts& r) {
            return r.resource == c.resource;
        });
        if (known != facts.end()) f = *known;
        if (!f.possible_here || c.source == CheckpointSource::config) continue;
        if (named(named_keys, c.key)) continue;
        const auto learned = std::find_if(
            config.keys.begin() + static_cast<std::ptrdiff_t>(explicit_count), config.keys.end(),
            [&](const KeyPolicy& k) { return same_key_path(k.path, c.key); });
        KeyPolicy* key = nullptr;
        if (learned != config.keys.end()) {
            key = &*learned;
            key->origin->resource += ", " + c.resource;
            if (key->origin->group != c.group) key->origin->group += ", " + c.group;
        } else {
            KeyPolicy k;
            k.path = c.key;
            k.checkpoint = CheckpointMode::yes;
            k.origin = AutoOrigin{c.resource, c.group, {}, {}};
            config.keys.push_back(std::move(k));
            key = &config.keys.back();
        }
        add_requirements(*key, c, f, config.auto_keys);
    }
    return config;
}

std::vector<KeyPolicy> learned_keys(const Config& config) {
    std::vector<KeyPolicy> out;
    std::copy_if(config.keys.begin(), config.keys.end(), std::back_inserter(out),
                 [](const KeyPolicy& k) { return k.origin.has_value(); });
    return out;
}

std::vector<std::string> learned_key_changes(const std::vector<KeyPolicy>& before,
                                             const std::vector<KeyPolicy>& after) {
    std::vector<std::string> out;
    for (const KeyPolicy& k : after) {
        if (k.origin && !named(before, k.path))
            out.push_back("+ " + k.path + " (checkpoint of " + k.origin->resource + ")");
    }
    for (const KeyPolicy& k : before) {
        if (k.origin && !named(after, k.path)) out.push_back("- " + k.path);
    }
    return out;
}

}  // namespace permwatch
