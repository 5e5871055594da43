// PermWatch's data folder, %ProgramData%\PermWatch (config, journal, log):
// the one folder PermWatch itself creates, safe (service/data_folder.hpp).
#pragma once

#include <string>

namespace permwatch {

// %ProgramData%\PermWatch, expanded (core/cli.hpp expand_environment).
std::string data_folder_path();

}  // namespace permwatch
