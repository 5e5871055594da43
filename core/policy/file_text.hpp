// A whole file's bytes by its UTF-8 path, for files that are not judged
// (a snapshot given to `check --snapshot`, the pipe name for `status`) and
// for the config where no file port exists (Linux). The path is built from
// UTF-8 explicitly: a std::filesystem::path from a narrow std::string is the
// ANSI code page under MinGW, which would open another name than the one
// PermWatch shows and judges. The judged reads go through
// FileSecurityPort::open_and_read (core/policy/trusted_files.hpp).
#pragma once

#include <optional>
#include <string>

namespace permwatch {

std::optional<std::string> read_file_text(const std::string& utf8_path);

}  // namespace permwatch
