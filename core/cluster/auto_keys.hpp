// "keys": "auto": the keys PermWatch guards without being told, one per
// registry checkpoint of a resource this node may own, with what a restore
// of it needs:
// - the Cluster service's logon account (service_account_of ClusSvc) has full
//   control of the key and its subkeys: it writes the checkpointed data back
//   at every online of the resource, on whichever node;
// - for a Generic Service resource, the logon account of the service its
//   ServiceName names has "auto_rights" (full control unless set) on the key
//   and its subkeys: the service itself runs against the key, and the KB
//   Q192493 failure is this account's access missing after a restore;
// - for any resource type, the requirements of an "auto_rules" entry for it.
// A key the config names explicitly wins: its entry is kept as written and
// no learned key is added for that path.
#pragma once

#include <string>
#include <vector>

#include "core/policy/config.hpp"
#include "core/ports/cluster_port.hpp"

namespace permwatch {

// The resource type whose ServiceName names a service (clusres.dll's).
inline constexpr std::string_view kGenericServiceType = "Generic Service";
// The Cluster service's name in the SCM.
inline constexpr std::string_view kClusterServiceName = "ClusSvc";

// `config` with its learned keys made anew from `checkpoints`: the keys it
// names stay first, in order; any learned key it held is dropped, then one
// key per checkpoint root of a resource this node may own follows, in the
// order of `checkpoints` (two resources that checkpoint the same key make
// one key with both resources' requirements). Unchanged when
// config.auto_keys.enabled is false.
// A checkpoint of a resource with no facts is treated as one this node may
// own, of an unknown type.
Config with_auto_keys(Config config, const std::vector<Checkpoint>& checkpoints,
                      const std::vector<ResourceFacts>& facts);

// The keys that with_auto_keys added (origin set), for logs and `init`.
std::vector<KeyPolicy> learned_keys(const Config& config);

// What changed between two key lists, by path, for the log: "+ path
// (resource)" for a learned key that appeared, "- path" for one that went.
std::vector<std::string> learned_key_changes(const std::vector<KeyPolicy>& before,
                                             const std::vector<KeyPolicy>& after);

}  // namespace permwatch
