#include "service/known_folders.hpp"

#include <windows.h>
// knownfolders.h and shlobj.h need windows.h first
#include <knownfolders.h>
#include <shlobj.h>

#include "service/win32_error.hpp"

namespace permwatch::win {

std::string program_data_folder() {
    PWSTR path = nullptr;
    const HRESULT hr = SHGetKnownFolderPath(FOLDERID_ProgramData, KF_FLAG_DEFAULT, nullptr, &path);
    if (FAILED(hr)) {
        CoTaskMemFree(path);  // the shell may hand back a buffer even on failure
        throw Win32Error("asking the shell for the ProgramData folder",
                         static_cast<unsigned long>(hr));
    }
    std::string out = narrow(path);
    CoTaskMemFree(path);
    return out;
}

}  // namespace permwatch::win
