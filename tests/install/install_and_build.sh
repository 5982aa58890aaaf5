#!/usr/bin/env bash
# install_and_build.sh BUILD_DIR WORK_DIR CXX [EXTRA_CXX_FLAGS]
#
# Installs the build tree BUILD_DIR into WORK_DIR/prefix with `cmake --install`,
# as a user would, then builds against that prefix alone (nothing of the build
# or source tree but these projects' own sources):
#   - the consumer application in consumer/, with find_package(Retort)
#     (WORK_DIR/find_package) and with pkg-config (WORK_DIR/pkg-config);
#   - examples/dialect-plugin, the out-of-tree minisql dialect, installed into
#     the prefix (WORK_DIR/minisql);
#   - a project made by the installed `retort new-dialect kitdb`, left in its
#     build folder (WORK_DIR/kitdb/build).
set -euo pipefail
build=$1 work=$2 cxx=$3 extra=${4:-}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
prefix="$work/prefix"
launcher=()
if command -v ccache >/dev/null; then launcher=(ccache); fi

rm -rf "$work"
mkdir -p "$work"
echo "== cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"

# What the package must hold, and that its files name no path of this machine's
# source or build tree (the prefix is relocatable).
for f in include/retort/retort.hpp include/retort/orm.hpp include/retort/plugin/dialect.hpp \
         lib/libretort.so lib/cmake/Retort/RetortConfig.cmake lib/cmake/Retort/RetortConfigVersion.cmake \
         lib/cmake/Retort/RetortDialectPlugin.cmake lib/pkgconfig/retort.pc bin/retort bin/retort-seal-plugin \
         lib/retort/libretort_dialect_sqlite.so lib/retort/libretort_dialect_postgresql.so \
         lib/retort/libretort_dialect_mysql.so; do
  [[ -e "$prefix/$f" ]] || { echo "not installed: $f"; exit 1; }
done
source_root="$(cd "$here/../.." && pwd -P)"
if grep -rlF -e "$build" -e "$source_root" "$prefix/lib/cmake" "$prefix/lib/pkgconfig"; then
  echo "the package files above name a path of the build machine"; exit 1
fi
# The installed plugins are the built files byte for byte: a rewritten RPATH
# or a strip would have broken their seals.
for p in "$prefix"/lib/retort/libretort_dialect_*.so; do
  cmp "$p" "$build/lib/$(basename "$p")" || { echo "$p differs from the file built"; exit 1; }
done

echo "== the installed retort tool finds the installed plugins by itself"
plugins=$(env -u RETORT_PLUGIN_PATH -u LD_LIBRARY_PATH "$prefix/bin/retort" plugins) || { echo "$plugins"; exit 1; }
echo "$plugins"
[[ $(grep -c "^  file:         $prefix/lib/retort/libretort_dialect_[a-z]*\.so$" <<<"$plugins") == 3 ]] \
  || { echo "expected the three installed plugins"; exit 1; }
# Moved elsewhere as a whole, the prefix still works: the tool finds its
# library and the library its plugins, relative to themselves.
cp -a "$prefix" "$work/moved-prefix"
moved=$(env -u RETORT_PLUGIN_PATH -u LD_LIBRARY_PATH "$work/moved-prefix/bin/retort" plugins) || { echo "$moved"; exit 1; }
[[ $(grep -c "^  file:         $work/moved-prefix/lib/retort/libretort_dialect_[a-z]*\.so$" <<<"$moved") == 3 ]] \
  || { echo "$moved"; echo "the moved prefix does not find its own plugins"; exit 1; }
[[ "$(PKG_CONFIG_PATH="$work/moved-prefix/lib/pkgconfig" pkg-config --variable=libdir retort)" -ef "$work/moved-prefix/lib" ]] \
  || { echo "pkg-config does not follow the moved prefix"; exit 1; }
rm -rf "$work/moved-prefix"
# The kit and the template are installed with the tool.
[[ -f "$prefix/share/retort/dialect-template/src/minisql_connection.cpp" ]] || { echo "no dialect template"; exit 1; }

echo "== find_package(Retort)"
cmake -S "$here/consumer" -B "$work/find_package" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
      ${launcher[@]+-DCMAKE_CXX_COMPILER_LAUNCHER=${launcher[*]}} -DCMAKE_CXX_FLAGS="$extra" \
      >"$work/find_package.log" || { cat "$work/find_package.log"; exit 1; }
cmake --build "$work/find_package" || exit 1

echo "== pkg-config retort"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
[[ "$(pkg-config --modversion retort)" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "no version from pkg-config"; exit 1; }
mkdir -p "$work/pkg-config"
# shellcheck disable=SC2046,SC2086  # pkg-config's output is a list of flags
${launcher[@]+"${launcher[@]}"} "$cxx" -std=c++20 -Wall -Wextra -Wpedantic -Werror $extra \
    $(pkg-config --cflags retort) "$here/consumer/main.cpp" \
    -o "$work/pkg-config/retort_consumer" \
    $(pkg-config --libs retort) -Wl,-rpath,"$(pkg-config --variable=libdir retort)"

echo "== examples/dialect-plugin, built against the prefix and installed into it"
cmake -S "$here/../../examples/dialect-plugin" -B "$work/minisql" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_INSTALL_PREFIX="$prefix" \
      ${launcher[@]+-DCMAKE_CXX_COMPILER_LAUNCHER=${launcher[*]}} -DCMAKE_CXX_FLAGS="$extra" \
      >"$work/minisql.log" || { cat "$work/minisql.log"; exit 1; }
cmake --build "$work/minisql"
cmake --install "$work/minisql" >>"$work/minisql.log"
[[ -f "$prefix/lib/retort/libretort_dialect_minisql.so" ]] || { echo "minisql was not installed"; exit 1; }

echo "== retort new-dialect kitdb, built against the prefix"
env -u LD_LIBRARY_PATH "$prefix/bin/retort" new-dialect kitdb "$work/kitdb"
cmake -S "$work/kitdb" -B "$work/kitdb/build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" \
      ${launcher[@]+-DCMAKE_CXX_COMPILER_LAUNCHER=${launcher[*]}} -DCMAKE_CXX_FLAGS="$extra" \
      >"$work/kitdb.log" || { cat "$work/kitdb.log"; exit 1; }
cmake --build "$work/kitdb/build"
[[ -f "$work/kitdb/build/libretort_dialect_kitdb.so" ]] || { echo "the new-dialect project built no plugin"; exit 1; }
echo "built: consumers, minisql (installed), kitdb"
