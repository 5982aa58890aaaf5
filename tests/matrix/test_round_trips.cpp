// Round trips counted on the wire: a proxy between the engine and the server
// counts how often the client speaks again after hearing back. What the speed
// work promises (issue 13) must hold on the network, not only in a profile:
// a transaction's BEGIN travels with its first statement, a transaction that
// ran nothing costs nothing, and a session's close does not wait for the
// ROLLBACK that ends its transaction.
#include <catch2/catch.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>

#include "retort/orm.hpp"
#include "retort/plugin/support/deadline.hpp"
#include "support/stall_proxy.hpp"
#include "support/test_support.hpp"

using namespace retort;
using namespace std::chrono_literals;

namespace round_trips_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Gadget {
    orm::Defaulted<std::int64_t> id;
    std::string name;

    static auto mapping() {
        return orm::table(registry(), "rt_gadget", orm::column(&Gadget::id, orm::primary_key()),
                          orm::column(&Gadget::name, types::String(40)));
    }
};
RETORT_MAPPED(Gadget, id, name)

struct Cog;
struct Wheel {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Cog> cogs;

    static auto mapping() {
        return orm::table(registry(), "rt_wheel", orm::column(&Wheel::id, orm::primary_key()),
                          orm::column(&Wheel::name, types::String(40)), orm::relationship(&Wheel::cogs));
    }
};
RETORT_MAPPED(Wheel, id, name, cogs)

struct Cog {
    orm::Defaulted<std::int64_t> id;
    std::int64_t wheel_id = 0;

    static auto mapping() {
        return orm::table(registry(), "rt_cog", orm::column(&Cog::id, orm::primary_key()),
                          orm::column(&Cog::wheel_id, orm::foreign_key(&Wheel::id)));
    }
};
RETORT_MAPPED(Cog, id, wheel_id)

Url server_url() {
    auto url = Url::parse(test::backend_url());
    if (url.dialect() == "sqlite") test::skip("SQLite has no wire to count round trips on");
    if (!url.port()) test::skip("the server URL names no TCP port");
    // The proxy reads PostgreSQL's protocol to count round trips: no TLS.
    if (url.dialect() == "postgresql") url = url.with_query_option("sslmode", "disable");
    return url;
}

/// Lets what is in flight pass the proxy (a reply still on its way) before counting starts.
awaitable<void> settle(test::StallProxy& proxy) {
    co_await test::sleep_for(100ms);
    proxy.reset_turns();
}

}  // namespace round_trips_test

using namespace round_trips_test;

TEST_CASE("round trips: a primary-key get in a fresh session is one round trip", "[network][orm][round-trips]") {
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    int turns = -1;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        std::int64_t id = 0;
        {
            orm::AsyncSession session(engine);
            auto g = std::make_shared<Gadget>(Gadget{.name = "gear"});
            session.add(g);
            co_await session.commit();
            id = *g->id;
            co_await session.close();
        }
        {
            // The first get prepares its statement; the second finds it ready.
            orm::AsyncSession session(engine);
            CHECK((co_await session.get<Gadget>(id))->name == "gear");
            co_await session.close();
        }
        co_await settle(proxy);
        orm::AsyncSession session(engine);
        auto g = co_await session.get<Gadget>(id);
        turns = proxy.client_turns();
        CHECK(g->name == "gear");
        // In the identity map now: no I/O at all.
        co_await settle(proxy);
        auto again = co_await session.get<Gadget>(id);
        CHECK(again == g);
        CHECK(proxy.client_turns() == 0);
        co_await session.close();
        co_await engine.dispose();
    });
    CHECK(turns == 1);
}

TEST_CASE("round trips: a transaction that ran no statement sends nothing", "[network][round-trips]") {
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        co_await conn.scalar<std::int64_t>(sql::select(sql::literal<std::int64_t>(1)));
        co_await conn.commit();
        co_await settle(proxy);
        co_await conn.begin();
        co_await conn.commit();
        co_await conn.begin();
        co_await conn.rollback();
        CHECK(proxy.client_turns() == 0);
        // A transaction begun, then a statement: one round trip for both.
        co_await conn.begin();
        co_await settle(proxy);
        auto two = co_await conn.scalar<std::int64_t>(sql::select(sql::literal<std::int64_t>(2)));
        CHECK(two == 2);
        CHECK(proxy.client_turns() == 1);
        CHECK(conn.in_transaction());
        co_await conn.rollback();
        co_await conn.close();
        co_await engine.dispose();
    });
}

