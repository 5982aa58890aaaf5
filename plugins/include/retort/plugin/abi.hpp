// The binary contract between the core and a dialect plugin.
//
// A plugin is a shared library exporting three C symbols (RETORT_DIALECT_PLUGIN
// defines them):
//   retort_plugin_abi_version()  the interface version it was built against;
//   retort_plugin_build_id()     the toolchain fingerprint (compiler, C++ library, Boost);
//   retort_plugin_create()       makes the Dialect object, reporting errors as text.
//
// The loader reads the first two before anything else and refuses a plugin
// whose version or fingerprint differs from the core's, naming both: the
// interface passes C++ objects (virtual classes, std::string, Asio awaitables),
// so a plugin must be built with the same compiler, standard library and Boost.
//
// A plugin must never let an exception escape retort_plugin_create; the macro
// catches everything and turns it into the error text.
#pragma once

#include <boost/version.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>

namespace retort::plugin {

class Dialect;

/// Bumped whenever Dialect, Connection, Cursor or a type they pass changes layout or meaning.
inline constexpr std::uint32_t abi_version = 10;  // 10: StatementNode keeps its cache key (sql::KeyMemo)

#define RETORT_PLUGIN_STRINGIFY2(x) #x
#define RETORT_PLUGIN_STRINGIFY(x) RETORT_PLUGIN_STRINGIFY2(x)

/// What must match between the core and a plugin besides abi_version.
#define RETORT_PLUGIN_BUILD_ID                                                               \
    "gcc-" RETORT_PLUGIN_STRINGIFY(__GNUC__) " libstdc++-" RETORT_PLUGIN_STRINGIFY(_GLIBCXX_RELEASE) \
    " cxx-abi-" RETORT_PLUGIN_STRINGIFY(_GLIBCXX_USE_CXX11_ABI) " boost-" RETORT_PLUGIN_STRINGIFY(BOOST_VERSION)

/// The core's own fingerprint, to compare a plugin's with.
const char* core_build_id() noexcept;

}  // namespace retort::plugin

extern "C" {
using retort_plugin_abi_version_fn = std::uint32_t();
using retort_plugin_build_id_fn = const char*();
/// Returns 0 and sets *out on success; otherwise returns non-zero and writes a message into `error`.
using retort_plugin_create_fn = int(retort::plugin::Dialect** out, char* error, std::size_t error_size);
}

/// Defines the three entry points of a plugin whose Dialect class is `DialectClass`
/// (default-constructible). Use it once, in the plugin's entry-point file.
#define RETORT_DIALECT_PLUGIN(DialectClass)                                                           \
    extern "C" __attribute__((visibility("default"))) std::uint32_t retort_plugin_abi_version() {     \
        return ::retort::plugin::abi_version;                                                         \
    }                                                                                                 \
    extern "C" __attribute__((visibility("default"))) const char* retort_plugin_build_id() {          \
        return RETORT_PLUGIN_BUILD_ID;                                                                \
    }                                                                                                 \
    extern "C" __attribute__((visibility("default"))) int retort_plugin_create(                       \
        ::retort::plugin::Dialect** out, char* error, std::size_t error_size) noexcept {              \
        try {                                                                                         \
            *out = new DialectClass();                                                                \
            return 0;                                                                                 \
        } catch (const std::exception& e) {                                                           \
            std::snprintf(error, error_size, "%s", e.what());                                         \
        } catch (...) {                                                                               \
            std::snprintf(error, error_size, "unknown exception");                                    \
        }                                                                                             \
        return 1;                                                                                     \
    }
