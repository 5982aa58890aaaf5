// Fuzz target: the URL parser. Any input parses or throws ArgumentError; a URL
// that parses renders to text that parses back to the same URL, and its printed
// form never shows the password.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "retort/error.hpp"
#include "retort/url.hpp"

namespace {
[[noreturn]] void broken(const char* invariant) {
    std::fprintf(stderr, "invariant broken: %s\n", invariant);
    std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    retort::Url url = [&] {
        try {
            return retort::Url::parse(text);
        } catch (const retort::ArgumentError&) {
            return retort::Url::parse("sqlite://");
        }
    }();
    retort::Url again = retort::Url::parse(url.render(false));
    if (again.dialect() != url.dialect() || again.driver() != url.driver() || again.username() != url.username() ||
        again.password() != url.password() || again.host() != url.host() || again.port() != url.port() ||
        again.database() != url.database() || again.query() != url.query())
        broken("parse(render(url)) == url");
    // The printed form does not depend on the password at all.
    if (url.to_string() != url.with_password("another password").to_string() && !url.password().empty())
        broken("to_string() hides the password");
    return 0;
}
