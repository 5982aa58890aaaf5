// Constraint violations and bad SQL raise typed errors carrying the native
// details, lose no data, and leave the connection usable.
#include <catch2/catch.hpp>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

struct Shop {
    MetaData metadata;
    Table customers{metadata, "customers"};
    Column<std::int64_t> cid = customers.column<std::int64_t>("id", primary_key());
    Column<std::string> email = customers.column<std::string>("email", types::String(100), unique());
    Column<std::optional<std::string>> handle =
        customers.column<std::optional<std::string>>("handle", types::String(20), unique("uq_customer_handle"));
    Table orders{metadata, "shop_orders"};
    Column<std::int64_t> oid = orders.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> customer = orders.column<std::int64_t>("customer_id", references(cid));
    Column<int> qty = orders.column<int>("qty");
    Shop() { orders.check(qty > 0, "ck_qty_positive"); }
};

awaitable<AsyncConnection> fresh(AsyncEngine& engine, const Shop& s) {
    co_await test::recreate_tables(engine, s.metadata);
    co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
        // Customer 1: the key is generated (an explicit one would leave PostgreSQL's identity behind).
        co_await conn.execute(insert(s.customers).values({s.email, "a@example.com"}));
    });
    co_return co_await engine.connect();
}

}  // namespace

TEST_CASE("errors: a unique violation is an IntegrityError with the native details", "[errors][smoke]") {
    Shop s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        bool caught = false;
        try {
            co_await conn.execute(insert(s.customers).values({s.email, "a@example.com"}));
        } catch (const IntegrityError& e) {
            caught = true;
            CHECK(e.native_code() != 0);
            CHECK(e.statement().find("INSERT INTO customers") != std::string::npos);
            // The message names the statement, never the values bound to it.
            CHECK(std::string(e.what()).find("a@example.com") == std::string::npos);
        }
        CHECK(caught);
        // The connection is still usable after a rollback, and nothing was lost.
        co_await conn.rollback();
        auto v12 = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(s.customers));
        CHECK(v12 == 1);
        co_await conn.close();
    });
}

TEST_CASE("errors: an IntegrityError says which constraint failed, where the server says it", "[errors]") {
    Shop s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        co_await conn.execute(insert(s.customers).values({s.email, "b@example.com"}, {s.handle, "bee"}));
        auto dup = co_await test::capture<IntegrityError>(
            conn.execute(insert(s.customers).values({s.email, "c@example.com"}, {s.handle, "bee"})));
        REQUIRE(dup);
        co_await conn.rollback();
        auto bad_qty = co_await test::capture<IntegrityError>(conn.execute(
            insert(s.orders).values({s.oid, 1}, {s.customer, 1}, {s.qty, 0})));
        co_await conn.rollback();
        // The unique key by its name, or (SQLite) by its columns.
        if (dup->constraint().empty())
            CHECK(dup->diagnostics().columns == std::vector<std::string>{"customers.handle"});
        else
            CHECK(dup->constraint() == "uq_customer_handle");
        if (engine.dialect().capabilities().check_constraints_enforced) {
            REQUIRE(bad_qty);
            CHECK(bad_qty->constraint() == "ck_qty_positive");
        }
        co_await conn.close();
    });
}

TEST_CASE("errors: NOT NULL, foreign key and CHECK violations are IntegrityErrors", "[errors]") {
    Shop s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        auto e13 = co_await test::capture<IntegrityError>(conn.execute(insert(s.customers).values({s.cid, 5})));
        CHECK(e13.has_value());
        co_await conn.rollback();
        auto e14 = co_await test::capture<IntegrityError>(conn.execute(insert(s.orders).values({s.customer, 999}, {s.qty, 1})));
        CHECK(e14.has_value());
        co_await conn.rollback();
        if (engine.dialect().capabilities().check_constraints_enforced) {
            auto e15 = co_await test::capture<IntegrityError>(conn.execute(insert(s.orders).values({s.customer, 1}, {s.qty, 0})));
            CHECK(e15.has_value());
            co_await conn.rollback();
        }
        co_await conn.execute(insert(s.orders).values({s.customer, 1}, {s.qty, 2}));
        co_await conn.commit();
        auto v16 = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(s.orders));
        CHECK(v16 == 1);
        co_await conn.close();
    });
}

TEST_CASE("errors: bad SQL is a ProgrammingError, and the connection survives", "[errors][smoke]") {
    Shop s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        auto e17 = co_await test::capture<ProgrammingError>(conn.execute(text("SELEC 1")));
        CHECK(e17.has_value());
        co_await conn.rollback();
        auto e18 = co_await test::capture<ProgrammingError>(conn.execute(text("SELECT nope FROM no_such_table")));
        CHECK(e18.has_value());
        co_await conn.rollback();
        auto v19 = co_await conn.scalar<std::int64_t>(text("SELECT 41 + 1"));
        CHECK(v19 == 42);
        co_await conn.close();
    });
}

TEST_CASE("errors: a failed statement inside a transaction scope rolls the whole scope back", "[errors]") {
    Shop s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        co_await conn.close();
        bool caught = false;
        try {
            co_await engine.begin([&](AsyncConnection& c) -> awaitable<void> {
                co_await c.execute(insert(s.customers).values({s.email, "b@example.com"}));
                co_await c.execute(insert(s.customers).values({s.email, "a@example.com"}));  // duplicate
            });
        } catch (const IntegrityError&) {
            caught = true;
        }
        CHECK(caught);
        auto check = co_await engine.connect();
        auto v20 = co_await check.scalars<std::string>(select(s.email));
        CHECK(v20 == std::vector<std::string>{"a@example.com"});
        co_await check.close();
    });
}

TEST_CASE("errors: connecting with bad options is a clear error", "[errors]") {
    auto url = Url::parse(test::backend_url()).with_query_option("no_such_option", "1");
    auto engine = create_async_engine(url);
    CHECK_THROWS_WITH(test::run([&]() -> awaitable<void> { co_await engine.connect(); }), Catch::Contains("no_such_option"));
}
