// execute_many (SQLAlchemy's executemany) on every backend: a statement run
// once per parameter set, in as few round trips as the backend allows.
#include <catch2/catch.hpp>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

struct Inventory {
    MetaData metadata;
    Table parts{metadata, "batch_parts"};
    Column<std::int64_t> id = parts.column<std::int64_t>("id", primary_key());
    Column<std::string> sku = parts.column<std::string>("sku", types::String(40), unique());
    Column<std::optional<int>> qty = parts.column<std::optional<int>>("qty");
};

awaitable<AsyncConnection> fresh(AsyncEngine& engine, const MetaData& md) {
    co_await test::recreate_tables(engine, md);
    co_return co_await engine.connect();
}

std::vector<Params> part_rows(int from, int to) {
    std::vector<Params> rows;
    for (int i = from; i < to; ++i) {
        Params p;
        p.set("sku", std::string("sku-" + std::to_string(i)));
        // Every tenth quantity is NULL: a set whose value says nothing of its type.
        p.set("qty", i % 10 == 0 ? Value{null} : Value{std::int64_t{i}});
        rows.push_back(std::move(p));
    }
    return rows;
}

}  // namespace

TEST_CASE("batch: execute_many inserts every parameter set and counts the rows", "[batch]") {
    Inventory inv;
    std::size_t events = 0;
    auto engine = test::make_engine({.on_statement = [&](const StatementEvent&) { ++events; }});
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, inv.metadata);
        events = 0;
        auto ins = insert(inv.parts).values({inv.sku, bindparam<std::string>("sku")}, {inv.qty, bindparam<std::optional<int>>("qty")});
        auto rows = part_rows(0, 1000);
        auto r = co_await conn.execute_many(ins, rows);
        CHECK(r.rowcount() == 1000);
        // The statement hook sees each statement sent: one per set, or the
        // multi-row INSERTs that carry them (insertmanyvalues).
        const auto& caps = engine.capabilities();
        CHECK(events == (caps.insert_many_values ? (1000 + caps.max_rows_per_insert - 1) / caps.max_rows_per_insert : 1000));
        co_await conn.commit();
        auto n = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(inv.parts));
        CHECK(n == 1000);
        auto nulls = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(inv.parts).where(inv.qty.is_null()));
        CHECK(nulls == 100);
        auto q = co_await conn.scalar<std::optional<int>>(select(inv.qty).where(inv.sku == "sku-999"));
        CHECK(q == 999);

        // UPDATE and DELETE batches count the rows they change.
        auto upd = update(inv.parts).values({inv.qty, bindparam<std::optional<int>>("qty")}).where(inv.sku == bindparam<std::string>("sku"));
        // Built before the co_await: GCC 12 rejects an initializer list inside one.
        std::vector<Params> updates{Params{{"qty", 1}, {"sku", "sku-1"}}, Params{{"qty", 2}, {"sku", "sku-2"}},
                                    Params{{"qty", 3}, {"sku", "no-such-sku"}}};
        auto changed = co_await conn.execute_many(upd, updates);
        CHECK(changed.rowcount() == 2);
        auto del = delete_(inv.parts).where(inv.sku == bindparam<std::string>("sku"));
        std::vector<Params> deletes{Params{{"sku", "sku-1"}}, Params{{"sku", "sku-2"}}}, nothing;
        auto gone = co_await conn.execute_many(del, deletes);
        CHECK(gone.rowcount() == 2);
        auto none = co_await conn.execute_many(del, nothing);
        CHECK(none.rowcount() == 0);
        co_await conn.commit();
        co_await conn.close();
    });
}

