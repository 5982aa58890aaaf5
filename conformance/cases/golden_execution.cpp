// The golden corpus on a real database: every statement the dialect compiles
// must run, and the queries must return the rows the seeded data implies.
#include <catch2/catch.hpp>

#include "support/golden_schema.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace {

awaitable<void> create_and_seed(AsyncEngine& engine, const test::GoldenSchema& s) {
    co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([&](Connection& sync) {
            s.metadata.drop_all(sync);
            s.metadata.create_all(sync);
        });
        for (const auto& stmt : test::golden_seed(s)) co_await conn.execute(stmt);
    });
}

bool compiles(const plugin::Dialect& d, const sql::Statement& stmt) {
    try {
        d.compiler().compile(*stmt.statement_node());
        return true;
    } catch (const CompileError&) {
        return false;
    }
}

}  // namespace

TEST_CASE("golden statements run with the expected results", "[golden]") {
    test::GoldenSchema s;
    auto cases = test::golden_statements(s);
    auto engine = test::make_engine();
    std::size_t executed = 0, refused = 0;
    test::run([&]() -> awaitable<void> {
        co_await create_and_seed(engine, s);
        auto conn = co_await engine.connect();
        for (const auto& c : cases) {
            INFO("case " << c.name);
            if (!compiles(engine.dialect(), c.statement)) {
                // The dialect refuses it: executing must say so, not send anything.
                auto e21 = co_await test::capture<CompileError>(conn.execute(c.statement, c.params));
                CHECK(e21.has_value());
                ++refused;
                continue;
            }
            // Each statement sees the seeded data, never an earlier statement's changes.
            auto sp = co_await conn.begin_nested();
            auto result = co_await conn.execute(c.statement, c.params);
            if (c.expected_rows >= 0) CHECK(result.size() == static_cast<std::size_t>(c.expected_rows));
            co_await conn.rollback_nested(sp);
            ++executed;
        }
        co_await conn.rollback();
        co_await conn.close();
    });
    CHECK(executed + refused == cases.size());
    CHECK(executed >= 60);
}

TEST_CASE("golden DDL runs: every table created, then dropped", "[golden]") {
    test::GoldenSchema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
            co_await conn.run_sync([&](Connection& sync) { s.metadata.drop_all(sync); });
        });
        auto conn = co_await engine.connect();
        for (const auto& c : test::golden_ddl(s)) {
            INFO("case " << c.name);
            co_await conn.execute(c.statement);
        }
        co_await conn.commit();
        // Everything created was dropped again.
        auto left = co_await conn.run_sync([&](Connection& sync) {
            int n = 0;
            for (const auto& t : s.metadata.tables())
                n += sync.execute(sync.dialect().has_table_query(*t)).first().has_value();
            return n;
        });
        CHECK(left == 0);
        co_await conn.close();
    });
}

TEST_CASE("golden results: values come back typed", "[golden]") {
    test::GoldenSchema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await create_and_seed(engine, s);
        auto conn = co_await engine.connect();
        auto r = co_await conn.execute(sql::select(s.amount, s.placed_on, s.status).where(s.order_id == 1));
        auto row = r.one();
        CHECK(row.get<Decimal>(0).str() == "10.00");
        CHECK(row.get<std::optional<Date>>(1) == Date{std::chrono::year{2024}, std::chrono::month{2}, std::chrono::day{29}});
        CHECK(row.get<std::string>("status") == "new");  // the server default
        auto tree = co_await conn.scalars<std::string>(sql::select(s.node_name).where(s.node_parent_id == 1).order_by(s.node_name));
        CHECK(tree == std::vector<std::string>{"child a", "child b"});
        auto created = co_await conn.scalar<DateTime>(sql::select(s.created).where(s.user_id == 1));
        CHECK(created.time_since_epoch().count() > 0);  // filled in by the server default
        auto kind = co_await conn.execute(sql::insert(s.events).returning(s.kind));
        if (engine.dialect().capabilities().insert_returning) CHECK(kind.scalar<std::string>() == "generic");
        co_await conn.close();
    });
}
