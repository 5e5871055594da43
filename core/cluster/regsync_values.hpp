// The RegSync fallback's parsing. When the cluster API
// cannot give a resource's registry checkpoints
// (CLUSCTL_RESOURCE_GET_REGISTRY_CHECKPOINTS fails), the service reads them
// from the node's local copy of the cluster database:
// HKLM\Cluster\Resources\<resource id>\RegSync holds one REG_SZ value per
// checkpoint, named 00000001, 00000002, ..., each a key path relative to HKLM
// ("Software\\Example"). That key is input from outside PermWatch, read by a
// LocalSystem service: every value is checked here before it is believed, and
// a value that is not a checkpoint is skipped and told, never trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace permwatch {

// More values than any resource checkpoints (a real RegSync holds a handful):
// such a key is not read at all.
inline constexpr std::size_t kMaxRegSyncValues = 256;
// A checkpoint path, in UTF-16 code units without the NUL. Registry key names
// are at most 255 characters; real checkpoint paths are far shorter.
inline constexpr std::size_t kMaxRegSyncPathChars = 1024;
// The data of one value as the registry stores it (UTF-16 and a NUL).
inline constexpr std::size_t kMaxRegSyncValueBytes = (kMaxRegSyncPathChars + 1) * 2;
// A value name longer than this is not a checkpoint's (those are 8 digits).
inline constexpr std::size_t kMaxRegSyncNameChars = 255;
// REG_SZ, the only type a checkpoint value has (winnt.h).
inline constexpr std::uint32_t kRegSzType = 1;

// One value of a RegSync key as the service found it.
struct RegSyncValue {
    std::string name;         // UTF-8
    std::uint32_t type = 0;   // REG_* number
    std::uint64_t bytes = 0;  // the data's size as the registry told it
    // The REG_SZ text up to its first NUL (UTF-8), when the value was read;
    // nullopt when it was not (another type, or larger than
    // kMaxRegSyncValueBytes).
    std::optional<std::string> text;
    bool name_too_long = false;  // the name did not fit kMaxRegSyncNameChars
};

struct RegSyncParse {
    // "HKLM\\..." keys, in the order of the values, each once.
    std::vector<std::string> keys;
    // One line per value skipped (or for the whole key), naming it and why.
    std::vector<std::string> problems;
};

// The checkpoints named by `values`, `total_values` being how many values the
// key holds (more than kMaxRegSyncValues: nothing is believed).
RegSyncParse parse_regsync(const std::vector<RegSyncValue>& values, std::uint64_t total_values);

// Why `relative` (a RegSync value's text) is not a key path relative to
// HKLM, or nullopt when it is one.
std::optional<std::string> regsync_path_problem(std::string_view relative);

// Whether `id` (from CLUSCTL_RESOURCE_GET_ID) looks like a cluster resource
// id: a GUID, with or without braces (hex digits and '-', at most 64
// characters). Anything else is never made part of a registry path.
bool plausible_resource_id(std::string_view id);

}  // namespace permwatch
