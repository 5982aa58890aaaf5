// UTF-8 validity, as PostgreSQL and MySQL's utf8mb4 check it: for dialects that
// must refuse text their database would reject or alter (Dialect::unstorable_text).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace retort::plugin {

/// The offset of the first byte that does not begin a well-formed UTF-8
/// character (overlong forms, surrogates and code points past U+10FFFF are
/// ill-formed), or nullopt when all of `text` is well-formed.
std::optional<std::size_t> invalid_utf8_at(std::string_view text) noexcept;

}  // namespace retort::plugin
