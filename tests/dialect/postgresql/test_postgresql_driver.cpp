// What the cross-database matrix cannot see of the PostgreSQL driver: its
// statement cache (stale plans after DDL, eviction), types without a binary
// decoder, text that PostgreSQL cannot hold, and libpq pass-through options.
// Needs RETORT_TEST_POSTGRESQL_URL.
#include <catch2/catch.hpp>

#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

AsyncEngine engine_for_postgresql() {
    auto url = test::backend_setting("URL");
    if (!url) test::skip("set RETORT_TEST_POSTGRESQL_URL");
    return create_async_engine(*url);
}

}  // namespace

TEST_CASE("postgresql driver: a cached statement survives DDL that changes its result", "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.execute(text("DROP TABLE IF EXISTS pg_stale"));
        co_await conn.execute(text("CREATE TABLE pg_stale (a integer)"));
        co_await conn.execute(text("INSERT INTO pg_stale VALUES (1)"));
        co_await conn.commit();
        auto before = co_await conn.execute(text("SELECT * FROM pg_stale"));
        CHECK(before.keys() == std::vector<std::string>{"a"});
        co_await conn.commit();
        co_await conn.execute(text("ALTER TABLE pg_stale ADD COLUMN b text DEFAULT 'x'"));
        co_await conn.commit();
        // The cached plan returns one column; the server refuses to run it now
        // ("cached plan must not change result type"): prepared again, run again.
        auto after = co_await conn.execute(text("SELECT * FROM pg_stale"));
        CHECK(after.keys() == std::vector<std::string>{"a", "b"});
        CHECK(after.row(0).get<std::string>("b") == "x");
        co_await conn.commit();

        // Later in a transaction, rerunning could lose work: the error stands,
        // and the statement is prepared afresh the next time.
        co_await conn.execute(text("ALTER TABLE pg_stale DROP COLUMN b"));
        co_await conn.commit();
        co_await conn.execute(text("INSERT INTO pg_stale VALUES (2)"));
        auto e = co_await test::capture<NotSupportedError>(conn.execute(text("SELECT * FROM pg_stale")));
        CHECK(e.has_value());
        co_await conn.rollback();
        auto again = co_await conn.execute(text("SELECT * FROM pg_stale"));
        CHECK(again.keys() == std::vector<std::string>{"a"});
        CHECK(again.size() == 1);  // the insert was rolled back with the failed transaction
        co_await conn.commit();
        co_await conn.execute(text("DROP TABLE pg_stale"));
        co_await conn.commit();
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: more distinct statements than the cache holds", "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        // 300 shapes evict the oldest prepared statements (DEALLOCATE rides in
        // front of the next Prepare); the first shape is prepared again later.
        std::int64_t sum = 0;
        for (int round = 0; round < 2; ++round)
            for (int i = 0; i < 300; ++i)
                sum += co_await conn.scalar<std::int64_t>(text("SELECT " + std::to_string(i) + "::int8"));
        CHECK(sum == 2 * (299 * 300 / 2));
        // An evicted statement inside a failed transaction: the DEALLOCATE must
        // wait, or it would abort the ROLLBACK behind it.
        auto e = co_await test::capture<ProgrammingError>(conn.execute(text("SELECT no_such_column")));
        CHECK(e.has_value());
        co_await conn.rollback();
        auto v = co_await conn.scalar<std::int64_t>(text("SELECT 7::int8"));
        CHECK(v == 7);
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: types without a binary decoder come back as text", "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto r = co_await conn.execute(text("SELECT interval '1 day 02:00', 42::int4, '{1,2}'::int[]"));
        auto row = r.one();
        CHECK(row.get<std::string>(0) == "1 day 02:00:00");
        CHECK(row.get<int>(1) == 42);  // the same query's known types still decode
        CHECK(row.get<std::string>(2) == "{1,2}");
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: text holding NUL is a DataError, never cut short", "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        std::string with_nul("before\0after", 12);
        auto e = co_await test::capture<DataError>(conn.execute(select(literal<std::string>(with_nul).label("s"))));
        REQUIRE(e.has_value());
        CHECK_THAT(e->what(), Catch::Contains("NUL"));
        auto v = co_await conn.scalar<std::int64_t>(text("SELECT 1::int8"));  // the connection is fine
        CHECK(v == 1);
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: libpq options pass through the URL", "[postgresql]") {
    auto base = test::backend_setting("URL");
    if (!base) test::skip("set RETORT_TEST_POSTGRESQL_URL");
    auto url = Url::parse(*base).with_query_option("application_name", "retort-test-app")
                   .with_query_option("options", "-c search_path=pg_catalog");
    auto engine = create_async_engine(url);
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto name = co_await conn.scalar<std::string>(text("SELECT current_setting('application_name')"));
        CHECK(name == "retort-test-app");
        auto path = co_await conn.scalar<std::string>(text("SELECT current_setting('search_path')"));
        CHECK(path == "pg_catalog");
        auto zone = co_await conn.scalar<std::string>(text("SELECT current_setting('TimeZone')"));
        CHECK(zone == "UTC");  // the driver's own options are kept beside the user's
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: a stream in a transaction is a server-side cursor, closed early for one round trip",
          "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto open_cursors = [&]() -> awaitable<std::int64_t> {
            // Not every portal: the query asking is one of them.
            co_return co_await conn.scalar<std::int64_t>(text("SELECT count(*) FROM pg_cursors WHERE name LIKE 'retort_cursor_%'"));
        };
        auto none = co_await open_cursors();  // also begins the transaction
        CHECK(none == 0);
        // A million rows, with a parameter bound by the DECLARE.
        auto big = select(func::call<std::int64_t>("generate_series", literal<std::int64_t>(1), literal<std::int64_t>(1000000)).label("i"));
        auto result = co_await conn.stream(big);
        auto first = co_await result.fetchmany(10);
        REQUIRE(first.size() == 10);
        CHECK(first[9].get<std::int64_t>(0) == 10);
        // Another session sees the last statement it ran.
        auto watcher = co_await engine.connect();
        auto last_statement = [&]() -> awaitable<std::string> {
            auto query = co_await watcher.scalar<std::string>(
                text("SELECT query FROM pg_stat_activity WHERE pid = " + std::to_string(*conn.session_id())));
            co_await watcher.rollback();  // the view is a snapshot for the rest of a transaction
            co_return query;
        };
        auto during = co_await last_statement();
        CHECK_THAT(during, Catch::StartsWith("FETCH FORWARD"));
        // Between FETCHes the connection is free: it runs statements beside the cursor.
        CHECK(result.allows_other_statements());
        auto open_now = co_await open_cursors();
        CHECK(open_now == 1);
        // The next FETCH (the first batch was 1000 rows) still reads the cursor.
        auto next = co_await result.fetchmany(1000);
        REQUIRE(next.size() == 1000);
        CHECK(next.back().get<std::int64_t>(0) == 1010);
        auto fetched = co_await last_statement();
        CHECK_THAT(fetched, Catch::StartsWith("FETCH FORWARD"));
        co_await result.close();  // CLOSE: the other 998,990 rows never leave the server
        auto closing = co_await last_statement();
        CHECK_THAT(closing, Catch::StartsWith("CLOSE retort_cursor_"));
        co_await watcher.close();
        auto after = co_await open_cursors();
        CHECK(after == 0);
        co_await conn.commit();
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: a statement failing beside a cursor aborts the transaction, and rollback recovers",
          "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.begin();
        auto q = select(func::call<std::int64_t>("generate_series", literal<std::int64_t>(1), literal<std::int64_t>(100000)).label("i"));
        auto result = co_await conn.stream(q);
        auto first = co_await result.fetchmany(10);
        REQUIRE(first.size() == 10);
        auto failed = co_await test::capture<ProgrammingError>(conn.execute(text("SELECT * FROM no_such_table")));
        CHECK(failed.has_value());
        // The cursor went with the aborted transaction: past the buffered batch, a typed error.
        auto rest = co_await test::capture<DBAPIError>(result.all());
        CHECK(rest.has_value());
        co_await conn.rollback();
        auto v = co_await conn.scalar<std::int64_t>(text("SELECT 5::int8"));
        CHECK(v == 5);
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: outside a transaction a stream reads rows one by one as they come", "[postgresql]") {
    auto url = test::backend_setting("URL");
    if (!url) test::skip("set RETORT_TEST_POSTGRESQL_URL");
    auto engine = create_async_engine(*url, {.stream_batch_rows = 7, .isolation_level = IsolationLevel::autocommit});
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto q = select(func::call<std::int64_t>("generate_series", literal<std::int64_t>(1), literal<std::int64_t>(50)).label("i"));
        auto result = co_await conn.stream(q);
        std::int64_t sum = 0, rows = 0;
        while (auto row = co_await result.fetchone()) {
            sum += row->get<std::int64_t>(0);
            ++rows;
        }
        CHECK(rows == 50);
        CHECK(sum == 50 * 51 / 2);
        auto partial = co_await conn.stream(q);
        auto one = co_await partial.fetchone();
        CHECK(one.has_value());
        // The rows hold the connection until read: nothing runs beside them.
        CHECK(!partial.allows_other_statements());
        auto refused = co_await test::capture<InvalidRequestError>(conn.execute(text("SELECT 1")));
        CHECK(refused.has_value());
        co_await partial.close();  // reads the rest: no cursor can live outside a transaction
        auto v = co_await conn.scalar<std::int64_t>(text("SELECT 5::int8"));
        CHECK(v == 5);
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: DML ... RETURNING streams inside a transaction, which stays usable", "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.execute(text("CREATE TEMPORARY TABLE pg_returning (id serial PRIMARY KEY, v int)"));
        auto result = co_await conn.stream(text("INSERT INTO pg_returning (v) SELECT generate_series(1, 25) RETURNING id"));
        auto rows = co_await result.all();
        CHECK(rows.size() == 25);
        auto n = co_await conn.scalar<std::int64_t>(text("SELECT count(*) FROM pg_returning"));
        CHECK(n == 25);  // the transaction was not aborted
        co_await conn.rollback();
        co_await conn.close();
    });
}

TEST_CASE("postgresql driver: a parameter whose type the server inferred is prepared again for a typed value",
          "[postgresql]") {
    auto engine = engine_for_postgresql();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto plus_one = select((bindparam<std::optional<std::int64_t>>("x") + 1).label("y"));
        // First a NULL: the server infers the parameter's type (integer) itself.
        auto none = co_await conn.scalar<std::optional<std::int64_t>>(plus_one, {{"x", std::optional<std::int64_t>{}}});
        CHECK_FALSE(none.has_value());
        // Then a value beyond integer: it needs the statement typed bigint.
        auto big = co_await conn.scalar<std::int64_t>(plus_one, {{"x", std::int64_t{3000000000}}});
        CHECK(big == 3000000001);
        co_await conn.close();
    });
}
