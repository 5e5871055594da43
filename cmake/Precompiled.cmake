# Precompiled headers: the third-party headers nearly every file of a target
# includes (nlohmann/json, GoogleTest, <windows.h>, the standard library) parsed
# once per target instead of once per file. OFF by default: measured here they
# did not pay (docs/testing.md, "Build time"). With -g each .gch is 110-160 MB,
# and loading it cost a small file more than parsing its headers (core/security
# /sid.cpp 1.6 s -> 3.2 s CPU), while the large files' time is template
# instantiation and code generation, which a .gch does not save
# (tests/core/policy/test_config.cpp 25.2 s -> 25.5 s cross, 41.4 -> 39.5 native);
# only large Windows files gained (service/watchdog.cpp 24.5 s -> 19.7 s).
#
# A precompiled header carries the macros of the command line it was built
# with, so one target may reuse another's (REUSE_FROM) only when both compile
# with the same definitions and options: the Windows test executables do.
include_guard(GLOBAL)

option(PERMWATCH_PCH "Precompiled headers for the libraries and test executables" OFF)

set(PERMWATCH_PCH_STD
  <algorithm> <array> <chrono> <cstddef> <cstdint> <functional> <map> <memory>
  <optional> <sstream> <string> <string_view> <utility> <vector>)

# permwatch_precompile(<target> [GTEST] [WINDOWS])
#   GTEST    adds <gtest/gtest.h> (test executables)
#   WINDOWS  adds <windows.h> (targets built with permwatch_win's definitions:
#            WIN32_LEAN_AND_MEAN, NOMINMAX, UNICODE, _WIN32_WINNT)
function(permwatch_precompile target)
  if(NOT PERMWATCH_PCH)
    return()
  endif()
  cmake_parse_arguments(PARSE_ARGV 1 arg "GTEST;WINDOWS" "" "")
  set(headers ${PERMWATCH_PCH_STD} <nlohmann/json.hpp>)
  if(arg_GTEST)
    list(APPEND headers <gtest/gtest.h>)
  endif()
  if(arg_WINDOWS)
    list(APPEND headers <windows.h>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()

# permwatch_precompile_reuse(<target> <donor>): <target> compiles with the
# header <donor> precompiled; the caller makes sure their flags match.
function(permwatch_precompile_reuse target donor)
  if(NOT PERMWATCH_PCH)
    return()
  endif()
  target_precompile_headers(${target} REUSE_FROM ${donor})
endfunction()
