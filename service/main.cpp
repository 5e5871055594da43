// permwatch.exe / permwatch: the command-line entry point.
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.hpp"
#ifdef _WIN32
#include "service/live_commands.hpp"
#endif

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
#ifdef _WIN32
    permwatch::win::Win32LiveCommands live;
    return permwatch::run_cli(args, std::cout, std::cerr, &live);
#else
    return permwatch::run_cli(args, std::cout, std::cerr, nullptr);
#endif
}
