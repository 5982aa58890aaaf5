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

TEST_CASE("sqlite driver: a stream in a transaction lets statements run between its fetches", "[sqlite]") {
    Notes n;
    auto engine = create_async_engine("sqlite://", {.stream_batch_rows = 10});
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.run_sync([&](Connection& c) { n.metadata.create_all(c); });
        std::vector<std::vector<Assignment>> rows;
        for (int i = 0; i < 100; ++i) rows.push_back({{n.body, "row " + std::to_string(i)}});
        co_await conn.execute(insert(n.notes).rows(rows));  // begins the transaction
        auto result = co_await conn.stream(select(n.id).order_by(n.id));
        CHECK(result.allows_other_statements());
        auto first = co_await result.fetchmany(15);
        REQUIRE(first.size() == 15);
        // Beside the stream: a write, and a read that sees it.
        co_await conn.execute(update(n.notes).values({n.body, "changed"}).where(n.id == 90));
        auto changed = co_await conn.scalar<std::string>(select(n.body).where(n.id == 90));
        CHECK(changed == "changed");
        auto rest = co_await result.all();  // further fetches step the same statement
        CHECK(rest.size() == 85);
        CHECK(rest.back().get<std::int64_t>(0) == 100);
        co_await conn.commit();

        // Outside a transaction SQLite would hold back the commit of what ran
        // beside the statement until it ends: the stream keeps the connection.
        co_await conn.set_isolation_level(IsolationLevel::autocommit);
        auto alone = co_await conn.stream(select(n.id));
        CHECK(!alone.allows_other_statements());
        auto refused = co_await test::capture<InvalidRequestError>(conn.execute(select(n.id)));
        CHECK(refused.has_value());
        co_await alone.close();
        co_await conn.close();
    });
}

TEST_CASE("sqlite driver: a transaction that read and then cannot write says what to do about it", "[sqlite]") {
    Notes n;
    auto engine = create_async_engine(test::backend_url(), {.pool_size = 2});
    std::string message;
    test::run([&]() -> awaitable<void> {
        co_await engine.begin([&](AsyncConnection& c) -> awaitable<void> {
            co_await c.run_sync([&](Connection& s) {
                n.metadata.drop_all(s);
                n.metadata.create_all(s);
            });
        });
        auto reader = co_await engine.connect();
        auto writer = co_await engine.connect();
        // The reader's transaction reads (a snapshot of the WAL), then another
        // connection writes and commits: the reader can no longer write, and
        // waiting would not help (SQLITE_BUSY_SNAPSHOT, at once).
        co_await reader.scalar<std::int64_t>(select(func::count()).select_from(n.notes));
        co_await writer.execute(insert(n.notes).values({n.body, "first"}));
        co_await writer.commit();
        try {
            co_await reader.execute(insert(n.notes).values({n.body, "second"}));
        } catch (const OperationalError& e) {
            message = e.what();
        }
        co_await reader.rollback();
        co_await reader.close();
        co_await writer.close();
        co_await engine.dispose();
    });
    INFO(message);
    CHECK(message.find("database is locked") != std::string::npos);
    CHECK(message.find("begin=immediate") != std::string::npos);
}
