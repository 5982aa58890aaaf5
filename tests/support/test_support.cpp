#include "support/test_support.hpp"

#include <cctype>
#include <cstdlib>

namespace retort::test {

std::optional<std::string> backend_setting(const std::string& name) {
    const char* b = std::getenv("RETORT_TEST_BACKEND");
    std::string var = "RETORT_TEST_";
    for (char ch : std::string(b && *b ? b : "sqlite")) var += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    const char* v = std::getenv((var + "_" + name).c_str());
    if (!v || !*v) return std::nullopt;
    return v;
}

}  // namespace retort::test
