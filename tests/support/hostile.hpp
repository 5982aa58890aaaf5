// The hostile corpus: strings an application receives from the outside and
// passes on, chosen to break quoting, escaping, encodings and length limits.
#pragma once

#include <string>
#include <vector>

namespace retort::test {

struct Hostile {
    std::string name;   ///< for test messages (the text itself may be unprintable or 1 MB)
    std::string text;
};

/// At least 250 strings: quotes, backslashes, NUL, \x1a, comment markers,
/// "'; DROP TABLE", $1 / ? / %s look-alikes, 4-byte emoji, combining and RTL
/// marks, 1 MB strings, invalid UTF-8; each core fragment alone and embedded.
const std::vector<Hostile>& hostile_strings();

/// Whether `text` is well-formed UTF-8.
bool valid_utf8(const std::string& text);

}  // namespace retort::test
