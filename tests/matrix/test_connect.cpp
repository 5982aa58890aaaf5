// Connecting to a server: URL options, and the clear, typed failures of bad
// credentials, refused or silent servers. Backends without a server skip these.
#include <catch2/catch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <thread>

#include "support/test_support.hpp"

using namespace retort;
using namespace std::chrono_literals;

namespace {

Url server_url() {
    auto url = Url::parse(test::backend_url());
    if (url.host().empty()) test::skip("the backend is not reached over TCP");
    return url;
}

// SELECT 42 over a new engine for `url`; throws what connecting throws.
awaitable<std::int64_t> answer(const Url& url) {
    auto engine = create_async_engine(url);
    auto conn = co_await engine.connect();
    auto v = co_await conn.scalar<std::int64_t>(sql::select(sql::literal<std::int64_t>(42)));
    co_await conn.close();
    co_return v;
}

// A TCP port on the loopback with nothing listening.
int closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();  // closed again when `a` goes
}

}  // namespace

TEST_CASE("connect: a wrong password is an OperationalError that does not show it", "[connect]") {
    auto url = server_url();
    const std::string secret = "not-the-password-8Xq";
    std::string text = url.dialect() + "://" + url.username() + ":" + secret + "@" + url.host() + ":" +
                       std::to_string(url.port().value_or(0)) + "/" + url.database();
    test::run([&]() -> awaitable<void> {
        auto e = co_await test::capture<OperationalError>(answer(Url::parse(text)));
        REQUIRE(e.has_value());
        CHECK(std::string(e->what()).find(secret) == std::string::npos);
    });
}

TEST_CASE("connect: a refused connection is an OperationalError", "[connect]") {
    auto url = server_url();
    std::string text = url.dialect() + "://u@127.0.0.1:" + std::to_string(closed_port()) + "/db";
    test::run([&]() -> awaitable<void> {
        auto e = co_await test::capture<OperationalError>(answer(Url::parse(text)));
        CHECK(e.has_value());
    });
}

TEST_CASE("connect: connect_timeout bounds a server that never answers", "[connect]") {
    auto url = server_url();
    // A listener that accepts and then says nothing: the client waits for a
    // greeting that never comes.
    boost::asio::io_context silent_io;
    boost::asio::ip::tcp::acceptor silent(silent_io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    boost::asio::ip::tcp::socket held(silent_io);
    silent.async_accept(held, [](boost::system::error_code) {});
    std::thread server([&] { silent_io.run_for(10s); });
    std::string text = url.dialect() + "://u:p@127.0.0.1:" + std::to_string(silent.local_endpoint().port()) +
                       "/db?connect_timeout=1";
    auto start = std::chrono::steady_clock::now();
    std::optional<OperationalError> e;
    test::run([&]() -> awaitable<void> { e = co_await test::capture<OperationalError>(answer(Url::parse(text))); });
    auto took = std::chrono::steady_clock::now() - start;
    silent_io.stop();
    server.join();
    REQUIRE(e.has_value());
    CHECK(took >= 900ms);
    CHECK(took < 5s);
}

TEST_CASE("connect: a host name is resolved without blocking", "[connect]") {
    auto url = server_url();
    if (url.host() != "127.0.0.1") test::skip("the server is not on 127.0.0.1");
    // localhost may resolve to ::1 first, where the server does not listen: the
    // driver must go on to the next address.
    std::string text = url.render(false);
    text.replace(text.find("@127.0.0.1"), 10, "@localhost");
    test::run([&]() -> awaitable<void> {
        auto v = co_await answer(Url::parse(text));
        CHECK(v == 42);
    });
}

TEST_CASE("connect: over a unix socket", "[connect]") {
    auto url = server_url();
    auto socket = test::backend_setting("SOCKET");
    if (!socket) test::skip("no unix socket given for the backend (RETORT_TEST_<BACKEND>_SOCKET)");
    test::run([&]() -> awaitable<void> {
        auto v = co_await answer(url.with_query_option("unix_socket", *socket));
        CHECK(v == 42);
    });
}

TEST_CASE("connect: an unknown URL option names itself and the known ones", "[connect]") {
    auto url = server_url().with_query_option("no_such_option", "1");
    test::run([&]() -> awaitable<void> {
        auto e = co_await test::capture<ArgumentError>(answer(url));
        REQUIRE(e.has_value());
        CHECK_THAT(e->what(), Catch::Contains("no_such_option") && Catch::Contains("connect_timeout"));
    });
}

TEST_CASE("connect: TLS with a verified server certificate, large values both ways", "[connect]") {
    // A URL that requires TLS and verifies the server against the test CA:
    // connecting at all proves TLS was negotiated.
    auto tls = test::backend_setting("TLS_URL");
    if (!tls) test::skip("no TLS URL given for the backend (RETORT_TEST_<BACKEND>_TLS_URL)");
    std::string text;
    for (int i = 0; i < 200000; ++i) text += "TLS récords ";  // ~2.6 MB: many TLS records each way
    test::run([&]() -> awaitable<void> {
        auto engine = create_async_engine(*tls);
        auto conn = co_await engine.connect();
        for (int round = 0; round < 3; ++round) {
            auto echoed = co_await conn.scalar<std::string>(sql::select(sql::literal<std::string>(text).label("t")));
            CHECK(echoed == text);
        }
        co_await conn.close();
    });
}
