// What the cross-database matrix cannot see of the SQLite driver: in-memory
// databases under a pool, and the worker thread each connection runs on.
#include <catch2/catch.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;
using namespace std::chrono_literals;

namespace {

struct Notes {
    MetaData metadata;
    Table notes{metadata, "memory_notes"};
    Column<std::int64_t> id = notes.column<std::int64_t>("id", primary_key());
    Column<std::string> body = notes.column<std::string>("body");
};

awaitable<void> count_notes(AsyncEngine engine, const Notes* n, std::shared_ptr<std::vector<std::int64_t>> counts) {
    auto conn = co_await engine.connect();
    counts->push_back(co_await conn.scalar<std::int64_t>(select(func::count()).select_from(n->notes)));
    co_await conn.execute(select(func::sleep(0.02)));  // hold the connection a while
    co_await conn.close();
}

}  // namespace

TEST_CASE("sqlite driver: an in-memory database is one database for the whole engine", "[sqlite]") {
    Notes n;
    // Whatever the pool options: a second connection would be a second, empty database.
    auto engine = create_async_engine("sqlite://", {.pool_size = 5, .max_overflow = 5});
    CHECK(engine.pool_status().pool_size == 1);
    CHECK(engine.pool_status().max_overflow == 0);
    auto counts = std::make_shared<std::vector<std::int64_t>>();
    test::run([&]() -> awaitable<void> {
        co_await engine.begin([&](AsyncConnection& c) -> awaitable<void> {
            co_await c.run_sync([&](Connection& s) { n.metadata.create_all(s); });
            co_await c.execute(insert(n.notes).values({n.body, "kept in memory"}));
        });
        // Concurrent coroutines take turns on the one connection, and all see the table.
        auto ex = co_await boost::asio::this_coro::executor;
        for (int i = 0; i < 4; ++i) boost::asio::co_spawn(ex, count_notes(engine, &n, counts), boost::asio::detached);
        boost::asio::steady_timer t(ex);
        for (int waited = 0; counts->size() < 4 && waited < 500; ++waited) {
            t.expires_after(10ms);
            co_await t.async_wait(boost::asio::use_awaitable);
        }
    });
    CHECK(*counts == std::vector<std::int64_t>{1, 1, 1, 1});
    CHECK(engine.pool_status().open == 1);
}

TEST_CASE("sqlite driver: a database file is shared by a pool of connections", "[sqlite]") {
    auto engine = create_async_engine(test::backend_url(), {.pool_size = 3});
    CHECK(engine.pool_status().pool_size == 3);  // files keep the pool the options ask for
}
