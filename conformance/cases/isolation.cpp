// Isolation levels per engine and per connection, tested by what a transaction
// can see of another's commits, on every backend that offers the level.
#include <catch2/catch.hpp>
#include <algorithm>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

struct Ledger {
    MetaData metadata;
    Table entries{metadata, "ledger_entries"};
    Column<std::int64_t> id = entries.column<std::int64_t>("id", primary_key());
    Column<int> amount = entries.column<int>("amount");
};

bool offers(const AsyncEngine& engine, IsolationLevel level) {
    auto levels = engine.dialect().isolation_levels();
    return std::find(levels.begin(), levels.end(), level) != levels.end();
}

// The weakest level that reads from a snapshot: REPEATABLE READ where offered
// (PostgreSQL, InnoDB), else SERIALIZABLE (SQLite). Not SERIALIZABLE everywhere:
// InnoDB's takes shared locks on what it reads, so the concurrent insert of
// these tests would wait for the reader instead of committing beside it.
IsolationLevel snapshot_level(const AsyncEngine& engine) {
    return offers(engine, IsolationLevel::repeatable_read) ? IsolationLevel::repeatable_read : IsolationLevel::serializable;
}

// Reads twice in one transaction of `reader`, with a commit of `writer` in
// between; returns whether the second read saw the commit.
awaitable<bool> sees_concurrent_commit(AsyncConnection& reader, AsyncConnection& writer, const Ledger& l) {
    auto before = co_await test::count_rows(reader, l.entries);
    co_await writer.execute(insert(l.entries).values({l.amount, 1}));
    co_await writer.commit();
    auto after = co_await test::count_rows(reader, l.entries);
    co_await reader.rollback();
    co_return after != before;
}

}  // namespace

TEST_CASE("isolation: snapshot transactions do not see commits made after they began", "[isolation]") {
    Ledger l;
    auto probe = test::make_engine();
    if (!offers(probe, snapshot_level(probe))) test::skip("the backend offers neither REPEATABLE READ nor SERIALIZABLE");
    auto engine = test::make_engine({.isolation_level = snapshot_level(probe)});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, l.metadata);
        auto reader = co_await engine.connect();
        auto writer = co_await engine.connect();
        auto saw = co_await sees_concurrent_commit(reader, writer, l);
        CHECK_FALSE(saw);
        co_await reader.close();
        co_await writer.close();
    });
}

TEST_CASE("isolation: READ COMMITTED per connection sees commits, and the pool restores the engine's level", "[isolation]") {
    Ledger l;
    // The engine reads from snapshots; one checkout lowers its connection's level.
    auto probe = test::make_engine();
    if (!offers(probe, IsolationLevel::read_committed) || !offers(probe, snapshot_level(probe)))
        test::skip("the backend does not offer READ COMMITTED and a snapshot level");
    auto engine = test::make_engine({.pool_size = 1, .max_overflow = 1, .isolation_level = snapshot_level(probe)});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, l.metadata);
        auto reader = co_await engine.connect();
        co_await reader.set_isolation_level(IsolationLevel::read_committed);
        auto writer = co_await engine.connect();
        auto saw = co_await sees_concurrent_commit(reader, writer, l);
        CHECK(saw);
        co_await reader.close();  // back to the engine's level in the pool
        co_await writer.close();  // pool_size (1) waits idle already: closed

        auto again = co_await engine.connect();  // the same connection
        auto writer2 = co_await engine.connect();
        auto saw_again = co_await sees_concurrent_commit(again, writer2, l);
        CHECK_FALSE(saw_again);
        co_await again.close();
        co_await writer2.close();
    });
}

TEST_CASE("isolation: changing the level inside a transaction is refused", "[isolation]") {
    Ledger l;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, l.metadata);
        auto conn = co_await engine.connect();
        co_await conn.execute(select(l.amount));
        auto e = co_await test::capture<InvalidRequestError>(conn.set_isolation_level(IsolationLevel::serializable));
        CHECK(e.has_value());
        co_await conn.close();
    });
    // A level the dialect does not offer is refused when the engine is made.
    for (auto level : {IsolationLevel::read_uncommitted, IsolationLevel::read_committed, IsolationLevel::repeatable_read,
                       IsolationLevel::serializable}) {
        if (offers(engine, level)) continue;
        CHECK_THROWS_AS(create_async_engine(engine.url(), {.isolation_level = level}), ArgumentError);
    }
}

TEST_CASE("isolation: AUTOCOMMIT commits each statement, and explicit transactions still work", "[isolation]") {
    Ledger l;
    auto engine = test::make_engine({.isolation_level = IsolationLevel::autocommit});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, l.metadata);
        auto a = co_await engine.connect();
        auto b = co_await engine.connect();
        co_await a.execute(insert(l.entries).values({l.amount, 1}));
        CHECK_FALSE(a.in_transaction());
        auto seen = co_await test::count_rows(b, l.entries);  // no commit() needed
        CHECK(seen == 1);
        co_await a.close();  // nothing to roll back
        auto n = co_await test::count_rows(b, l.entries);
        CHECK(n == 1);

        // begin() opens a real transaction, which rollback() undoes.
        co_await b.begin();
        co_await b.execute(insert(l.entries).values({l.amount, 2}));
        co_await b.rollback();
        auto m = co_await test::count_rows(b, l.entries);
        CHECK(m == 1);
        co_await b.close();
    });
}
