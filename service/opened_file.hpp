// A file judged through the handle that reads or writes it (OpenedFile,
// core/policy/trusted_files.hpp): its descriptor from GetSecurityInfo on that
// handle, its attributes (a reparse point), its final path
// (GetFinalPathNameByHandleW), and its folder through a handle of its own.
// Never a check by name followed by a second open.
#pragma once

#include <windows.h>

#include <optional>
#include <string>

#include "core/policy/trusted_files.hpp"

namespace permwatch::win {

// Opens `path` (UTF-8) for reading, sharing only reading, without following
// a link at its end; fills OpenedFile from that handle and then reads it.
OpenedFile open_and_read_file(const std::string& path);

// What an already opened handle of `path` says (no bytes). The handle must
// have READ_CONTROL.
OpenedFile facts_of_handle(HANDLE file, const std::string& path);

// refuse_opened for the journal, on the handle FileJournal appends through.
std::optional<std::string> refuse_journal_handle(HANDLE file, const std::string& path);

}  // namespace permwatch::win
