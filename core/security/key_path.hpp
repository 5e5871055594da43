// Registry key paths in the contract's form: "HKLM\\..." or
// "HKEY_LOCAL_MACHINE\\...", compared case-insensitively.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace permwatch {

inline constexpr std::string_view kHklm = "HKLM\\";

// Returns the form "HKLM\\REST" with REST unchanged in case, or nullopt when
// the path does not start with either root.
std::optional<std::string> normalize_key_path(std::string_view path);
bool same_key_path(std::string_view a, std::string_view b);
// Whether `key` is the checkpointed key or lies inside its subtree.
bool inside_checkpoint(const std::string& key, const std::string& checkpoint_key);

}  // namespace permwatch
