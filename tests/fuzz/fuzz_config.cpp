// Fuzz target: the configuration loader. Any text is a Config or a
// ConfigError (an ArgumentError); never a crash, a hang or unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "retort/config.hpp"
#include "retort/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto config = retort::Config::parse(text, "fuzz.toml");
        for (const auto& name : config.engine_names()) (void)config.engine(name);
    } catch (const retort::ArgumentError&) {
    }
    return 0;
}
