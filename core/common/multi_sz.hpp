// A MULTI_SZ answer from outside PermWatch (clusapi's registry checkpoint
// list): UTF-16 strings, each ended by a NUL, the list ended by an empty
// string. Read from raw bytes so that nothing a broken or hostile DLL hands
// back makes PermWatch read past what it returned.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace permwatch {

// The strings of the MULTI_SZ in the `size` bytes at `bytes` (UTF-16 units in
// this machine's byte order). Only whole units are read: an odd last byte is
// not a unit and is passed over. The list ends at the first empty string (two
// NULs in a row, or a NUL first); nothing after it is read. A last string
// that runs to the end of the range without its NUL is kept as it stands.
std::vector<std::u16string> split_multi_sz(const void* bytes, std::size_t size);

}  // namespace permwatch
