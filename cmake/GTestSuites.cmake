# Run after a native test executable links (cmake -P, from permwatch_add_gtest
# in cmake/Testing.cmake): asks it for its test cases and writes one ctest
# entry per test suite, `<suite>` running `--gtest_filter=<suite>.*`.
#
# Why suites and not single test cases: every start of an ASan-instrumented
# core_tests costs about 0.4 s of CPU before the first test runs, and 448
# starts were most of `ctest --preset native`; a suite still names what
# failed, and `--gtest_filter` runs one case.
#
# -D TEST_EXECUTABLE=  -D CTEST_FILE=  -D TEST_TIMEOUT=  -D TEST_LABELS=
#    -D TEST_WORKING_DIRECTORY=
execute_process(
  COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests
  WORKING_DIRECTORY "${TEST_WORKING_DIRECTORY}"
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE listing_error
  RESULT_VARIABLE status
  TIMEOUT 60)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${status}): ${listing_error}")
endif()

# The listing: a suite on a line of its own ("Suite." or "Prefix/Suite/0.",
# perhaps followed by "  # TypeParam = ..."), its cases indented below it.
string(REPLACE "\n" ";" lines "${listing}")
set(content "")
set(count 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ #][^ ]*)\\.( |$)")
    set(suite "${CMAKE_MATCH_1}")
    string(APPEND content
      "add_test([==[${suite}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${suite}.*]==])\n"
      "set_tests_properties([==[${suite}]==] PROPERTIES WORKING_DIRECTORY [==[${TEST_WORKING_DIRECTORY}]==]"
      " TIMEOUT ${TEST_TIMEOUT} LABELS [==[${TEST_LABELS}]==])\n")
    math(EXPR count "${count} + 1")
  endif()
endforeach()
if(count EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} listed no test suite")
endif()
file(WRITE "${CTEST_FILE}" "${content}")
