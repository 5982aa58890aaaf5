// Bounds on a TOML text, checked before toml11 sees it. toml11 parses nested
// values by recursion (a value nested a few thousand levels deep overflows the
// stack) and inline tables and arrays in quadratic time (200 KB take minutes),
// so a hostile or corrupted file must be refused before it is parsed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace retort::detail {

struct TomlBounds {
    std::size_t max_bytes = 256 * 1024;   ///< the whole file
    std::size_t max_depth = 32;           ///< arrays and inline tables inside one another
    std::size_t max_inline_bytes = 8192;  ///< one array or inline table, brackets included
};

/// Throws ConfigError (naming `source` and the line) when `text` exceeds
/// `bounds` or is not UTF-8.
void check_toml_bounds(std::string_view text, const std::string& source, const TomlBounds& bounds = {});

}  // namespace retort::detail
