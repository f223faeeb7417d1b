#!/usr/bin/env bash
# Installs the build into a fresh prefix (not the configured one) and builds a consumer
# against it twice, with pkg-config and with CMake's find_package: both must find the
# headers and the library under that prefix, and the programs must run.
#   tests/test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > /dev/null
pc=$(dirname "$(find "$prefix" -name recur.pc | head -n 1)")
export PKG_CONFIG_PATH=$pc
libdir=$(pkg-config --variable=libdir recur)
case $(cd "$libdir" && pwd -P) in
  "$(cd "$prefix" && pwd -P)"/*) ;;
  *) echo "FAIL: pkg-config's libdir $libdir is outside the prefix $prefix"; exit 1 ;;
esac
cc -o "$work/by_pkgconfig" "$src/tests/install/consumer.c" $(pkg-config --cflags --libs recur)
LD_LIBRARY_PATH=$libdir "$work/by_pkgconfig"
cmake -S "$src/tests/install" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$prefix" > /dev/null
cmake --build "$work/consumer" > /dev/null
LD_LIBRARY_PATH=$libdir "$work/consumer/consumer"
echo "install: pkg-config and find_package consumers built and ran against $prefix"
