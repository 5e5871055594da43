# Third-party dependencies, as targets that look the same in every build:
#   nlohmann_json::nlohmann_json   JSON (header-only)
#   permwatch::fmt                 fmt (cross build: compiled once, cmake/deps/fmt.cpp)
#   permwatch::spdlog              spdlog, brings permwatch::fmt (cross build:
#                                  compiled once, cmake/deps/spdlog.cpp)
#   permwatch::boost               Boost headers
#   permwatch::cli11               CLI11, the command-line parser (header-only)
#   permwatch::asio                Boost.Asio (cross build: compiled once,
#                                  cmake/deps/asio.cpp; on Windows also ws2_32 and mswsock)
#
# Native and MSVC builds find packages the usual way (Debian packages, vcpkg).
# The MinGW cross build sees only the header-only libraries, through a folder of
# links <build>/xinclude/{boost,spdlog,fmt,nlohmann,CLI} -> <host include>/...; the
# host's /usr/include itself is never added, so no Linux header can stand in for
# a Windows one.
include_guard(GLOBAL)

if(CMAKE_CROSSCOMPILING AND MINGW)
  set(PERMWATCH_HOST_INCLUDE_DIR "/usr/include" CACHE PATH
      "Host folder holding the header-only libraries linked into the cross build's xinclude")
  set(PERMWATCH_XINCLUDE_DIR "${CMAKE_BINARY_DIR}/xinclude")
  file(MAKE_DIRECTORY "${PERMWATCH_XINCLUDE_DIR}")
  foreach(lib IN ITEMS boost spdlog fmt nlohmann CLI)
    if(NOT IS_DIRECTORY "${PERMWATCH_HOST_INCLUDE_DIR}/${lib}")
      message(FATAL_ERROR "${PERMWATCH_HOST_INCLUDE_DIR}/${lib} is missing: run scripts/setup.sh")
    endif()
    if(NOT EXISTS "${PERMWATCH_XINCLUDE_DIR}/${lib}")
      file(CREATE_LINK "${PERMWATCH_HOST_INCLUDE_DIR}/${lib}" "${PERMWATCH_XINCLUDE_DIR}/${lib}" SYMBOLIC)
    endif()
  endforeach()

  # Header-only targets from the link folder. find_package(nlohmann_json) is not
  # used: with CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY it cannot see the host's
  # config files, and it would add /usr/include if it could.
  add_library(permwatch_xinclude INTERFACE)
  target_include_directories(permwatch_xinclude SYSTEM INTERFACE "${PERMWATCH_XINCLUDE_DIR}")

  add_library(nlohmann_json::nlohmann_json INTERFACE IMPORTED GLOBAL)
  target_link_libraries(nlohmann_json::nlohmann_json INTERFACE permwatch_xinclude)

  # fmt, spdlog and Asio are compiled once each into a static library, as the
  # native build links Debian's compiled fmt and spdlog. Header-only, every
  # file including them compiled their whole implementation again: object
  # files several times larger, and most of the cross build's time went into
  # compiling and linking those copies. Third-party code: no permwatch_warnings.
  set(PERMWATCH_DEPS_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/deps")

  add_library(permwatch_fmt_lib STATIC "${PERMWATCH_DEPS_SOURCE_DIR}/fmt.cpp")
  target_link_libraries(permwatch_fmt_lib PUBLIC permwatch_xinclude)
  add_library(permwatch_fmt INTERFACE)
  target_link_libraries(permwatch_fmt INTERFACE permwatch_fmt_lib)

  # Debian's spdlog is configured with SPDLOG_FMT_EXTERNAL (tweakme.h).
  add_library(permwatch_spdlog_lib STATIC "${PERMWATCH_DEPS_SOURCE_DIR}/spdlog.cpp")
  target_link_libraries(permwatch_spdlog_lib PUBLIC permwatch_xinclude permwatch_fmt)
  target_compile_definitions(permwatch_spdlog_lib PUBLIC SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL)
  add_library(permwatch_spdlog INTERFACE)
  target_link_libraries(permwatch_spdlog INTERFACE permwatch_spdlog_lib)

  add_library(permwatch_boost INTERFACE)
  target_link_libraries(permwatch_boost INTERFACE permwatch_xinclude)

  add_library(permwatch_cli11 INTERFACE)
  target_link_libraries(permwatch_cli11 INTERFACE permwatch_xinclude)

  # Asio's implementation must see the same Windows version as its users
  # (service/CMakeLists.txt: permwatch_win's definitions).
  add_library(permwatch_asio_lib STATIC "${PERMWATCH_DEPS_SOURCE_DIR}/asio.cpp")
  target_link_libraries(permwatch_asio_lib PUBLIC permwatch_boost ws2_32 mswsock)
  target_compile_definitions(permwatch_asio_lib
    PUBLIC BOOST_ASIO_SEPARATE_COMPILATION
    PRIVATE UNICODE _UNICODE WIN32_LEAN_AND_MEAN NOMINMAX _WIN32_WINNT=0x0601)
else()
  find_package(nlohmann_json 3 REQUIRED)
  find_package(fmt REQUIRED)
  find_package(spdlog REQUIRED)
  find_package(Boost REQUIRED)

  # The compiled fmt here: Debian's and vcpkg's spdlog link fmt::fmt already.
  add_library(permwatch_fmt INTERFACE)
  target_link_libraries(permwatch_fmt INTERFACE fmt::fmt)

  add_library(permwatch_spdlog INTERFACE)
  if(TARGET spdlog::spdlog_header_only)
    target_link_libraries(permwatch_spdlog INTERFACE spdlog::spdlog_header_only permwatch_fmt)
  else()
    target_link_libraries(permwatch_spdlog INTERFACE spdlog::spdlog permwatch_fmt)
  endif()

  add_library(permwatch_boost INTERFACE)
  target_link_libraries(permwatch_boost INTERFACE Boost::headers)

  # CLI11Config.cmake (Debian's libcli11-dev, vcpkg's cli11), else the header
  # alone; as a SYSTEM include either way, so its warnings are not ours.
  find_package(CLI11 CONFIG QUIET)
  add_library(permwatch_cli11 INTERFACE)
  if(TARGET CLI11::CLI11)
    target_link_libraries(permwatch_cli11 INTERFACE CLI11::CLI11)
  else()
    find_path(PERMWATCH_CLI11_INCLUDE_DIR CLI/CLI.hpp)
    if(NOT PERMWATCH_CLI11_INCLUDE_DIR)
      message(FATAL_ERROR "CLI11 (CLI/CLI.hpp) is missing: run scripts/setup.sh")
    endif()
    target_include_directories(permwatch_cli11 SYSTEM INTERFACE "${PERMWATCH_CLI11_INCLUDE_DIR}")
  endif()
endif()

add_library(permwatch_asio INTERFACE)
target_link_libraries(permwatch_asio INTERFACE permwatch_boost)
if(TARGET permwatch_asio_lib)
  target_link_libraries(permwatch_asio INTERFACE permwatch_asio_lib)
endif()
if(WIN32)
  target_link_libraries(permwatch_asio INTERFACE ws2_32 mswsock)
endif()
if(NOT WIN32)
  find_package(Threads REQUIRED)
  target_link_libraries(permwatch_asio INTERFACE Threads::Threads)
endif()

add_library(permwatch::fmt ALIAS permwatch_fmt)
add_library(permwatch::spdlog ALIAS permwatch_spdlog)
add_library(permwatch::boost ALIAS permwatch_boost)
add_library(permwatch::cli11 ALIAS permwatch_cli11)
add_library(permwatch::asio ALIAS permwatch_asio)

# Tests under Wine: each test executable is started by scripts/wine-run.sh with
# the private prefix <build>/wineprefix, unless a preset or -D already chose an
# emulator. Must be set before any target is created.
if(CMAKE_CROSSCOMPILING AND WIN32 AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      "${PROJECT_SOURCE_DIR}/scripts/wine-run.sh;--prefix;${CMAKE_BINARY_DIR}/wineprefix")
endif()
