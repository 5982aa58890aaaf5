# retort_add_dialect_plugin(NAME SOURCES src... [LIBRARIES lib...] [OUTPUT_DIRECTORY dir])
#
# Builds the dialect plugin NAME as libretort_dialect_NAME.so: the file name the
# loader looks for when a URL says `NAME://`. The same function builds the
# dialects inside Retort and those written out of tree against an installed
# Retort (find_package(Retort) brings it), so both come out alike:
#   - a MODULE library linked to Retort::retort, built as C++20;
#   - default symbol visibility, on purpose: the static members of header-only
#     templates (Asio's per-thread call stacks among them) must resolve to the
#     one instance the core and the application share, not a copy per plugin;
#   - the RPATH the plugin is installed with is also the one it is built with
#     ($ORIGIN, then $ORIGIN/..: beside libretort or in its retort/ folder, and
#     the folders of the libraries it links), so installing never rewrites the file;
#   - sealed as the last step of its build (retort/plugin/file_seal.hpp): the
#     seal records the interface version and toolchain fingerprint the plugin's
#     own entry points report, and a checksum of the file. The loader refuses an
#     unsealed, damaged or foreign-built file before mapping it. Anything that
#     edits the file afterwards (strip, objcopy, an RPATH change) breaks the
#     seal: install the file as it was built (install(FILES), not --strip).
#
# The target is named retort_dialect_NAME; link extra libraries with LIBRARIES
# (the database's client library) or target_link_libraries(... PRIVATE ...).
function(retort_add_dialect_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT name MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "retort_add_dialect_plugin: '${name}' is not a dialect name "
                        "(lower-case letters, digits and '_': it is the URL's scheme)")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "retort_add_dialect_plugin(${name}): no SOURCES")
  endif()
  set(target retort_dialect_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE Retort::retort ${ARG_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME retort_dialect_${name}
    SUFFIX ".so"
    BUILD_WITH_INSTALL_RPATH ON
    INSTALL_RPATH "$ORIGIN:$ORIGIN/.."
    # A client library outside the system's folders (in /opt, say) stays found.
    INSTALL_RPATH_USE_LINK_PATH ON)
  if(ARG_OUTPUT_DIRECTORY)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIRECTORY})
  endif()
  retort_seal_plugin(${target})
endfunction()

# retort_seal_plugin(TARGET): seals TARGET's file as the last step of its build.
# retort_add_dialect_plugin calls it; call it yourself only for a plugin built
# some other way.
function(retort_seal_plugin target)
  if(TARGET retort_seal_plugin)        # inside Retort's own build
    add_dependencies(${target} retort_seal_plugin)
  endif()
  add_custom_command(TARGET ${target} POST_BUILD
    # (No leak check in a sanitized build: the tool dlopens the plugin and exits.)
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
            $<TARGET_FILE:Retort::seal_plugin> $<TARGET_FILE:${target}>
    COMMENT "Sealing $<TARGET_FILE_NAME:${target}>" VERBATIM)
endfunction()

# retort_install_dialect_plugin(NAME [DESTINATION dir]): installs the plugin
# built by retort_add_dialect_plugin(NAME) byte for byte (an RPATH rewrite or a
# strip would break its seal), by default into lib/retort/ of the install
# prefix: the folder the loader searches beside libretort. Installed into the
# prefix Retort itself is installed in, the plugin is found by every
# application with no RETORT_PLUGIN_PATH.
function(retort_install_dialect_plugin name)
  cmake_parse_arguments(ARG "" "DESTINATION" "" ${ARGN})
  if(NOT ARG_DESTINATION)
    include(GNUInstallDirs)
    set(ARG_DESTINATION ${CMAKE_INSTALL_LIBDIR}/retort)
  endif()
  install(PROGRAMS $<TARGET_FILE:retort_dialect_${name}> DESTINATION ${ARG_DESTINATION})
endfunction()
