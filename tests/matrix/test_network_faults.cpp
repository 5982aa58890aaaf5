// A network that fails the way networks do, between the engine and a real
// server: a loopback proxy the test controls stalls open connections (bytes are
// held, nothing is refused) or accepts and never answers. Every wait must end:
// by the caller's own cancellation, by pool_pre_ping_timeout, by connect_timeout.
#include <catch2/catch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "support/stall_proxy.hpp"
#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

Url server_url() {
    auto url = Url::parse(test::backend_url());
    if (url.dialect() == "sqlite") test::skip("SQLite has no network to stall");
    if (!url.port()) test::skip("the server URL names no TCP port");
    return url;
}

long ms(Clock::duration d) { return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()); }

}  // namespace

TEST_CASE("network: a statement on a stalled network ends when the caller's timer cancels it", "[network][cancel]") {
    using namespace boost::asio::experimental::awaitable_operators;
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    Clock::duration took{};
    bool timer_won = false;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto one = co_await conn.scalar<std::int64_t>(select(literal<std::int64_t>(1)));
        CHECK(one == 1);
        proxy.stall();
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 500ms);
        auto start = Clock::now();
        auto first = co_await (conn.scalar<std::int64_t>(select(literal<std::int64_t>(2))) ||
                               timer.async_wait(boost::asio::use_awaitable));
        timer_won = first.index() == 1;
        took = Clock::now() - start;
        co_await conn.close();
    });
    INFO("the stalled statement ended after " << ms(took) << " ms");
    CHECK(took < 1500ms);
    CHECK(timer_won);
    CHECK(engine.pool_status().checked_out == 0);
}

TEST_CASE("network: pre-ping gives up on a stalled idle connection after pool_pre_ping_timeout and opens another",
          "[network][pool]") {
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1,
                                                    .max_overflow = 0,
                                                    .pool_pre_ping = true,
                                                    .pool_pre_ping_timeout = 500ms});
    Clock::duration took{};
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.close();  // idle in the pool
        proxy.stall();          // its network stalls; new connections still pass
        auto start = Clock::now();
        auto fresh = co_await engine.connect();
        took = Clock::now() - start;
        auto v = co_await fresh.scalar<std::int64_t>(select(literal<std::int64_t>(6) * 7));
        CHECK(v == 42);
        co_await fresh.close();
    });
    INFO("the checkout took " << ms(took) << " ms");
    CHECK(took < 2500ms);
    CHECK(proxy.accepted() >= 2);  // the first, the fresh one (and the stalled ping's cancel request)
    CHECK(engine.pool_status().checked_out == 0);
}

TEST_CASE("network: a server that accepts and never answers is given up on at connect_timeout, or when the caller "
          "cancels", "[network][connect]") {
    using namespace boost::asio::experimental::awaitable_operators;
    test::StallProxy proxy(server_url(), test::StallProxy::Mode::silent);
    std::vector<Url> urls{proxy.url()};
    // MySQL opens a connection that may use TLS with the blocking API on a thread of its own.
    if (proxy.url().dialect() == "mysql") urls.push_back(proxy.url().with_query_option("ssl_mode", "required"));
    for (const auto& url : urls) {
        INFO(url.to_string());
        // connect_timeout in the URL.
        auto bounded = create_async_engine(url.with_query_option("connect_timeout", "1"));
        Clock::duration took{};
        std::optional<OperationalError> refused;
        test::run([&]() -> awaitable<void> {
            auto start = Clock::now();
            refused = co_await test::capture<OperationalError>(bounded.connect());
            took = Clock::now() - start;
        });
        INFO("connect gave up after " << ms(took) << " ms");
        REQUIRE(refused);
        CHECK_THAT(refused->what(), Catch::Contains("connect_timeout"));
        CHECK(took < 2500ms);
        if (!url.password().empty()) CHECK(std::string(refused->what()).find(url.password()) == std::string::npos);

        if (url.dialect() == "mysql" && !url.option("ssl_mode")) {
            // read_timeout ends the wait for the greeting first: the message names it, not connect_timeout.
            auto read_bounded = create_async_engine(url.with_query_option("read_timeout", "1"));
            std::optional<OperationalError> unread;
            test::run([&]() -> awaitable<void> { unread = co_await test::capture<OperationalError>(read_bounded.connect()); });
            REQUIRE(unread);
            CHECK_THAT(unread->what(), Catch::Contains("within read_timeout") && !Catch::Contains("connect_timeout"));
        }

        // No connect_timeout: the caller's own timer ends it.
        auto unbounded = create_async_engine(url);
        bool timer_won = false;
        test::run([&]() -> awaitable<void> {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 500ms);
            auto start = Clock::now();
            auto first = co_await (unbounded.connect() || timer.async_wait(boost::asio::use_awaitable));
            timer_won = first.index() == 1;
            took = Clock::now() - start;
        });
        INFO("the cancelled connect ended after " << ms(took) << " ms");
        CHECK(took < 1500ms);
        CHECK(timer_won);
        CHECK(unbounded.pool_status().checked_out == 0);
        CHECK(unbounded.pool_status().open == 0);
    }
}
