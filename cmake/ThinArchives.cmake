# Static libraries as GNU thin archives: the .a holds the paths of the object
# files and a symbol index, not copies of them. With -g, permwatch_core and
# permwatch_win are hundreds of MB of objects, and copying them into the
# archive on every change cost more than compiling a file. The linker reads the
# objects in place; the archives never leave the build folder. GNU ar (native
# and MinGW binutils) only.
include_guard(GLOBAL)

if(NOT MSVC)
  foreach(lang IN ITEMS C CXX)
    set(CMAKE_${lang}_ARCHIVE_CREATE "<CMAKE_AR> qcT <TARGET> <LINK_FLAGS> <OBJECTS>")
    set(CMAKE_${lang}_ARCHIVE_APPEND "<CMAKE_AR> qT <TARGET> <LINK_FLAGS> <OBJECTS>")
  endforeach()
endif()
