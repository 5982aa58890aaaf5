// The same expression means the same thing on every backend: division,
// aggregates' result types, ORDER BY / GROUP BY by name, NULL placement,
// exists().where(), CASE with a deduced type, join_from. Each statement is
// executed and its rows compared.
#include <catch2/catch.hpp>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;

namespace sql_semantics_test {

struct Schema {
    MetaData metadata;
    Table numbers{metadata, "ss_numbers"};
    Column<std::int64_t> id = numbers.column<std::int64_t>("id", primary_key(), autoincrement(false));
    Column<std::int64_t> a = numbers.column<std::int64_t>("a");
    Column<std::int64_t> b = numbers.column<std::int64_t>("b");
    Column<Decimal> price = numbers.column<Decimal>("price", types::Numeric(10, 2));
    Column<std::optional<std::int32_t>> score = numbers.column<std::optional<std::int32_t>>("score");
    Column<std::string> name = numbers.column<std::string>("name", types::String(10));
    Table tags{metadata, "ss_tags"};
    Column<std::int64_t> tag_id = tags.column<std::int64_t>("id", primary_key(), autoincrement(false));
    Column<std::int64_t> number_id = tags.column<std::int64_t>("number_id", references(id));
    Column<std::string> label = tags.column<std::string>("label", types::String(10));
};

awaitable<AsyncConnection> seeded(AsyncEngine& engine, const Schema& s) {
    co_await test::recreate_tables(engine, s.metadata);
    auto conn = co_await engine.connect();
    std::vector<std::vector<Assignment>> rows{
        {{s.id, 1}, {s.a, 7}, {s.b, 2}, {s.price, Decimal("10.00")}, {s.score, 5}, {s.name, "x"}},
        {{s.id, 2}, {s.a, -7}, {s.b, 2}, {s.price, Decimal("3.50")}, {s.score, null}, {s.name, "y"}},
        {{s.id, 3}, {s.a, 8}, {s.b, 4}, {s.price, Decimal("0.10")}, {s.score, 3}, {s.name, "x"}}};
    co_await conn.execute(insert(s.numbers).rows(rows));
    co_await conn.execute(insert(s.tags).values({s.tag_id, 10}, {s.number_id, 1}, {s.label, "t1"}));
    co_await conn.commit();
    co_return conn;
}

template <class T, class Q>
awaitable<std::vector<T>> column(AsyncConnection& conn, const Q& q) {
    auto result = co_await conn.execute(q);
    std::vector<T> out;
    for (const auto& row : result.all()) out.push_back(row.template get<T>(0));
    co_return out;
}

}  // namespace sql_semantics_test

using namespace sql_semantics_test;

TEST_CASE("sql semantics: / is true division and floordiv rounds down, on every backend", "[semantics]") {
    Schema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await seeded(engine, s);
        auto quotients = co_await column<double>(conn, select(s.a / s.b).order_by(s.id));
        CHECK(quotients == std::vector<double>{3.5, -3.5, 2.0});
        auto halves = co_await column<double>(conn, select(s.a / 2).order_by(s.id));
        CHECK(halves == std::vector<double>{3.5, -3.5, 4.0});
        auto floors = co_await column<std::int64_t>(conn, select(floordiv(s.a, s.b)).order_by(s.id));
        CHECK(floors == std::vector<std::int64_t>{3, -4, 2});
        auto floors_by_3 = co_await column<std::int64_t>(conn, select(floordiv(s.a, 3)).order_by(s.id));
        CHECK(floors_by_3 == std::vector<std::int64_t>{2, -3, 2});
        // A decimal divides as a decimal would (no integer truncation on SQLite either).
        auto shares = co_await column<Decimal>(conn, select(s.price / 4).order_by(s.id));
        REQUIRE(shares.size() == 3);
        CHECK(shares[0] == Decimal("2.5"));
        CHECK(shares[1] == Decimal("0.875"));
        co_await conn.close();
    });
}

TEST_CASE("sql semantics: aggregates read as the C++ types of their columns", "[semantics]") {
    Schema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await seeded(engine, s);
        // sum() of a BIGINT is NUMERIC on PostgreSQL and DECIMAL on MariaDB: still an integer.
        auto sums = co_await column<std::optional<std::int64_t>>(conn, select(func::sum(s.a)));
        CHECK(sums.front() == 8);
        auto money = co_await column<std::optional<Decimal>>(conn, select(func::sum(s.price)));
        CHECK(money.front() == Decimal("13.60"));
        auto scores = co_await column<std::optional<std::int32_t>>(conn, select(func::sum(s.score)));
        CHECK(scores.front() == 8);
        auto counts = co_await column<std::int64_t>(conn, select(func::count(s.score)));
        CHECK(counts.front() == 2);
        auto averages = co_await column<std::optional<double>>(conn, select(func::avg(s.b)));
        CHECK(averages.front() == Approx(8.0 / 3));
        auto smallest = co_await column<std::optional<std::int64_t>>(conn, select(func::min(s.a)));
        CHECK(smallest.front() == -7);
        auto none = co_await column<std::optional<std::int64_t>>(conn, select(func::sum(s.a)).where(s.id > 99));
        CHECK(!none.front().has_value());
        co_await conn.close();
    });
}

