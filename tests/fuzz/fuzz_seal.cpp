// Fuzz target: the plugin file check. Any file is a FileSeal or a PluginError,
// read with plain file I/O: never a crash (the dynamic loader is never involved).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "retort/error.hpp"
#include "retort/plugin/file_seal.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path =
        (std::filesystem::temp_directory_path() / ("retort-fuzz-seal-" + std::to_string(::getpid()) + ".so")).string();
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        auto seal = retort::plugin::read_seal(path);
        (void)seal;
    } catch (const retort::PluginError&) {
    }
    return 0;
}
