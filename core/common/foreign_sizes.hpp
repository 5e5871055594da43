// Sizes that a foreign API (clusapi.dll) hands back, checked before PermWatch
// allocates or reads by them: a broken or hostile DLL must not make it. A length that asks for more
// than any real answer needs, that does not grow, or that points past the
// buffer is not followed: the caller gives that answer up and says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace permwatch {

// Object names, ids and node names: Windows keeps them far shorter.
inline constexpr std::size_t kMaxForeignNameChars = 4096;
// Control-code output and notification payloads (a checkpoint list is a few
// KiB even with hundreds of keys).
inline constexpr std::size_t kMaxForeignPayloadBytes = std::size_t{1} << 20;
// Objects in one enumeration (resources, groups, nodes of a cluster).
inline constexpr std::size_t kMaxForeignObjects = 100000;

// A call said "more data" and asked for `asked` units while the buffer holds
// `current`: the size to grow to (asked plus one for a terminating NUL), or
// nullopt when the ask cannot be honoured: above `cap`, or no larger than the
// buffer that was just too small.
std::optional<std::size_t> grown_size(std::uint64_t asked, std::size_t current, std::size_t cap);

// The length of the text in a buffer of `capacity` characters: up to its
// first NUL, never past the buffer, whatever the callee claimed.
std::size_t bounded_length(const wchar_t* text, std::size_t capacity);

// True when a name from outside holds a control character: it is not a real
// key path or object name, and would break a log line.
bool has_control_char(const wchar_t* text, std::size_t length);
bool has_control_char(std::u16string_view text);

}  // namespace permwatch