TEST_CASE("batch: an INSERT batch larger than one statement holds keeps every row, its order and its own default", "[batch]") {
    MetaData md;
    Table tickets(md, "batch_tickets");
    auto id = tickets.column<std::int64_t>("id", primary_key());
    auto seat = tickets.column<std::int64_t>("seat", unique());
    auto note = tickets.column<std::optional<std::string>>("note", types::String(40));
    auto serial = std::make_shared<std::int64_t>(0);
    auto stamp = tickets.column<std::int64_t>("stamp", default_factory([serial] { return Value{++*serial}; }));
    std::vector<std::string> sent;
    auto engine = test::make_engine({.on_statement = [&](const StatementEvent& e) { sent.emplace_back(e.sql); }});
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, md);
        auto conn = co_await engine.connect();
        sent.clear();
        // More rows than one multi-row INSERT takes: the batch is split, never cut.
        const auto& caps = engine.capabilities();
        const std::int64_t n = static_cast<std::int64_t>(std::max<std::size_t>(caps.max_rows_per_insert, 500) * 2 + 7);
        auto ins = insert(tickets).values({seat, bindparam<std::int64_t>("seat")}, {note, bindparam<std::optional<std::string>>("note")});
        std::vector<Params> rows;
        for (std::int64_t i = 0; i < n; ++i) {
            Params p;
            p.set("seat", i);
            p.set("note", i % 3 == 0 ? Value{null} : Value{"n'; DROP TABLE batch_tickets; --" + std::to_string(i)});
            rows.push_back(std::move(p));
        }
        auto r = co_await conn.execute_many(ins, rows);
        CHECK(r.rowcount() == n);
        if (caps.insert_many_values) CHECK(sent.size() < static_cast<std::size_t>(n));  // multi-row statements
        co_await conn.commit();
        CHECK(co_await conn.scalar<std::int64_t>(select(func::count()).select_from(tickets)) == n);
        CHECK(co_await conn.scalar<std::int64_t>(select(func::count()).select_from(tickets).where(note.is_null())) == (n + 2) / 3);
        CHECK(co_await conn.scalar<std::optional<std::string>>(select(note).where(seat == n - 1)) ==
              std::optional<std::string>("n'; DROP TABLE batch_tickets; --" + std::to_string(n - 1)));
        // The client-side default ran once per row: distinct stamps, as many as rows.
        CHECK(*serial == n);
        CHECK(co_await conn.scalar<std::int64_t>(select(func::count(stamp.distinct())).select_from(tickets)) == n);
        // Rows keep the order of their sets: seats rise with ids.
        auto seats = co_await conn.scalars<std::int64_t>(select(seat).order_by(id));
        CHECK(std::is_sorted(seats.begin(), seats.end()));
        co_await conn.close();
    });
}

TEST_CASE("batch: rows sharing one value's expression do not lend it to rows of the same shape later", "[batch]") {
    Inventory inv;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, inv.metadata);
        // One bound value used in both rows, then the same shape with a value
        // per row: the compiled statement cached for the first must not make
        // the second row of the second take the first row's value.
        auto seven = literal<std::optional<int>>(7);
        auto shared = insert(inv.parts).rows({{{inv.sku, "s1"}, {inv.qty, seven}}, {{inv.sku, "s2"}, {inv.qty, seven}}});
        co_await conn.execute(shared);
        auto own = insert(inv.parts).rows({{{inv.sku, "o1"}, {inv.qty, 8}}, {{inv.sku, "o2"}, {inv.qty, 9}}});
        co_await conn.execute(own);
        // And execute_many, whose one-row INSERT may go as multi-row ones.
        auto ins = insert(inv.parts).values({inv.sku, bindparam<std::string>("sku")}, {inv.qty, seven});
        co_await conn.execute_many(ins, part_rows(100, 103));
        auto per_set = insert(inv.parts).values({inv.sku, bindparam<std::string>("sku")}, {inv.qty, bindparam<std::optional<int>>("qty")});
        co_await conn.execute_many(per_set, part_rows(201, 204));
        // A bindparam inside an expression: each set's value, as the statement is.
        auto doubled = insert(inv.parts).values({inv.sku, bindparam<std::string>("sku")},
                                                {inv.qty, bindparam<std::optional<int>>("qty") * 2});
        co_await conn.execute_many(doubled, part_rows(301, 304));
        co_await conn.commit();
        auto qty_of = [&](std::string sku) -> awaitable<std::optional<int>> {
            co_return co_await conn.scalar<std::optional<int>>(select(inv.qty).where(inv.sku == sku));
        };
        CHECK(co_await qty_of("s2") == 7);
        CHECK(co_await qty_of("o1") == 8);
        CHECK(co_await qty_of("o2") == 9);
        CHECK(co_await qty_of("sku-102") == 7);
        CHECK(co_await qty_of("sku-202") == 202);
        CHECK(co_await qty_of("sku-203") == 203);
        CHECK(co_await qty_of("sku-301") == 602);
        CHECK(co_await qty_of("sku-303") == 606);
        co_await conn.close();
    });
}

