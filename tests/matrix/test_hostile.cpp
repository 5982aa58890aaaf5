// The hostile corpus (support/hostile.hpp) as values and as names, on every
// backend: each string is stored and found byte for byte, or refused with a
// typed error naming what is wrong before anything is sent. Never altered, cut,
// or taken for SQL.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "retort/orm.hpp"
#include "support/hostile.hpp"
#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;

namespace hostile_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Note {
    orm::Defaulted<std::int64_t> id;
    std::string body;
    static auto mapping() {
        return orm::table(registry(), "hostile_orm_notes", orm::column(&Note::id, orm::primary_key()),
                          orm::column(&Note::body, types::Text()));
    }
};
RETORT_MAPPED(Note, id, body)

struct Notes {
    MetaData metadata;
    Table notes{metadata, "hostile_notes"};
    Column<std::int64_t> id = notes.column<std::int64_t>("id", primary_key());
    Column<std::string> body = notes.column<std::string>("body", types::Text());
};

/// What the backend cannot store byte for byte, by its documented rules (an
/// oracle independent of the dialect's own check).
bool unstorable(std::string_view dialect, const std::string& text) {
    if (dialect == "postgresql") return text.find('\0') != std::string::npos || !test::valid_utf8(text);
    if (dialect == "mysql") return !test::valid_utf8(text);
    return false;
}

/// Runs `op`; returns "" if it completed, "refused" for a DataError naming
/// column `body`, "" too for any other database error when `database_may_refuse`,
/// or a description of anything else.
awaitable<std::string> outcome(awaitable<void> op, bool database_may_refuse = false) {
    try {
        co_await std::move(op);
    } catch (const DataError& e) {
        const auto& cols = e.diagnostics().columns;
        if (cols.size() == 1 && cols[0] == "body") co_return "refused";
        if (database_may_refuse) co_return "";
        co_return std::string("DataError without the column: ") + e.what();
    } catch (const DBAPIError& e) {
        if (database_may_refuse) co_return "";
        co_return std::string("unexpected error: ") + e.what();
    } catch (const std::exception& e) {
        co_return std::string("unexpected error: ") + e.what();
    }
    co_return "";
}

}  // namespace hostile_test

using namespace hostile_test;

TEST_CASE("hostile values: each string is stored and found byte for byte through Core, or refused naming its column",
          "[hostile]") {
    auto engine = test::make_engine();
    const std::string dialect(engine.dialect().name());
    Notes n;
    std::vector<std::string> failures;
    int stored = 0, refused = 0;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, n.metadata);
        std::int64_t key = 0;
        for (const auto& h : test::hostile_strings()) {
            ++key;
            const bool expect_refusal = unstorable(dialect, h.text);
            auto conn = co_await engine.connect();
            // The operations, named before they are awaited (docs/gcc12.md).
            auto insert_it = [&]() -> awaitable<void> { co_await conn.execute(insert(n.notes).values({n.id, key}, {n.body, h.text})); };
            auto where_it = [&]() -> awaitable<void> { co_await conn.execute(select(n.id).where(n.body == h.text)); };
            auto like_it = [&]() -> awaitable<void> { co_await conn.execute(select(n.id).where(n.body.like(h.text))); };
            std::string insert_outcome = co_await outcome(insert_it());
            if (expect_refusal) {
                // Refused on every path, before anything was sent.
                auto where_outcome = co_await outcome(where_it());
                auto like_outcome = co_await outcome(like_it());
                auto rows = co_await test::count_rows(conn, n.notes);
                if (insert_outcome != "refused" || where_outcome != "refused" || like_outcome != "refused" || rows != 0)
                    failures.push_back(h.name + ": expected a refusal; insert: '" + insert_outcome + "', where: '" +
                                       where_outcome + "', like: '" + like_outcome + "', rows " + std::to_string(rows));
                else
                    ++refused;
                co_await conn.rollback();
                co_await conn.close();
                continue;
            }
            if (!insert_outcome.empty()) {
                failures.push_back(h.name + ": insert: " + insert_outcome);
                co_await conn.close();
                continue;
            }
            auto back = co_await conn.scalar<std::string>(select(n.body).where(n.id == key));
            auto found = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(n.notes).where(n.body == h.text));
            auto changed = co_await conn.execute(update(n.notes).values({n.body, h.text + "!"}).where(n.id == key));
            auto again = co_await conn.scalar<std::string>(select(n.body).where(n.id == key));
            co_await conn.execute(delete_(n.notes).where(n.id == key));
            co_await conn.commit();
            // LIKE takes the string as a pattern: what it matches is the
            // database's business (PostgreSQL refuses a pattern ending in its
            // escape character), but it must run or fail with a typed error.
            std::string like_outcome = co_await outcome(like_it(), true);
            co_await conn.rollback();
            co_await conn.close();
            if (back != h.text) failures.push_back(h.name + ": read back altered (" + std::to_string(back.size()) +
                                                   " bytes for " + std::to_string(h.text.size()) + ")");
            else if (found != 1) failures.push_back(h.name + ": WHERE = found " + std::to_string(found) + " rows");
            else if (!like_outcome.empty()) failures.push_back(h.name + ": LIKE: " + like_outcome);
            else if (changed.rowcount() != 1 || again != h.text + "!") failures.push_back(h.name + ": UPDATE altered it");
            else ++stored;
        }
    });
    INFO(stored << " stored, " << refused << " refused, of " << test::hostile_strings().size());
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
    CHECK(test::hostile_strings().size() >= 250);
}

