// Every statement of the golden corpus, compiled by every dialect, must give
// exactly the recorded SQL (tests/golden/expected_sql.txt). The matrix tests
// then run the same statements on the real databases.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "retort/plugin/loader.hpp"
#include "support/golden_schema.hpp"

using namespace retort;

TEST_CASE("golden SQL: every statement compiles as recorded on every dialect", "[golden]") {
    test::GoldenSchema schema;
    auto cases = test::golden_statements(schema);
    auto ddl = test::golden_ddl(schema);
    cases.insert(cases.end(), ddl.begin(), ddl.end());
    REQUIRE(cases.size() >= 60);

    const char* dialects[] = {"sqlite", "postgresql", "mysql"};
    test::GoldenExpectations actual;
    for (const auto& c : cases)
        for (const char* name : dialects) actual[c.name][name] = test::compiled_sql(*plugin::load_dialect(name), c.statement);

    if (const char* update = std::getenv("RETORT_GOLDEN_UPDATE"); update && std::string(update) == "1") {
        test::write_golden_file(RETORT_GOLDEN_FILE, actual);
        WARN("rewrote " RETORT_GOLDEN_FILE "; review its diff");
    }
    auto expected = test::load_golden_file(RETORT_GOLDEN_FILE);
    for (const auto& c : cases) {
        for (const char* name : dialects) {
            INFO("case " << c.name << " on " << name);
            auto e = expected.find(c.name);
            REQUIRE(e != expected.end());
            REQUIRE(e->second.count(name) == 1);
            CHECK(actual[c.name][name] == e->second.at(name));
        }
    }
    // Every case must be expressible somewhere, and the refusals are the rare exceptions.
    std::size_t refusals = 0;
    for (const auto& [n, by] : actual)
        for (const auto& [d, text] : by) refusals += text == "!CompileError";
    CHECK(refusals <= 3);
}

TEST_CASE("golden SQL: values are bound, never spliced into the text", "[golden]") {
    test::GoldenSchema s;
    const std::string hostile = "x'); DROP TABLE users; --";
    auto stmt = sql::select(s.user_id).where(s.user_name == hostile);
    for (const char* name : {"sqlite", "postgresql", "mysql"}) {
        auto compiled = plugin::load_dialect(name)->compiler().compile(*sql::Statement(stmt).statement_node());
        CHECK(compiled.sql.find("DROP") == std::string::npos);
        CHECK(compiled.params.size() == 1);
    }
}

TEST_CASE("cache keys: same shape, same key, other shape, other key", "[golden]") {
    test::GoldenSchema s;
    auto key = [](const sql::Statement& st) {
        sql::CacheKey k;
        st.statement_node()->build_key(k);
        return k;
    };
    // A key points into its statement's binds: the statements must outlive the keys read below.
    sql::Statement sa = sql::select(s.user_id).where(s.user_name == "a").limit(5);
    sql::Statement sb = sql::select(s.user_id).where(s.user_name == "b").limit(7);
    auto a = key(sa);
    auto b = key(sb);
    CHECK(a.text == b.text);
    REQUIRE(a.binds.size() == 2);
    CHECK(std::get<std::string>(b.binds[0]->value) == "b");
    CHECK(std::get<std::int64_t>(b.binds[1]->value) == 7);
    CHECK(key(sql::select(s.user_id).where(s.user_name != "a").limit(5)).text != a.text);
    CHECK(key(sql::select(s.user_name).where(s.user_name == "a").limit(5)).text != a.text);
    // An IN list's length is not part of the shape: it expands at execution.
    CHECK(key(sql::select(s.user_id).where(s.user_id.in_(1, 2))).text ==
          key(sql::select(s.user_id).where(s.user_id.in_(1, 2, 3, 4))).text);
}

TEST_CASE("each parameter knows the column its value is for, for messages about the value", "[golden]") {
    MetaData m;
    sql::Table t(m, "notes");
    auto id = t.column<std::int64_t>("id", sql::primary_key());
    auto body = t.column<std::string>("body");
    auto rank = t.column<int>("rank");
    auto columns_of = [](const sql::Statement& stmt) {
        auto compiled = plugin::load_dialect("sqlite")->compiler().compile(*stmt.statement_node());
        std::vector<std::string> out;
        for (const auto& p : compiled.params) out.push_back(p.column);
        return out;
    };
    using V = std::vector<std::string>;
    CHECK(columns_of(sql::insert(t).values({body, std::string("x")}, {rank, rank + 1})) == V{"body", "rank"});
    CHECK(columns_of(sql::update(t).values({body, std::string("y")}).where(id == std::int64_t{3})) == V{"body", "id"});
    CHECK(columns_of(sql::select(id).where(sql::and_(body.like(std::string("%a%")), rank.between(1, 2)))) ==
          V{"body", "rank", "rank"});
    CHECK(columns_of(sql::select(id).where(id.in_(std::vector<std::int64_t>{1, 2}))) == V{"id"});
    // A value inside an expression keeps its enclosing column; one compared with no column has none.
    CHECK(columns_of(sql::select(id).where(rank == sql::literal<int>(1) + 2)) == V{"rank", "rank"});
    CHECK(columns_of(sql::select(sql::literal<int>(5).label("five"))) == V{""});
}
