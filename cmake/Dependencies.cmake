# Native and MSVC builds find packages the usual way (Debian packages, vcpkg).
# The MinGW cross build sees only the header-only libraries, through a folder of
# links made by cmake/mingw-w64-x86_64.cmake; see DESIGN.md "Cross-build includes".
find_package(nlohmann_json 3 REQUIRED)