TEST_CASE("hostile values: the ORM's add, flush, get and filter keep each string or refuse it naming its column",
          "[hostile][orm]") {
    auto engine = test::make_engine();
    const std::string dialect(engine.dialect().name());
    std::vector<std::string> failures;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        for (const auto& h : test::hostile_strings()) {
            const bool expect_refusal = unstorable(dialect, h.text);
            orm::AsyncSession s(engine);
            auto note = std::make_shared<Note>();
            note->body = h.text;
            s.add(note);
            auto flushed = co_await outcome(s.flush());
            if (expect_refusal) {
                auto filter_it = [&]() -> awaitable<void> {
                    co_await s.scalars(orm::select<Note>().where(orm::attr(&Note::body) == h.text));
                };
                auto filtered = co_await outcome(filter_it());
                if (flushed != "refused" || filtered != "refused")
                    failures.push_back(h.name + ": expected refusals; flush: '" + flushed + "', filter: '" + filtered + "'");
                co_await s.close();
                continue;
            }
            if (!flushed.empty()) {
                failures.push_back(h.name + ": flush: " + flushed);
                co_await s.close();
                continue;
            }
            auto id = *note->id;
            co_await s.commit();
            s.expunge_all();
            auto got = co_await s.get<Note>(id);
            auto filtered = co_await s.scalars(orm::select<Note>().where(orm::attr(&Note::body) == h.text));
            if (!got || got->body != h.text) failures.push_back(h.name + ": get() read it back altered");
            else if (filtered.size() != 1 || filtered.all()[0]->id != id) failures.push_back(h.name + ": the filter did not find it");
            co_await s.execute(delete_(registry().metadata().table("hostile_orm_notes")));
            co_await s.commit();
            co_await s.close();
        }
    });
    for (const auto& f : failures) UNSCOPED_INFO(f);
    CHECK(failures.empty());
}

namespace hostile_test {

/// Why the backend cannot take `name` as a table or column name, by its
/// documented rules, or "" (an oracle independent of the dialect's checks).
std::string unusable_name(std::string_view dialect, const std::string& name) {
    if (name.empty() || name.find('\0') != std::string::npos) return "declaration";
    if (dialect == "postgresql") {
        if (!test::valid_utf8(name) || name.size() > 63) return "compile";
    } else if (dialect == "mysql") {
        if (!test::valid_utf8(name)) return "compile";
        std::size_t chars = 0;
        bool supplementary = false;
        for (unsigned char ch : name) {
            chars += (ch & 0xc0) != 0x80;
            supplementary |= ch >= 0xf0;
        }
        // 64 characters at most, within the BMP, not ending in white space.
        if (chars > 64 || supplementary || std::string_view(" \t\n\r\v\f").find(name.back()) != std::string_view::npos)
            return "compile";
    }
    return "";
}

}  // namespace hostile_test

TEST_CASE("hostile names: each string names a table and its column, or is refused before it reaches the server",
          "[hostile][identifiers]") {
    auto engine = test::make_engine();
    const std::string dialect(engine.dialect().name());
    std::vector<std::string> failures;
    int used = 0, refused = 0;
    test::run([&]() -> awaitable<void> {
        for (const auto& h : test::hostile_strings()) {
            const std::string expected = unusable_name(dialect, h.text);
            std::optional<MetaData> m(std::in_place);
            std::optional<Table> t;
            std::optional<Column<std::int64_t>> key;
            try {
                t.emplace(*m, h.text);
                key.emplace(t->column<std::int64_t>(h.text, primary_key()));
            } catch (const ArgumentError&) {
                if (expected == "declaration") ++refused;
                else failures.push_back(h.name + ": refused where declared");
                continue;
            }
            if (expected == "declaration") {
                failures.push_back(h.name + ": accepted where declared");
                continue;
            }
            const auto& id = *key;
            auto create = [&]() -> awaitable<void> { co_await test::recreate_tables(engine, *m); };
            std::string problem;
            try {
                co_await create();
                co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
                    co_await conn.execute(insert(*t).values({id, std::int64_t{5}}));
                    auto v = co_await conn.scalar<std::int64_t>(select(id).where(id == std::int64_t{5}));
                    if (v != 5) throw std::runtime_error("read back " + std::to_string(v));
                    co_await conn.run_sync([&](Connection& c) { m->drop_all(c); });
                });
            } catch (const CompileError& e) {
                problem = expected == "compile" ? "" : std::string("compile error: ") + e.what();
                if (expected == "compile") ++refused;
                if (!problem.empty()) failures.push_back(h.name + ": " + problem);
                continue;
            } catch (const DBAPIError& e) {
                // A name the database itself refuses must have been caught before it was sent;
                // only SQLite's statement length limit may stop a megabyte-long name.
                if (dialect == "sqlite" && h.text.size() > 500'000) {
                    ++refused;
                    continue;
                }
                failures.push_back(h.name + ": the server refused it: " + e.what());
                continue;
            }
            if (expected == "compile") failures.push_back(h.name + ": expected a CompileError, but it worked");
            else ++used;
        }
    });
    INFO(used << " used, " << refused << " refused, of " << test::hostile_strings().size());
    for (const auto& f : failures) UNSCOPED_INFO(f.substr(0, 300));
    CHECK(failures.empty());
}
