// JSON pointers (RFC 6901), as config problems name the place they are at.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace permwatch {

// One reference token: "~" becomes "~0", "/" "~1".
std::string json_pointer_token(std::string_view token);
// The pointer to a member or an element of what `pointer` names.
std::string json_pointer_child(const std::string& pointer, std::string_view member);
std::string json_pointer_child(const std::string& pointer, std::size_t index);

}  // namespace permwatch