TEST_CASE("round trips: closing a session does not wait for its ROLLBACK's reply", "[network][orm][round-trips]") {
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    bool closed_in_time = false;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine);
        session.add(std::make_shared<Gadget>(Gadget{.name = "cog"}));
        co_await session.flush();  // a transaction with a write in it, to roll back
        // From here the network delivers nothing: a close that waited for the
        // server's reply would wait for ever.
        proxy.stall();
        closed_in_time = co_await plugin::support::within(std::chrono::steady_clock::now() + 2s, session.close());
    });
    CHECK(closed_in_time);
    // The connection went back to the pool with the reply unread; the engine
    // is disposed of without waiting for it either.
    test::run([&]() -> awaitable<void> { co_await engine.dispose(); });
}

TEST_CASE("round trips: the next user of a connection does not wait for the last one's ROLLBACK", "[network][orm][round-trips]") {
    auto url = server_url();
    if (url.dialect() != "postgresql") test::skip("only PostgreSQL's protocol lets a request go out before the last one is answered");
    test::StallProxy proxy(url);
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    std::shared_ptr<Gadget> found;
    bool sent_behind = false;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        std::int64_t id = 0;
        {
            orm::AsyncSession session(engine);
            auto g = std::make_shared<Gadget>(Gadget{.name = "sprocket"});
            session.add(g);
            co_await session.commit();
            id = *g->id;
            CHECK(co_await session.get<Gadget>(id) == g);  // (prepares the get; its transaction stays open)
            co_await settle(proxy);
            // The server's answer to the ROLLBACK that close() sends is held back.
            proxy.hold_replies(true);
            co_await session.close();
        }
        // The next session's get goes out at once, behind the unanswered
        // ROLLBACK (one round trip for both), instead of waiting for it first.
        auto ex = co_await boost::asio::this_coro::executor;
        auto next = [&]() -> awaitable<void> {
            orm::AsyncSession session(engine);
            found = co_await session.get<Gadget>(id);
            co_await session.close();
        };
        bool done = false;
        std::exception_ptr failed;
        boost::asio::co_spawn(ex, next(), [&](std::exception_ptr e) {
            done = true;
            failed = e;
        });
        for (int waited = 0; waited < 100 && proxy.client_turns() < 2; ++waited) co_await test::sleep_for(20ms);
        sent_behind = proxy.client_turns() == 2 && !done;  // the ROLLBACK, then the get, with no reply yet
        proxy.hold_replies(false);
        // No time limit: `next` and what it writes to live in this frame.
        while (!done) co_await test::sleep_for(20ms);
        if (failed) std::rethrow_exception(failed);
        co_await engine.dispose();
    });
    CHECK(sent_behind);
    REQUIRE(found);
    CHECK(found->name == "sprocket");
}