TEST_CASE("sql semantics: order_by and group_by by the name of a column or label", "[semantics]") {
    Schema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await seeded(engine, s);
        auto by_label = co_await column<std::int64_t>(
            conn, select(s.id, (s.a * -1).label("score_rank")).order_by("score_rank"));
        CHECK(by_label == std::vector<std::int64_t>{3, 1, 2});
        auto by_column = co_await column<std::int64_t>(conn, select(s.id, s.name).order_by("name", s.id.desc()));
        CHECK(by_column == std::vector<std::int64_t>{3, 1, 2});
        auto unioned = co_await column<std::string>(
            conn, union_all(select(s.name).where(s.id == 2), select(s.name).where(s.id == 1)).order_by("name"));
        CHECK(unioned == std::vector<std::string>{"x", "y"});
        auto groups = co_await column<std::int64_t>(
            conn, select(func::count().label("n"), s.name).group_by("name").order_by("name"));
        CHECK(groups == std::vector<std::int64_t>{2, 1});
        CHECK_THROWS_WITH(select(s.id).order_by("nope"),
                          Catch::Contains("order_by(\"nope\")") && Catch::Contains("no column or label"));
        co_await conn.close();
    });
}

TEST_CASE("sql semantics: NULLs first or last, is_(null), exists().where(), CASE, join_from", "[semantics]") {
    Schema s;
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        auto conn = co_await seeded(engine, s);
        auto last = co_await column<std::int64_t>(conn, select(s.id).order_by(s.score.nulls_last()));
        CHECK(last == std::vector<std::int64_t>{3, 1, 2});
        auto first = co_await column<std::int64_t>(conn, select(s.id).order_by(s.score.desc().nulls_first()));
        CHECK(first == std::vector<std::int64_t>{2, 1, 3});
        auto missing = co_await column<std::int64_t>(conn, select(s.id).where(s.score.is_(null)));
        CHECK(missing == std::vector<std::int64_t>{2});
        auto present = co_await column<std::int64_t>(conn, select(s.id).where(s.score.is_not(null)).order_by(s.id));
        CHECK(present == std::vector<std::int64_t>{1, 3});

        auto tagged = co_await column<std::int64_t>(
            conn, select(s.id).where(exists().where(s.number_id == s.id)).order_by(s.id));
        CHECK(tagged == std::vector<std::int64_t>{1});
        auto untagged = co_await column<std::int64_t>(
            conn, select(s.id).where(!exists().where(s.number_id == s.id)).order_by(s.id));
        CHECK(untagged == std::vector<std::int64_t>{2, 3});

        // The result type comes from the branches: std::string, optional without ELSE.
        auto sign = case_(When(s.a > 0, "positive"), When(s.a < 0, "negative")).else_("zero");
        static_assert(std::is_same_v<decltype(sign), TypedExpr<std::string>>);
        auto signs = co_await column<std::string>(conn, select(sign).order_by(s.id));
        CHECK(signs == std::vector<std::string>{"positive", "negative", "positive"});
        auto big = case_(When(s.a > 7, s.a));
        static_assert(std::is_same_v<decltype(big)::value_type, std::optional<std::int64_t>>);
        auto bigs = co_await column<std::optional<std::int64_t>>(conn, select(big).order_by(s.id));
        CHECK(bigs == std::vector<std::optional<std::int64_t>>{std::nullopt, std::nullopt, 8});

        auto rows = co_await conn.execute(select(s.id, s.label).join_from(s.numbers, s.tags, {.isouter = true}).order_by(s.id));
        std::vector<std::optional<std::string>> joined;
        for (const auto& row : rows.all()) joined.push_back(row.get<std::optional<std::string>>(1));
        CHECK(joined == std::vector<std::optional<std::string>>{"t1", std::nullopt, std::nullopt});

        // A subquery's column by the labelled expression it came from, typed as that.
        auto n = func::count().label("n");
        auto per_name = select(s.name, n).group_by(s.name).subquery("per_name");
        auto counts = co_await column<std::int64_t>(conn, select(per_name[n]).order_by(per_name[n]));
        CHECK(counts == std::vector<std::int64_t>{1, 2});
        co_await conn.close();
    });
}
