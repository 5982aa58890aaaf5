// Names as the database sees them: reserved words quoted, names the database
// would cut short or refuse caught before they are sent, names Retort makes up
// shortened so that they stay distinct.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

// One table named by `word`, with a key column and a value column also named by it.
struct WordTable {
    MetaData metadata;
    Table table;
    Column<std::int64_t> id;
    Column<int> value;
    explicit WordTable(const std::string& word)
        : table(metadata, word), id(table.column<std::int64_t>(word, primary_key())), value(table.column<int>(word + "_"))
    {}
};

}  // namespace

// The words a server itself lists as keywords, reserved or not, where it can
// say (SQLite cannot: its list is compiled into the dialect from sqlite3_keyword_name()).
awaitable<std::vector<std::string>> server_keywords(AsyncEngine& engine) {
    std::optional<std::string> query;
    if (engine.dialect().name() == "postgresql") query = "SELECT word FROM pg_get_keywords()";
    if (engine.dialect().name() == "mysql") query = "SELECT LOWER(WORD) FROM information_schema.KEYWORDS";
    std::vector<std::string> words;
    if (!query) co_return words;
    auto conn = co_await engine.connect();
    auto result = co_await conn.execute(text(*query));
    words = result.scalars<std::string>();
    co_await conn.close();
    co_return words;
}

TEST_CASE("identifiers: every keyword of the backend names a table and its columns", "[identifiers]") {
    // The dialect's reserved words, every keyword the server lists, and the words
    // that used to go out unquoted and fail (35 on PostgreSQL, 9 on SQLite and on MariaDB).
    auto engine = test::make_engine();
    const auto& reserved = engine.dialect().compiler().reserved_words();
    REQUIRE(reserved.size() > 50);
    REQUIRE(std::is_sorted(reserved.begin(), reserved.end()));  // quote_identifier binary-searches it
    std::set<std::string> words(reserved.begin(), reserved.end());
    for (const char* w : {"returning", "only", "both", "analyze", "current_user", "isnull", "escape", "localtime",
                          "mediumint", "value", "window", "user", "key", "status"})
        words.insert(w);
    std::vector<std::string> failed;
    test::run([&]() -> awaitable<void> {
        auto listed = co_await server_keywords(engine);
        words.insert(listed.begin(), listed.end());
        for (const auto& word : words) {
            WordTable w(word);
            try {
                co_await test::recreate_tables(engine, w.metadata);
                co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
                    co_await conn.execute(insert(w.table).values({w.id, std::int64_t{7}}, {w.value, 1}));
                    co_await conn.execute(update(w.table).where(w.id == std::int64_t{7}).values({w.value, 2}));
                    auto v = co_await conn.scalar<int>(select(w.value).where(w.id == std::int64_t{7}).order_by(w.id));
                    if (v != 2) throw std::runtime_error("read back " + std::to_string(v));
                    co_await conn.execute(delete_(w.table).where(w.id == std::int64_t{7}));
                });
                co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
                    co_await conn.run_sync([&](Connection& c) { w.metadata.drop_all(c); });
                });
            } catch (const std::exception& e) {
                failed.push_back(word + ": " + e.what());
            }
        }
    });
    INFO(words.size() << " words");
    for (const auto& f : failed) UNSCOPED_INFO(f);
    CHECK(failed.empty());
}

TEST_CASE("identifiers: a name the database would cut short or refuse is a CompileError before it is sent",
          "[identifiers]") {
    auto engine = test::make_engine();
    const auto& compiler = engine.dialect().compiler();
    const std::size_t max = compiler.max_identifier_length();
    // Two names alike in their first 63 bytes: PostgreSQL would make them one.
    const std::string stem(70, 'n');
    struct Long {
        MetaData metadata;
        Table a, b;
        Column<std::int64_t> aid, bid;
        explicit Long(const std::string& stem)
            : a(metadata, stem + "_a"), b(metadata, stem + "_b"),
              aid(a.column<std::int64_t>("id", primary_key())), bid(b.column<std::int64_t>("id", primary_key())) {}
    } l(stem);
    std::optional<CompileError> refused;
    test::run([&]() -> awaitable<void> {
        refused = co_await test::capture<CompileError>(test::recreate_tables(engine, l.metadata));
        if (!refused) {
            // A database without a limit keeps both, whole.
            co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
                co_await conn.execute(insert(l.a).values({l.aid, std::int64_t{1}}));
                co_await conn.execute(insert(l.b).values({l.bid, std::int64_t{2}}));
                auto na = co_await test::count_rows(conn, l.a);
                auto nb = co_await test::count_rows(conn, l.b);
                CHECK(na == 1);
                CHECK(nb == 1);
                co_await conn.run_sync([&](Connection& c) { l.metadata.drop_all(c); });
            });
        }
    });
    if (max && max < stem.size() + 2) {
        REQUIRE(refused);
        CHECK_THAT(refused->what(), Catch::Contains(stem.substr(0, 20)) && Catch::Contains("at most " + std::to_string(max)));
    } else {
        CHECK_FALSE(refused);
    }
    if (engine.dialect().name() == "mysql") {
        // MySQL and MariaDB refuse a name that ends in white space.
        MetaData m;
        Table t(m, "trailing ");
        auto id = t.column<std::int64_t>("id", primary_key());
        test::run([&]() -> awaitable<void> {
            auto e = co_await test::capture<CompileError>(test::recreate_tables(engine, m));
            REQUIRE(e);
            CHECK_THAT(e->what(), Catch::Contains("ends in white space"));
        });
    }
}

TEST_CASE("identifiers: index names Retort makes up are shortened to the database's limit and stay distinct",
          "[identifiers]") {
    // ix_<table>_<column> of two long, nearly equal names: over every limit.
    const std::string table(40, 't'), column(40, 'c');
    MetaData m;
    Table a(m, table + "1"), b(m, table + "2");
    auto aid = a.column<std::int64_t>("id", primary_key());
    auto acol = a.column<int>(column, index());
    auto bid = b.column<std::int64_t>("id", primary_key());
    auto bcol = b.column<int>(column, index());
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, m);
        co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
            co_await conn.execute(insert(a).values({acol, 1}));
            co_await conn.execute(insert(b).values({bcol, 2}));
            auto v = co_await conn.scalar<int>(select(bcol).where(bcol == 2));
            CHECK(v == 2);
            co_await conn.run_sync([&](Connection& c) { m.drop_all(c); });
        });
    });
    const auto& compiler = engine.dialect().compiler();
    auto short_a = compiler.generated_name("ix_" + table + "1_" + column);
    auto short_b = compiler.generated_name("ix_" + table + "2_" + column);
    CHECK(short_a != short_b);
    if (auto max = compiler.max_identifier_length()) {
        CHECK(short_a.size() <= max);
        // The same on every run and every machine: the start of the name and an
        // FNV-1a hash of all of it (a database already holds indexes by this name).
        const std::string hash = "_f248f9c5";
        CHECK(short_a == "ix_" + table + "1_" + std::string(max - 9 - 3 - 40 - 2, 'c') + hash);
    }
}
