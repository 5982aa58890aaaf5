// retort_seal_plugin FILE: appends the seal (retort/plugin/file_seal.hpp) to
// the dialect plugin FILE, named libretort_dialect_<name>.so, as the last step
// of its build. The interface version and toolchain fingerprint recorded are
// what the plugin's own entry points report, so the seal cannot disagree with
// the code it covers.
#include <dlfcn.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>

#include "retort/plugin/abi.hpp"
#include "retort/plugin/file_seal.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s libretort_dialect_<name>.so\n", argv[0]);
        return 2;
    }
    const std::filesystem::path path = argv[1];
    const std::string prefix = "libretort_dialect_", suffix = ".so";
    std::string file = path.filename().string();
    if (file.size() <= prefix.size() + suffix.size() || !file.starts_with(prefix) || !file.ends_with(suffix)) {
        std::fprintf(stderr, "%s: '%s' is not named libretort_dialect_<name>.so\n", argv[0], argv[1]);
        return 2;
    }
    retort::plugin::FileSeal seal;
    seal.name = file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());

    // RTLD_LAZY: only the two entry points are called, and a plugin whose other
    // symbols do not resolve is still sealed (the loader then reports them).
    void* lib = dlopen(std::filesystem::absolute(path).c_str(), RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        std::fprintf(stderr, "%s: cannot load '%s': %s\n", argv[0], argv[1], dlerror());
        return 1;
    }
    auto abi = reinterpret_cast<retort_plugin_abi_version_fn*>(dlsym(lib, "retort_plugin_abi_version"));
    auto build = reinterpret_cast<retort_plugin_build_id_fn*>(dlsym(lib, "retort_plugin_build_id"));
    if (!abi || !build) {
        std::fprintf(stderr, "%s: '%s' does not export retort_plugin_abi_version and retort_plugin_build_id "
                             "(use RETORT_DIALECT_PLUGIN)\n", argv[0], argv[1]);
        return 1;
    }
    seal.abi_version = abi();
    seal.build_id = build();
    dlclose(lib);
    try {
        retort::plugin::seal_plugin_file(path, seal);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
        return 1;
    }
    return 0;
}
