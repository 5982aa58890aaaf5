// Connections, transactions, streaming, run_sync and the statement cache, on
// every backend.
#include <catch2/catch.hpp>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

struct Notes {
    MetaData metadata;
    Table notes{metadata, "notes"};
    Column<std::int64_t> id = notes.column<std::int64_t>("id", primary_key());
    Column<std::string> body = notes.column<std::string>("body", types::String(200));
    Column<std::optional<int>> rank = notes.column<std::optional<int>>("rank");
};

}  // namespace

TEST_CASE("commit makes changes visible to other connections, rollback discards them", "[connection][smoke]") {
    Notes n;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto writer = co_await engine.connect();
        auto reader = co_await engine.connect();
        co_await writer.execute(insert(n.notes).values({n.body, "first"}));
        CHECK(writer.in_transaction());
        auto v1 = co_await test::count_rows(reader, n.notes);
        CHECK(v1 == 0);
        co_await reader.rollback();  // end the reader's snapshot
        co_await writer.commit();
        CHECK_FALSE(writer.in_transaction());
        auto v2 = co_await test::count_rows(reader, n.notes);
        CHECK(v2 == 1);
        co_await reader.rollback();

        co_await writer.execute(insert(n.notes).values({n.body, "second"}));
        co_await writer.rollback();
        auto v3 = co_await test::count_rows(writer, n.notes);
        CHECK(v3 == 1);
        co_await writer.close();
        co_await reader.close();
    });
}

TEST_CASE("engine.begin commits on return and rolls back on an exception", "[connection]") {
    Notes n;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
            co_await conn.execute(insert(n.notes).values({n.body, "kept"}));
        });
        bool threw = false;
        try {
            co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
                co_await conn.execute(insert(n.notes).values({n.body, "lost"}));
                throw std::runtime_error("application failure");
            });
        } catch (const std::runtime_error& e) {
            threw = std::string(e.what()) == "application failure";
        }
        CHECK(threw);
        auto conn = co_await engine.connect();
        auto v4 = co_await conn.scalars<std::string>(select(n.body));
        CHECK(v4 == std::vector<std::string>{"kept"});
        co_await conn.close();
    });
}

TEST_CASE("savepoints: a nested rollback keeps the outer transaction's work", "[connection][smoke]") {
    Notes n;
    auto engine = test::make_engine();
    RETORT_REQUIRE_CAPABILITY(engine.dialect(), savepoints);
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto conn = co_await engine.connect();
        co_await conn.transaction([&](AsyncConnection& c) -> awaitable<void> {
            co_await c.execute(insert(n.notes).values({n.body, "outer"}));
            try {
                co_await c.transaction([&](AsyncConnection& inner) -> awaitable<void> {
                    co_await inner.execute(insert(n.notes).values({n.body, "inner"}));
                    throw std::runtime_error("undo the inner part");
                });
            } catch (const std::runtime_error&) {
            }
            auto sp = co_await c.begin_nested();
            co_await c.execute(insert(n.notes).values({n.body, "released"}));
            co_await c.commit_nested(sp);
        });
        auto bodies = co_await conn.scalars<std::string>(select(n.body).order_by(n.body));
        CHECK(bodies == std::vector<std::string>{"outer", "released"});
        co_await conn.close();
    });
}

TEST_CASE("stream() fetches in batches and holds the connection until read", "[connection][smoke]") {
    Notes n;
    auto engine = test::make_engine({.stream_batch_rows = 100});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto conn = co_await engine.connect();
        for (int batch = 0; batch < 5; ++batch) {
            std::vector<std::vector<Assignment>> rows;
            for (int i = 0; i < 100; ++i) rows.push_back({{n.body, "row " + std::to_string(batch * 100 + i)}, {n.rank, batch * 100 + i}});
            co_await conn.execute(insert(n.notes).rows(rows));
        }
        co_await conn.commit();

        auto result = co_await conn.stream(select(n.rank, n.body).order_by(n.rank));
        CHECK(result.keys() == std::vector<std::string>{"rank", "body"});
        auto first = co_await result.fetchmany(150);
        REQUIRE(first.size() == 150);
        CHECK(first[149].get<int>(0) == 149);
        // A commit, a rollback or a second stream waits for the stream's end on
        // every backend; a plain statement runs beside it where the backend
        // fetches by separate requests, and is refused where it cannot.
        auto e4 = co_await test::capture<InvalidRequestError>(conn.commit());
        CHECK(e4.has_value());
        auto e4b = co_await test::capture<InvalidRequestError>(conn.stream(select(n.body)));
        CHECK(e4b.has_value());
        auto e5 = co_await test::capture<InvalidRequestError>(conn.execute(select(func::count()).select_from(n.notes)));
        CHECK(e5.has_value() == !result.allows_other_statements());
        if (result.allows_other_statements()) {
            co_await conn.execute(update(n.notes).values({n.body, "changed beside the stream"}).where(n.rank == 499));
            auto beside = co_await conn.scalar<std::string>(select(n.body).where(n.rank == 499));
            CHECK(beside == "changed beside the stream");
        }
        int expected = 150, seen = 0;
        while (auto row = co_await result.fetchone()) {
            CHECK(row->get<int>("rank") == expected++);
            ++seen;
        }
        CHECK(seen == 350);
        // Read to the end: the connection is free again.
        auto v6 = co_await test::count_rows(conn, n.notes);
        CHECK(v6 == 500);

        auto partial = co_await conn.stream(select(n.body));
        auto v7 = co_await partial.fetchone();
        CHECK(v7.has_value());
        co_await partial.close();
        auto v8 = co_await test::count_rows(conn, n.notes);
        CHECK(v8 == 500);

        // A rollback is never refused: it ends a result still being read.
        co_await conn.execute(delete_(n.notes).where(n.rank >= 250));
        auto cut = co_await conn.stream(select(n.rank).order_by(n.rank));
        auto some = co_await cut.fetchmany(120);  // past the first batch: the cursor is mid-way
        CHECK(some.size() == 120);
        CHECK(conn.streaming());
        co_await conn.rollback();
        CHECK(!conn.streaming());
        auto ended = co_await test::capture<InvalidRequestError>(cut.fetchmany(500));
        CHECK(ended.has_value());
        auto v9 = co_await test::count_rows(conn, n.notes);
        CHECK(v9 == 500);  // the DELETE was rolled back
        co_await conn.close();
    });
}

