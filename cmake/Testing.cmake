# GoogleTest for every build, and one way to register a test executable.
#
# Native and MSVC: find_package(GTest) (Debian's libgtest-dev, vcpkg's gtest),
# and one ctest entry per test suite (cmake/GTestSuites.cmake).
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
      set(arg_TIMEOUT 300)
    endif()
    # One ctest entry per test suite, written after each link by
    # cmake/GTestSuites.cmake (which says why not one per case).
    set(suites_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_suites.cmake")
    set(labels native ${arg_LABELS})
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" "-DTEST_EXECUTABLE=$<TARGET_FILE:${target}>"
              "-DCTEST_FILE=${suites_file}" "-DTEST_TIMEOUT=${arg_TIMEOUT}"
              "-DTEST_LABELS=${labels}"
              "-DTEST_WORKING_DIRECTORY=${CMAKE_CURRENT_BINARY_DIR}"
              -P "${PROJECT_SOURCE_DIR}/cmake/GTestSuites.cmake"
      BYPRODUCTS "${suites_file}"
      VERBATIM)
    set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
    file(WRITE "${include_file}"
      "if(EXISTS [==[${suites_file}]==])\n"
      "  include([==[${suites_file}]==])\n"
      "else()\n"
      "  add_test([==[${target}_NOT_BUILT]==] [==[${target}_NOT_BUILT]==])\n"
      "endif()\n")
    set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
  endif()
endfunction()
