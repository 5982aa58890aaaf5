// echo: every statement and its parameters logged, through the statement hook
// or to stderr, with parameters masked on request and never a password.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

// What the process writes to stderr while `body` runs.
std::string capture_stderr(const std::function<void()>& body) {
    std::fflush(stderr);
    char path[] = "/tmp/retort-echo-XXXXXX";
    int file = ::mkstemp(path);
    REQUIRE(file >= 0);
    int saved = ::dup(2);
    ::dup2(file, 2);
    try {
        body();
    } catch (...) {
        std::fflush(stderr);
        ::dup2(saved, 2);
        throw;
    }
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(file);
    std::ifstream in(path);
    std::stringstream out;
    out << in.rdbuf();
    ::unlink(path);
    return out.str();
}

std::string echo_of(bool hide_parameters) {
    auto engine = test::make_engine({.echo = true, .hide_parameters = hide_parameters});
    return capture_stderr([&] {
        test::run([&]() -> awaitable<void> {
            auto conn = co_await engine.connect();
            co_await conn.execute(select(literal<std::string>("a-secret-value").label("v")));
            co_await conn.close();
        });
    });
}

}  // namespace

TEST_CASE("echo: statements and their parameters go to stderr", "[echo]") {
    auto log = echo_of(false);
    CHECK_THAT(log, Catch::Contains("[retort] SELECT"));
    CHECK_THAT(log, Catch::Contains("a-secret-value"));
    auto password = Url::parse(test::backend_url()).password();
    if (!password.empty()) CHECK(log.find(password) == std::string::npos);
}

TEST_CASE("echo: hide_parameters masks the values", "[echo]") {
    auto log = echo_of(true);
    CHECK_THAT(log, Catch::Contains("[retort] SELECT"));
    CHECK_THAT(log, Catch::Contains("parameters hidden"));
    CHECK(log.find("a-secret-value") == std::string::npos);
}
