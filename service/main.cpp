// permwatch.exe / permwatch: the command-line entry point.
#include <iostream>
#include <string>
#include <vector>

#include "core/cli/cli.hpp"
#ifdef _WIN32
#include <windows.h>

#include "service/file_security.hpp"
#include "service/known_folders.hpp"
#include "service/live_commands.hpp"
#include "service/win32_error.hpp"
#endif

#ifdef _WIN32
// wmain (linked with -municode): the arguments arrive as UTF-16, and each is
// turned into UTF-8 once, here. A narrow main would get them in the ANSI
// code page, where a name such as C:\Überwachung\permwatch.json is another
// string (or '?') than the one every W call later opens.
int wmain(int argc, wchar_t** argv) {
    std::vector<std::string> args;
    try {
        for (int i = 1; i < argc; ++i) args.push_back(permwatch::win::narrow(argv[i]));
    } catch (const std::exception& e) {
        std::cerr << "permwatch: an argument is not valid text: " << e.what() << "\n";
        return 2;
    }
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
}
#else
int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return permwatch::run_cli(args, std::cout, std::cerr, nullptr);
}
#endif
