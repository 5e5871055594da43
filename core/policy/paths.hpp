// Where PermWatch's files are: %ProgramData% and the default config path.
#pragma once

#include <optional>
#include <string>

namespace permwatch {

// The default --config: %ProgramData%\PermWatch\permwatch.json, expanded.
std::string default_config_path();

// Replaces %NAME% by the environment variable's value; unknown names stay.
// %ProgramData% is the folder given to set_program_data_folder when one was
// given (the Windows build: the known folder), never the environment's.
std::string expand_environment(const std::string& text);

// Where %ProgramData% points. service/main.cpp sets it once at start from
// SHGetKnownFolderPath(FOLDERID_ProgramData): the environment of whoever
// starts PermWatch must not choose where its config and journal are.
// nullopt (the default; Linux and core tests) uses the environment.
void set_program_data_folder(std::optional<std::string> folder);

}  // namespace permwatch
