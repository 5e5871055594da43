# Toolchain: MinGW-w64 (x86_64, posix threads) on Debian 12, for the Wine rig.
# docs/testing.md says how the rig runs what this builds.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PERMWATCH_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PERMWATCH_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${PERMWATCH_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${PERMWATCH_MINGW_TRIPLET}-windres)
set(CMAKE_MC_COMPILER ${PERMWATCH_MINGW_TRIPLET}-windmc)

# Only the MinGW sysroot is searched for libraries, headers and packages; the
# host's /usr/include is never on the include path (header-only libraries come
# in through the link folder made by cmake/Dependencies.cmake).
set(CMAKE_FIND_ROOT_PATH /usr/${PERMWATCH_MINGW_TRIPLET})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Static executables: no libstdc++/libgcc/winpthread DLLs to copy into the prefix.
set(PERMWATCH_MINGW_LINK_FLAGS "-static -static-libgcc -static-libstdc++")
# ld.lld links in about a second what GNU ld links in a minute or more; the
# wrapper says why it is needed. Without ld.lld, GNU ld is used as it is.
find_program(PERMWATCH_LLD ld.lld)
if(PERMWATCH_LLD)
    string(APPEND PERMWATCH_MINGW_LINK_FLAGS
           " -wrapper ${CMAKE_CURRENT_LIST_DIR}/mingw-link-with-lld.sh")
    # The same for the static libraries: GNU ar and ranlib each spend about
    # 14 s indexing the symbols of permwatch_win's objects, llvm-ar under 1 s.
    find_program(PERMWATCH_LLVM_AR llvm-ar)
    find_program(PERMWATCH_LLVM_RANLIB llvm-ranlib)
    if(PERMWATCH_LLVM_AR AND PERMWATCH_LLVM_RANLIB)
        set(CMAKE_AR "${PERMWATCH_LLVM_AR}")
        set(CMAKE_RANLIB "${PERMWATCH_LLVM_RANLIB}")
    endif()
endif()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${PERMWATCH_MINGW_LINK_FLAGS}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${PERMWATCH_MINGW_LINK_FLAGS}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${PERMWATCH_MINGW_LINK_FLAGS}")

# Tests run under Wine. cmake/Dependencies.cmake sets CMAKE_CROSSCOMPILING_EMULATOR
# to scripts/wine-run.sh with a private prefix under the build folder unless a
# preset or the command line already set it.
