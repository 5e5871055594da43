# ccache as the compiler launcher when it is installed (scripts/setup.sh
# installs it) and nobody chose a launcher already (-DCMAKE_CXX_COMPILER_LAUNCHER=
# with an empty value turns it off, e.g. to time a cold build).
#
# Settings, passed in the environment (ccache 4.7 takes none on its command
# line) rather than written into anyone's ccache.conf:
# - depend mode: on a miss ccache takes the headers from the compiler's -MD
#   output instead of running the preprocessor first, so a cold build (CI
#   starts from an empty cache) costs next to nothing more than without ccache;
# - sloppiness pch_defines,time_macros: without it ccache caches nothing that
#   uses a precompiled header (cmake/Precompiled.cmake); include_file_mtime and
#   include_file_ctime let it cache files compiled right after the .gch.
include_guard(GLOBAL)

find_program(PERMWATCH_CCACHE ccache)
if(PERMWATCH_CCACHE)
  set(_permwatch_ccache_launcher
      "${CMAKE_COMMAND};-E;env;CCACHE_DEPEND=true"
      "CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime"
      "${PERMWATCH_CCACHE}")
  foreach(lang IN ITEMS C CXX)
    # Set it when unset, or when it holds an earlier choice of this file (so a
    # change here reaches existing build folders).
    if(NOT DEFINED CMAKE_${lang}_COMPILER_LAUNCHER
       OR "${CMAKE_${lang}_COMPILER_LAUNCHER}" MATCHES "CCACHE_SLOPPINESS=pch_defines")
      set(CMAKE_${lang}_COMPILER_LAUNCHER "${_permwatch_ccache_launcher}" CACHE STRING
          "Compiler launcher for ${lang} (ccache when installed)" FORCE)
    endif()
  endforeach()
endif()
