// permwatch.exe / permwatch: the command-line entry point.
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.hpp"
#ifdef _WIN32
#include <windows.h>

#include "service/file_security.hpp"
#include "service/known_folders.hpp"
#include "service/live_commands.hpp"
#include "service/win32_error.hpp"
#endif

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
#ifdef _WIN32
    // Every DLL loaded at run time (clusapi.dll, and whatever a system DLL
    // loads on demand) comes from System32 only: never the exe's folder, the
    // working directory or PATH, where a user could plant one for SYSTEM.
    SetDefaultDllDirectories(LOAD_LIBRARY_SEARCH_SYSTEM32);
    try {
        permwatch::set_program_data_folder(permwatch::win::program_data_folder());
    } catch (const permwatch::win::Win32Error& e) {
        std::cerr << "permwatch: " << e.what() << "\n";
        return 2;
    }
    permwatch::win::Win32LiveCommands live;
    permwatch::win::Win32FileSecurity files;
    return permwatch::run_cli(args, std::cout, std::cerr, &live, &files);
#else
    return permwatch::run_cli(args, std::cout, std::cerr, nullptr);
#endif
}
