#include "core/data_folder.hpp"

#include "core/cli.hpp"

namespace permwatch {

std::string data_folder_path() { return expand_environment("%ProgramData%\\PermWatch"); }

}  // namespace permwatch
