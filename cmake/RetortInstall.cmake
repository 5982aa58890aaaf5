# What `cmake --install` puts under the prefix:
#
#   include/retort/...                  the public headers and the plugin contract
#   lib/libretort.so*                   the library
#   lib/retort/libretort_dialect_*.so   the built-in dialects, where the loader
#                                       looks by default (beside the library, in retort/)
#   bin/retort                          the command-line tool (retort --help)
#   bin/retort-seal-plugin              seals a plugin file (retort_add_dialect_plugin runs it)
#   share/retort/dialect-template/      what `retort new-dialect` copies (examples/dialect-plugin)
#   lib/cmake/Retort/                   find_package(Retort CONFIG)
#   lib/pkgconfig/retort.pc             pkg-config --cflags --libs retort
#
# ("lib" is CMAKE_INSTALL_LIBDIR.) Nothing installed holds an absolute path of
# the build machine: the package files and the seal tool find the rest
# relative to themselves, so the prefix can be moved.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(RETORT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Retort)
set(RETORT_INSTALL_PLUGINDIR ${CMAKE_INSTALL_LIBDIR}/retort)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/ ${PROJECT_SOURCE_DIR}/plugins/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")

# The tools run from bin/ and need the library in lib/.
file(RELATIVE_PATH bin_to_lib /${CMAKE_INSTALL_BINDIR} /${CMAKE_INSTALL_LIBDIR})
set_target_properties(retort_seal_plugin retort_cli PROPERTIES INSTALL_RPATH "$ORIGIN/${bin_to_lib}")
install(TARGETS retort_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(TARGETS retort retort_seal_plugin EXPORT RetortTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The export names the tool Retort::seal_plugin, as its alias in this build does.
set_target_properties(retort_seal_plugin PROPERTIES EXPORT_NAME seal_plugin)

foreach(dialect sqlite postgresql mysql)
  retort_install_dialect_plugin(${dialect} DESTINATION ${RETORT_INSTALL_PLUGINDIR})
endforeach()

install(DIRECTORY ${PROJECT_BINARY_DIR}/share/retort/dialect-template DESTINATION ${CMAKE_INSTALL_DATADIR}/retort)

install(EXPORT RetortTargets NAMESPACE Retort:: DESTINATION ${RETORT_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/RetortConfig.cmake.in
  ${PROJECT_BINARY_DIR}/RetortConfig.cmake
  INSTALL_DESTINATION ${RETORT_INSTALL_CMAKEDIR}
  PATH_VARS RETORT_INSTALL_PLUGINDIR)
# 0.x: a minor version may change the interface, so only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/RetortConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/RetortConfig.cmake ${PROJECT_BINARY_DIR}/RetortConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/RetortDialectPlugin.cmake
        DESTINATION ${RETORT_INSTALL_CMAKEDIR})

file(RELATIVE_PATH RETORT_PC_PREFIX_FROM_PCDIR /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" RETORT_PC_PREFIX_FROM_PCDIR "${RETORT_PC_PREFIX_FROM_PCDIR}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/retort.pc.in ${PROJECT_BINARY_DIR}/retort.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/retort.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
