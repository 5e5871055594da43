#!/bin/sh
# The MinGW g++ driver's -wrapper: runs every program the driver starts as
# `this-script PROGRAM ARGS...`. The link step (collect2) is replaced by
# ld.lld with collect2's own arguments, which are GNU ld's; anything else runs
# as it is.
#
# Why: GNU ld 2.40 takes 60-100 s to link one test executable here (about
# 47,000 COMDAT sections per unity object), ld.lld about 1 s. Debian's MinGW
# g++ has GNU ld's path built in, so -fuse-ld=lld is ignored.
#
# The LTO plugin's arguments are dropped: ld.lld cannot load GCC's plugin,
# and nothing here is built with -flto.
case "$1" in
*/collect2 | collect2)
  shift
  skip_next=0
  for arg; do
    shift
    if [ "$skip_next" = 1 ]; then
      skip_next=0
      continue
    fi
    case "$arg" in
    -plugin) skip_next=1 ;;
    -plugin-opt=*) ;;
    *) set -- "$@" "$arg" ;;
    esac
  done
  exec ld.lld "$@"
  ;;
*) exec "$@" ;;
esac
