// Each capability flag is a promise: these cases hold a dialect to the flags
// it declares, one way or the other (a flag left false is checked too, where
// the difference shows).
#include <catch2/catch.hpp>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace capabilities_test {

struct Schema {
    MetaData metadata;
    Table docs{metadata, "cap_docs"};
    Column<std::int64_t> id = docs.column<std::int64_t>("id", primary_key(), autoincrement(false));
    Column<std::optional<Json>> doc = docs.column<std::optional<Json>>("doc", types::Json());
    Column<std::optional<Decimal>> amount = docs.column<std::optional<Decimal>>("amount", types::Numeric(38, 9));
    Column<std::string> code = docs.column<std::string>("code", types::String(10), unique());
    Column<std::string> alias = docs.column<std::string>("alias", types::String(10), unique());
    Column<std::int64_t> hits = docs.column<std::int64_t>("hits");
    Table notes{metadata, "cap_notes"};
    Column<std::int64_t> note_id = notes.column<std::int64_t>("id", primary_key(), autoincrement(false));
    Column<std::optional<std::int64_t>> doc_id = notes.column<std::optional<std::int64_t>>("doc_id");
};

awaitable<AsyncConnection> fresh(AsyncEngine& engine, const Schema& s) {
    co_await test::recreate_tables(engine, s.metadata);
    co_return co_await engine.connect();
}

}  // namespace capabilities_test

using namespace capabilities_test;

TEST_CASE("capabilities: native_json: a JSON column refuses text that is not JSON, and only then", "[capabilities]") {
    Schema s;
    auto engine = test::make_engine();
    bool validates = engine.dialect().capabilities().native_json;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        auto good = insert(s.docs).values({s.id, 1}, {s.doc, Json{R"({"a": [1, 2]})"}}, {s.code, "a"}, {s.alias, "a"},
                                          {s.hits, 0});
        co_await conn.execute(good);
        auto bad = insert(s.docs).values({s.id, 2}, {s.doc, Json{"{not json"}}, {s.code, "b"}, {s.alias, "b"}, {s.hits, 0});
        auto refused = co_await test::capture<DBAPIError>(conn.execute(bad));
        CHECK(refused.has_value() == validates);
        co_await conn.rollback();
        co_await conn.close();
    });
}

TEST_CASE("capabilities: native_decimal: a 38-digit NUMERIC keeps every digit", "[capabilities]") {
    Schema s;
    auto engine = test::make_engine();
    RETORT_REQUIRE_CAPABILITY(engine.dialect(), native_decimal);
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        Decimal big("12345678901234567890123456789.123456789");
        co_await conn.execute(insert(s.docs).values({s.id, 1}, {s.amount, big}, {s.code, "a"}, {s.alias, "a"}, {s.hits, 0}));
        auto back = co_await conn.scalar<std::optional<Decimal>>(select(s.amount).where(s.id == 1));
        REQUIRE(back);
        CHECK(back->str() == big.str());
        co_await conn.close();
    });
}

TEST_CASE("capabilities: transactional_ddl: a CREATE TABLE rolled back is gone, and only then", "[capabilities]") {
    Schema s;
    auto engine = test::make_engine();
    bool transactional = engine.dialect().capabilities().transactional_ddl;
    MetaData scratch;
    Table t(scratch, "cap_ddl_scratch");
    [[maybe_unused]] auto id = t.column<std::int64_t>("id", primary_key());
    test::run([&]() -> awaitable<void> {
        co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
            co_await conn.run_sync([&](Connection& c) { scratch.drop_all(c); });
        });
        auto conn = co_await engine.connect();
        co_await conn.begin();
        co_await conn.run_sync([&](Connection& c) { scratch.create_all(c); });
        co_await conn.rollback();
        auto missing = co_await test::capture<DBAPIError>(conn.execute(select(func::count()).select_from(t)));
        co_await conn.rollback();
        CHECK(missing.has_value() == transactional);
        co_await conn.close();
        co_await engine.begin([&](AsyncConnection& c2) -> awaitable<void> {
            co_await c2.run_sync([&](Connection& c) { scratch.drop_all(c); });
        });
    });
}

TEST_CASE("capabilities: full_outer_join: FULL OUTER JOIN keeps both sides' unmatched rows, or is refused unsent",
          "[capabilities]") {
    Schema s;
    auto engine = test::make_engine();
    bool full = engine.dialect().capabilities().full_outer_join;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        co_await conn.execute(insert(s.docs).values({s.id, 1}, {s.code, "a"}, {s.alias, "a"}, {s.hits, 0}));
        co_await conn.execute(insert(s.notes).values({s.note_id, 10}, {s.doc_id, 2}));
        auto q = select(s.id, s.note_id).join_from(s.docs, s.notes, s.id == s.doc_id, {.full = true});
        auto refused = co_await test::capture<CompileError>(conn.execute(q));
        CHECK(refused.has_value() == !full);
        if (full) {
            auto rows = co_await conn.execute(q);
            CHECK(rows.size() == 2);  // the document without a note, and the note without a document
        }
        co_await conn.close();
    });
}

TEST_CASE("capabilities: upsert_conflict_target: a clash on another unique key is an error, or an update (MySQL)",
          "[capabilities]") {
    Schema s;
    auto engine = test::make_engine();
    bool targeted = engine.dialect().capabilities().upsert_conflict_target;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s);
        co_await conn.execute(insert(s.docs).values({s.id, 1}, {s.code, "a"}, {s.alias, "x"}, {s.hits, 1}));
        co_await conn.commit();
        // Targets `code`, but clashes on `alias`.
        auto upsert = insert(s.docs).values({s.id, 2}, {s.code, "b"}, {s.alias, "x"}, {s.hits, 5})
                          .on_conflict(s.code)
                          .do_update({s.hits, excluded(s.hits)});
        auto clash = co_await test::capture<IntegrityError>(conn.execute(upsert));
        if (clash) co_await conn.rollback();
        else co_await conn.commit();
        // With a target, only that key's clash is handled; without one (MySQL's
        // ON DUPLICATE KEY UPDATE), any unique key's is, and the row is updated.
        CHECK(clash.has_value() == targeted);
        auto hits = co_await conn.scalar<std::int64_t>(select(s.hits).where(s.id == 1));
        CHECK(hits == (targeted ? 1 : 5));
        co_await conn.close();
    });
}
