// The driver toolkit (retort/plugin/support/): what every driver shares.
#include <catch2/catch.hpp>
#include <memory>

#include "retort/error.hpp"
#include "retort/plugin/support/result_values.hpp"
#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/plugin/support/statement_cache.hpp"

using namespace retort;
using retort::plugin::support::StatementCache;

TEST_CASE("statement cache: the least recently used entry is pushed out and handed back", "[statement_cache]") {
    StatementCache<int> cache(3);
    CHECK(cache.put("a", 1).empty());
    CHECK(cache.put("b", 2).empty());
    CHECK(cache.put("c", 3).empty());
    REQUIRE(cache.find("a"));  // a is now the most recently used: b is the oldest
    CHECK(cache.put("d", 4) == std::vector<int>{2});
    CHECK_FALSE(cache.find("b"));
    CHECK(*cache.find("a") == 1);
    CHECK(*cache.find("c") == 3);
    CHECK(cache.front() == 3);
    CHECK(cache.put("e", 5) == std::vector<int>{4});
    CHECK(cache.size() == 3);
}

TEST_CASE("statement cache: take removes one entry, take_all every entry, and nothing is freed by the cache",
          "[statement_cache]") {
    auto counted = std::make_shared<int>(7);
    StatementCache<std::shared_ptr<int>> cache(2);
    cache.put("x", counted);
    cache.put("y", std::make_shared<int>(8));
    CHECK(counted.use_count() == 2);
    auto taken = cache.take("x");
    REQUIRE(taken);
    CHECK(*taken == counted);
    CHECK_FALSE(cache.take("x"));
    CHECK(cache.size() == 1);
    auto rest = cache.take_all();
    REQUIRE(rest.size() == 1);
    CHECK(*rest[0] == 8);
    CHECK(cache.size() == 0);
    CHECK_FALSE(cache.find("y"));
}

TEST_CASE("statement cache: the key may be the stored text itself, and entries stay put", "[statement_cache]") {
    StatementCache<std::string> cache(2);
    cache.put(std::string(200, 'q'), "long");
    const std::string* first = cache.find(std::string(200, 'q'));
    cache.put("short", "s");
    CHECK(first == cache.find(std::string(200, 'q')));  // a list node: not moved by later puts
    // "short" is now the oldest: it goes, the long one stays where it was.
    auto out = cache.put("third", "t");
    CHECK(out == std::vector<std::string>{"s"});
    CHECK(cache.find("third"));
}

TEST_CASE("statement cache: a capacity of 0 keeps the newest entry", "[statement_cache]") {
    StatementCache<int> cache(0);
    CHECK(cache.put("a", 1).empty());
    CHECK(cache.put("b", 2) == std::vector<int>{1});
    CHECK(cache.front() == 2);
}

TEST_CASE("savepoint SQL: the standard statements, one spelling for every driver", "[toolkit]") {
    using plugin::support::SavepointOp;
    using plugin::support::savepoint_sql;
    CHECK(savepoint_sql(SavepointOp::create, "retort_sp_1") == "SAVEPOINT retort_sp_1");
    CHECK(savepoint_sql(SavepointOp::release, "retort_sp_1") == "RELEASE SAVEPOINT retort_sp_1");
    CHECK(savepoint_sql(SavepointOp::rollback_to, "retort_sp_12") == "ROLLBACK TO SAVEPOINT retort_sp_12");
    // Never quoted or altered: refused.
    for (const char* bad : {"", "1sp", "sp; DROP TABLE t", "sp`x", "sp\"x", "s p"})
        CHECK_THROWS_AS(savepoint_sql(SavepointOp::create, bad), ArgumentError);
}

TEST_CASE("standard result converter: loose values become the declared type", "[toolkit]") {
    auto convert = [](Value v, SqlType t) {
        if (auto f = plugin::support::standard_result_converter(t)) f(v, t);
        return v;
    };
    CHECK(convert(Decimal("42"), types::BigInteger()) == Value(std::int64_t{42}));
    CHECK(convert(Decimal("4.5"), types::BigInteger()) == Value(Decimal("4.5")));  // not exact: left alone
    CHECK(convert(2.0, types::Integer()) == Value(std::int64_t{2}));
    CHECK(convert(std::int64_t{0}, types::Boolean()) == Value(false));
    CHECK(convert(std::int64_t{7}, types::Boolean()) == Value(true));
    CHECK(convert(std::string("1.25"), types::Double()) == Value(1.25));
    CHECK(convert(19.99, types::Numeric(10, 2)) == Value(Decimal("19.99")));
    CHECK(convert(0.1 + 0.2, types::Numeric()) == Value(Decimal("0.30000000000000004")));  // exact, unscaled
    CHECK(convert(0.1 + 0.2, types::Numeric(10, 2)) == Value(Decimal("0.30")));
    CHECK(convert(1234567890123456.7, types::Numeric()) == Value(Decimal("1234567890123456.8")));
    CHECK(convert(std::string("1.5x"), types::Double()) == Value(std::string("1.5x")));  // not a number: left as text
    CHECK(convert(std::int64_t{5}, types::String(10)) == Value(std::string("5")));
    CHECK(convert(0.1, types::Text()) == Value(std::string("0.1")));
    CHECK(convert(std::string("2024-02-29"), types::Date()) == Value(parse_date("2024-02-29")));
    CHECK(convert(std::string("13:45:00"), types::Time()) == Value(parse_time("13:45:00")));
    CHECK(convert(std::string("2024-02-29 13:45:00"), types::DateTime()) == Value(parse_datetime("2024-02-29 13:45:00")));
    CHECK(convert(std::string("2024-02-29 13:45:00"), types::DateTime(true)) ==
          Value(parse_timestamp("2024-02-29 13:45:00+00:00")));
    auto u = Uuid::parse("0123456789abcdef0123456789abcdef");
    CHECK(convert(std::string("0123456789abcdef0123456789abcdef"), types::Uuid()) == Value(u));
    CHECK(convert(u, types::String(36)) == Value(u.str()));
    CHECK(std::get<Json>(convert(std::int64_t{0}, types::Json())).text == "0");
    CHECK(convert(null, types::Integer()) == Value(null));
    CHECK_THROWS(convert(std::string("not a date"), types::Date()));
}
