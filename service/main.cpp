// permwatch.exe / permwatch: the command-line entry point.
#include <iostream>
#include <string>
#include <vector>

#include "core/cli.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    return permwatch::run_cli(args, std::cout, std::cerr, nullptr);
}