TEST_CASE("batch: a failing set stops the batch and a rollback undoes all of it", "[batch]") {
    Inventory inv;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, inv.metadata);
        auto ins = insert(inv.parts).values({inv.sku, bindparam<std::string>("sku")}, {inv.qty, bindparam<std::optional<int>>("qty")});
        auto rows = part_rows(0, 300);
        rows[150].set("sku", std::string("sku-3"));  // a duplicate of an earlier set
        auto e = co_await test::capture<IntegrityError>(conn.execute_many(ins, rows));
        REQUIRE(e.has_value());
        co_await conn.rollback();
        auto n = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(inv.parts));
        CHECK(n == 0);
        // The connection is usable, and a good batch goes through.
        auto ok = co_await conn.execute_many(ins, part_rows(0, 10));
        CHECK(ok.rowcount() == 10);
        co_await conn.commit();
        co_await conn.close();
    });
}

TEST_CASE("batch: a statement that returns rows is refused", "[batch]") {
    Inventory inv;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, inv.metadata);
        std::vector<Params> one(1);
        auto e = co_await test::capture<ArgumentError>(conn.execute_many(select(inv.sku), one));
        CHECK(e.has_value());
        CHECK_FALSE(conn.in_transaction());  // refused before anything was sent
        co_await conn.close();
    });
}

TEST_CASE("batch: execute_all runs statements in order and returns each one's result", "[batch]") {
    Inventory inv;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, inv.metadata);
        // One text, its parameter NULL in one statement and set in the next;
        // then one text whose parameter is a number here and a string there.
        std::vector<sql::Statement> statements{
            insert(inv.parts).values({inv.sku, "a"}, {inv.qty, std::optional<int>{}}),
            insert(inv.parts).values({inv.sku, "b"}, {inv.qty, std::optional<int>{7}}),
            select(literal<std::int64_t>(41) + 1),
            select(literal<std::string>("forty-two")),
            select(func::count()).select_from(inv.parts),
        };
        auto results = co_await conn.execute_all(statements);
        REQUIRE(results.size() == 5);
        CHECK(results[0].rowcount() == 1);
        CHECK(results[1].rowcount() == 1);
        CHECK(results[2].scalar<std::int64_t>() == 42);
        CHECK(results[3].scalar<std::string>() == "forty-two");
        CHECK(results[4].scalar<std::int64_t>() == 2);  // in order: after both INSERTs
        auto q = co_await conn.scalar<std::optional<int>>(select(inv.qty).where(inv.sku == "b"));
        CHECK(q == 7);
        // A failure ends the run; what ran before it goes with the rollback.
        std::vector<sql::Statement> clash{insert(inv.parts).values({inv.sku, "c"}), insert(inv.parts).values({inv.sku, "a"})};
        auto error = co_await test::capture<IntegrityError>(conn.execute_all(clash));
        CHECK(error);
        co_await conn.rollback();
        auto n = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(inv.parts));
        CHECK(n == 0);
        co_await conn.close();
    });
}
