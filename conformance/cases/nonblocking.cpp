// The event loop keeps running while a slow statement executes: a driver that
// blocked the loop thread would starve the ticker below.
#include <catch2/catch.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

// Spawned coroutines are free functions taking their state by value: a lambda
// coroutine would outlive the lambda object that holds its captures.
struct Ticker {
    bool done = false;
    int ticks = 0;
};

awaitable<void> tick(std::shared_ptr<Ticker> t) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    while (!t->done) {
        timer.expires_after(std::chrono::milliseconds(5));
        co_await timer.async_wait(boost::asio::use_awaitable);
        if (!t->done) ++t->ticks;
    }
}

awaitable<void> double_it(AsyncEngine engine, std::int64_t i, std::shared_ptr<int> finished) {
    auto conn = co_await engine.connect();
    auto v = co_await conn.scalar<std::int64_t>(select(literal<std::int64_t>(i) * 2));
    co_await conn.close();
    if (v == i * 2) ++*finished;
}

}  // namespace

TEST_CASE("a slow query does not block the event loop", "[nonblocking]") {
    auto engine = test::make_engine();
    // pg_sleep / SLEEP on the servers; on SQLite, sleep() on the connection's worker thread.
    auto slow = select(func::sleep(1.0).label("slept"));

    int ticks_during_query = 0;
    std::chrono::steady_clock::duration query_time{};
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto ticker = std::make_shared<Ticker>();
        boost::asio::co_spawn(co_await boost::asio::this_coro::executor, tick(ticker), boost::asio::detached);
        auto start = std::chrono::steady_clock::now();
        co_await conn.execute(slow);
        query_time = std::chrono::steady_clock::now() - start;
        ticks_during_query = ticker->ticks;
        ticker->done = true;
        co_await conn.close();
    });
    // The test proves something only if the query took a while.
    REQUIRE(query_time > std::chrono::milliseconds(900));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(query_time).count();
    INFO("query took " << ms << " ms; the loop ticked " << ticks_during_query << " times");
    // A blocked loop ticks at most once; a free one about every 5 ms. Allow for a noisy machine.
    CHECK(ticks_during_query >= std::max<long>(3, ms / 5 / 10));
}

TEST_CASE("50 coroutines share one engine, each on its own connection", "[nonblocking]") {
    auto engine = test::make_engine();
    auto finished = std::make_shared<int>(0);
    test::run([&]() -> awaitable<void> {
        auto ex = co_await boost::asio::this_coro::executor;
        for (int i = 0; i < 50; ++i) boost::asio::co_spawn(ex, double_it(engine, i, finished), boost::asio::detached);
        boost::asio::steady_timer timer(ex);
        for (int waited = 0; *finished < 50 && waited < 3000; ++waited) {
            timer.expires_after(std::chrono::milliseconds(10));
            co_await timer.async_wait(boost::asio::use_awaitable);
        }
    });
    CHECK(*finished == 50);
}
