# GoogleTest for every build, and one way to register a test executable.
#
# Native and MSVC: find_package(GTest) (Debian's libgtest-dev, vcpkg's gtest),
# and gtest_discover_tests gives one ctest entry per test case.
# MinGW cross build: GoogleTest is built from Debian's sources in
# /usr/src/googletest by the cross compiler (its own warning flags, no -Werror),
# and each test executable is ONE ctest entry run under Wine through
# CMAKE_CROSSCOMPILING_EMULATOR: every `wine x.exe` start costs about a second
# (docs/testing.md), so one start per test case would cost minutes.
include_guard(GLOBAL)

set(PERMWATCH_WINE_TEST_TIMEOUT 600 CACHE STRING "Seconds one test executable may run under Wine")

if(CMAKE_CROSSCOMPILING)
  set(PERMWATCH_GOOGLETEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH "GoogleTest sources for the cross build")
  if(NOT EXISTS "${PERMWATCH_GOOGLETEST_SOURCE_DIR}/CMakeLists.txt")
    message(FATAL_ERROR "${PERMWATCH_GOOGLETEST_SOURCE_DIR} has no GoogleTest sources: run scripts/setup.sh")
  endif()
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  set(BUILD_GMOCK ON CACHE BOOL "" FORCE)
  set(gtest_disable_pthreads OFF CACHE BOOL "" FORCE)
  add_subdirectory("${PERMWATCH_GOOGLETEST_SOURCE_DIR}" "${CMAKE_BINARY_DIR}/_googletest" EXCLUDE_FROM_ALL SYSTEM)
else()
  find_package(GTest REQUIRED)
endif()
include(GoogleTest)

# permwatch_add_gtest(<target> [TIMEOUT seconds] [LABELS l...])
# Registers an already-defined gtest executable with ctest.
function(permwatch_add_gtest target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "LABELS")
  if(CMAKE_CROSSCOMPILING)
    if(NOT arg_TIMEOUT)
      set(arg_TIMEOUT ${PERMWATCH_WINE_TEST_TIMEOUT})
    endif()
    # add_test(NAME ...) prepends the target's CROSSCOMPILING_EMULATOR.
    add_test(NAME ${target} COMMAND ${target} --gtest_color=no
             WORKING_DIRECTORY $<TARGET_FILE_DIR:${target}>)
    set_tests_properties(${target} PROPERTIES TIMEOUT ${arg_TIMEOUT} LABELS "wine;${arg_LABELS}")
  else()
    if(NOT arg_TIMEOUT)
      set(arg_TIMEOUT 120)
    endif()
    gtest_discover_tests(${target} DISCOVERY_TIMEOUT 60
                         PROPERTIES TIMEOUT ${arg_TIMEOUT} LABELS "native;${arg_LABELS}")
  endif()
endfunction()
