// Where Windows keeps machine-wide program data, asked of the shell rather
// than read from %ProgramData% (the
// environment of whoever starts PermWatch must not move its data folder).
#pragma once

#include <string>

namespace permwatch::win {

// SHGetKnownFolderPath(FOLDERID_ProgramData), e.g. "C:\ProgramData".
// Throws Win32Error.
std::string program_data_folder();

}  // namespace permwatch::win