TEST_CASE("run_sync runs blocking code against the connection and returns its value", "[connection]") {
    Notes n;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto conn = co_await engine.connect();
        // create_all again: checkfirst leaves existing tables alone.
        co_await conn.run_sync([&](Connection& c) { n.metadata.create_all(c); });
        auto inserted = co_await conn.run_sync([&](Connection& c) {
            for (int i = 0; i < 3; ++i) c.execute(insert(n.notes).values({n.body, "sync"}));
            return c.scalar<std::int64_t>(select(func::count()).select_from(n.notes));
        });
        CHECK(inserted == 3);
        bool threw = false;
        try {
            co_await conn.run_sync([&](Connection& c) { c.execute(text("SELECT * FROM no_such_table")); });
        } catch (const ProgrammingError&) {
            threw = true;
        }
        CHECK(threw);
        co_await conn.close();
    });
}

TEST_CASE("a statement shape is compiled once, however often it runs", "[connection]") {
    Notes n;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto conn = co_await engine.connect();
        co_await conn.execute(insert(n.notes).values({n.body, "x"}, {n.rank, 1}));
        auto before = engine.compiled_cache_stats();
        constexpr int runs = 100000;
        std::int64_t total = 0;
        for (int i = 0; i < runs; ++i)
            total += (co_await conn.execute(select(n.id).where(n.rank == i % 2 + 1))).size();
        auto after = engine.compiled_cache_stats();
        CHECK(total == runs / 2);
        CHECK(after.misses - before.misses == 1);
        CHECK(after.hits - before.hits == runs - 1);
        co_await conn.close();
    });
}

TEST_CASE("the statement hook sees every statement with its parameters", "[connection]") {
    Notes n;
    std::vector<std::string> statements;
    std::vector<std::size_t> param_counts;
    auto engine = test::make_engine({.on_statement = [&](const StatementEvent& e) {
        statements.emplace_back(e.sql);
        param_counts.push_back(e.parameters.size());
    }});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        statements.clear();
        param_counts.clear();
        auto conn = co_await engine.connect();
        co_await conn.execute(insert(n.notes).values({n.body, "a"}, {n.rank, 1}));
        co_await conn.execute(select(n.body).where(n.rank.in_(1, 2, 3)));
        co_await conn.close();
    });
    REQUIRE(statements.size() == 2);
    CHECK(statements[0].rfind("INSERT INTO notes", 0) == 0);
    CHECK(param_counts == std::vector<std::size_t>{2, 3});
}

TEST_CASE("parameters: bindparam values, a missing one, and a closed connection", "[connection]") {
    Notes n;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        auto conn = co_await engine.connect();
        auto ins = insert(n.notes).values({n.body, bindparam<std::string>("body")}, {n.rank, bindparam<int>("rank")});
        co_await conn.execute(ins, {{"body", "one"}, {"rank", 1}});
        co_await conn.execute(ins, {{"body", "two"}, {"rank", 2}});
        auto v9 = co_await conn.scalars<std::string>(select(n.body).order_by(n.rank));
        CHECK(v9 == std::vector<std::string>{"one", "two"});
        auto e10 = co_await test::capture<Error>(conn.execute(ins, {{"body", "three"}}));
        REQUIRE(e10.has_value());
        CHECK_THAT(e10->what(), Catch::Contains("'rank'"));
        auto upd = co_await conn.execute(update(n.notes).values({n.rank, n.rank + 10}));
        CHECK(upd.rowcount() == 2);
        co_await conn.close();
        CHECK(conn.closed());
        auto e11 = co_await test::capture<InvalidRequestError>(conn.execute(select(n.body)));
        CHECK(e11.has_value());
    });
}