TEST_CASE("round trips: execute_many sends its whole batch in one round trip", "[network][batch][round-trips]") {
    MetaData md;
    Table parts(md, "rt_parts");
    auto id = parts.column<std::int64_t>("id", sql::primary_key());
    auto name = parts.column<std::optional<std::string>>("name", types::String(40));
    auto qty = parts.column<std::optional<std::int64_t>>("qty");
    test::StallProxy proxy(server_url());
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, md);
        auto conn = co_await engine.connect();
        auto insert = sql::insert(parts).values({name, sql::bindparam<std::string>("name")});
        std::vector<Params> rows;
        for (int i = 0; i < 200; ++i) rows.push_back(Params{{"name", "g" + std::to_string(i)}});
        co_await conn.execute_many(insert, rows);  // (prepares the statement)
        auto update = sql::update(parts)
                          .values({name, sql::bindparam<std::optional<std::string>>("name")},
                                  {qty, sql::bindparam<std::optional<std::int64_t>>("qty")})
                          .where(id == sql::bindparam<std::int64_t>("id"));
        std::vector<Params> first{Params{{"name", "x"}, {"qty", std::int64_t{0}}, {"id", std::int64_t{1}}}};
        co_await conn.execute_many(update, first);  // (prepares it)
        std::vector<Params> changes;
        for (std::int64_t i = 1; i <= 200; ++i) {
            // Every seventh name and every fifth quantity NULL: NULLs among the values of a column.
            Params p;
            p.set("name", i % 7 == 0 ? Value{null} : Value{"n" + std::to_string(i)});
            p.set("qty", i % 5 == 0 ? Value{null} : Value{i * 10});
            p.set("id", i);
            changes.push_back(std::move(p));
        }
        co_await settle(proxy);
        auto r = co_await conn.execute_many(update, changes);
        CHECK(proxy.client_turns() == 1);
        CHECK(r.rowcount() == 200);
        auto count_where = [&](sql::TypedExpr<bool> condition) -> awaitable<std::int64_t> {
            co_return co_await conn.scalar<std::int64_t>(sql::select(sql::func::count()).select_from(parts).where(condition));
        };
        CHECK(co_await count_where(name == "n117") == 1);
        CHECK(co_await count_where(name.is_null()) == 28);
        CHECK(co_await count_where(qty.is_null()) == 40);
        CHECK(co_await count_where(qty == std::int64_t{1170}) == 1);
        // Values of different kinds in one column still run, one by one where the backend must.
        std::vector<Params> mixed{Params{{"name", "m1"}, {"qty", std::int64_t{1}}, {"id", std::int64_t{1}}},
                                  Params{{"name", "m2"}, {"qty", 2.5}, {"id", std::int64_t{2}}}};
        auto m = co_await conn.execute_many(update, mixed);
        CHECK(m.rowcount() == 2);
        co_await conn.rollback();
        co_await conn.close();
        co_await engine.dispose();
    });
}

TEST_CASE("round trips: a flush's INSERT batches go out together where the backend pipelines", "[network][orm][round-trips]") {
    auto url = server_url();
    if (url.dialect() != "postgresql") test::skip("only PostgreSQL's driver pipelines statements");
    test::StallProxy proxy(url);
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    int turns = -1;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        auto add = [&](orm::AsyncSession& s, const std::string& prefix) {
            for (int i = 0; i < 2500; ++i) s.add(std::make_shared<Gadget>(Gadget{.name = prefix + std::to_string(i)}));
        };
        {
            orm::AsyncSession session(engine);
            add(session, "a");  // prepares the statements of 1,000 rows and of 500
            co_await session.commit();
            co_await session.close();
        }
        co_await settle(proxy);
        orm::AsyncSession session(engine);
        add(session, "b");
        co_await session.flush();  // BEGIN and three INSERT ... RETURNING: one pipeline
        turns = proxy.client_turns();
        co_await session.commit();
        co_await session.close();
        co_await engine.dispose();
    });
    CHECK(turns == 1);
}

TEST_CASE("round trips: selectinload's IN batches go out together where the backend pipelines", "[network][orm][round-trips]") {
    auto url = server_url();
    if (url.dialect() != "postgresql") test::skip("only PostgreSQL's driver pipelines statements");
    test::StallProxy proxy(url);
    auto engine = create_async_engine(proxy.url(), {.pool_size = 1, .max_overflow = 0});
    int turns = -1;
    std::size_t cogs = 0;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        {
            orm::AsyncSession session(engine);
            for (int i = 0; i < 1200; ++i) {
                auto w = std::make_shared<Wheel>(Wheel{.name = "w" + std::to_string(i)});
                w->cogs = {std::make_shared<Cog>(), std::make_shared<Cog>()};
                session.add(w);
            }
            co_await session.commit();
            co_await session.close();
        }
        auto stmt = orm::select<Wheel>().options(orm::selectinload(&Wheel::cogs));
        {
            orm::AsyncSession session(engine);
            co_await session.scalars(stmt);  // prepares the statements
            co_await session.close();
        }
        co_await settle(proxy);
        orm::AsyncSession session(engine);
        auto wheels = co_await session.scalars(stmt);  // the wheels, then three IN batches of 500 in one pipeline
        turns = proxy.client_turns();
        for (const auto& w : wheels) cogs += w->cogs.size();
        co_await session.close();
        co_await engine.dispose();
    });
    CHECK(cogs == 2400);
    CHECK(turns == 2);
}
