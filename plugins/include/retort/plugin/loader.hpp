// Finding and loading dialect plugins.
//
// A dialect named N lives in `libretort_dialect_N.so`, searched for in order:
//   1. each directory of the RETORT_PLUGIN_PATH environment variable (':'-separated);
//   2. the directory of the core library itself (a build tree puts every
//      library there) and its `retort/` subdirectory (an installed tree).
// A dialect named by an alias (mariadb for mysql) is found by asking the plugins on the path.
//
// Loaded plugins stay loaded while any object they made is alive.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "retort/plugin/dialect.hpp"

namespace retort::plugin {

/// The directories searched, in order.
std::vector<std::filesystem::path> search_path();

/// Loads the plugin file at `path` and makes its Dialect. Throws PluginError
/// naming the file and the reason: missing or unreadable (a symlink loop), not a
/// shared library, unsealed, truncated or damaged (its seal, file_seal.hpp, is
/// checked before the dynamic loader maps it), not a plugin, built for another
/// interface version or toolchain, or failing to initialise.
std::shared_ptr<const Dialect> load_plugin_file(const std::filesystem::path& path);

/// The dialect serving URL scheme `name` (a dialect name or an alias), loaded
/// once per process. Throws PluginError listing the known dialects and the
/// directories searched when none serves it.
std::shared_ptr<const Dialect> load_dialect(std::string_view name);

struct PluginInfo {
    std::filesystem::path path;
    std::string name;      ///< empty when it failed to load
    std::vector<std::string> aliases;
    std::string version;
    std::string driver;
    std::string error;     ///< why it failed to load; empty when it loaded
};

/// Every plugin file on the search path, loaded to read its description.
std::vector<PluginInfo> available_plugins();

}  // namespace retort::plugin
