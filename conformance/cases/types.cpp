// Every column type round-trips on every backend, NULL included.
#include <catch2/catch.hpp>
#include <limits>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;
using namespace std::chrono;

namespace {

struct AllTypes {
    MetaData metadata;
    Table t{metadata, "all_types"};
    Column<std::int64_t> id = t.column<std::int64_t>("id", primary_key(), autoincrement(false));
    Column<std::optional<int>> i = t.column<std::optional<int>>("i", types::Integer());
    Column<std::optional<std::int64_t>> big = t.column<std::optional<std::int64_t>>("big", types::BigInteger());
    Column<std::optional<std::int16_t>> small = t.column<std::optional<std::int16_t>>("small", types::SmallInteger());
    Column<std::optional<bool>> flag = t.column<std::optional<bool>>("flag");
    Column<std::optional<float>> f = t.column<std::optional<float>>("f", types::Float());
    Column<std::optional<double>> d = t.column<std::optional<double>>("d", types::Double());
    Column<std::optional<Decimal>> money = t.column<std::optional<Decimal>>("money", types::Numeric(12, 2));
    Column<std::optional<std::string>> name = t.column<std::optional<std::string>>("name", types::String(100));
    Column<std::optional<std::string>> body = t.column<std::optional<std::string>>("body", types::Text());
    Column<std::optional<Bytes>> blob = t.column<std::optional<Bytes>>("blob", types::LargeBinary());
    Column<std::optional<Date>> day = t.column<std::optional<Date>>("day");
    Column<std::optional<Time>> at = t.column<std::optional<Time>>("at");
    Column<std::optional<DateTime>> stamp = t.column<std::optional<DateTime>>("stamp");
    Column<std::optional<Timestamp>> instant = t.column<std::optional<Timestamp>>("instant");
    Column<std::optional<Uuid>> uid = t.column<std::optional<Uuid>>("uid");
    Column<std::optional<Json>> doc = t.column<std::optional<Json>>("doc");
};

awaitable<AsyncConnection> fresh(AsyncEngine& engine, const MetaData& md) {
    co_await test::recreate_tables(engine, md);
    co_return co_await engine.connect();
}

}  // namespace

TEST_CASE("types: values of every type round-trip", "[types][smoke]") {
    AllTypes s;
    auto engine = test::make_engine();
    std::string large_text;
    for (int k = 0; k < 100000; ++k) large_text += "Grüße, 世界 ";  // ~1.5 MB of multi-byte text
    Bytes blob;
    for (int k = 0; k < 300000; ++k) blob.push_back(static_cast<std::uint8_t>(k % 256));  // zeros included
    Date a_day{year{1999}, month{12}, std::chrono::day{31}};
    Time at{hours{23} + minutes{59} + seconds{58} + microseconds{999999}};
    DateTime stamp{sys_days{Date{year{2024}, month{2}, std::chrono::day{29}}}.time_since_epoch() + hours{12} + microseconds{123456}};
    Timestamp instant = parse_timestamp("2030-06-01 08:00:00.5+02:00");
    Uuid uid = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");

    test::run([&]() -> awaitable<void> {
        auto conn = co_await fresh(engine, s.metadata);
        // Seventeen columns: more than values() takes inline, so a vector, built
        // before the co_await (GCC 12 rejects an initializer list inside one).
        auto full_row = insert(s.t).values(std::vector<Assignment>{
            {s.id, 1}, {s.i, std::numeric_limits<int>::min()}, {s.big, std::numeric_limits<std::int64_t>::max()},
            {s.small, std::int16_t{-32768}}, {s.flag, true}, {s.f, 1.5f}, {s.d, -2.2250738585072014e-308},
            {s.money, Decimal("-1234567890.12")}, {s.name, "O'Brien \"quoted\" ; DROP TABLE all_types; --"},
            {s.body, large_text}, {s.blob, blob}, {s.day, a_day}, {s.at, at}, {s.stamp, stamp}, {s.instant, instant},
            {s.uid, uid}, {s.doc, Json{R"({"a": [1, 2, {"b": null}]})"}},
        });
        co_await conn.execute(full_row);
        co_await conn.execute(insert(s.t).values({s.id, 2}, {s.flag, false}, {s.big, std::numeric_limits<std::int64_t>::min()},
                                                 {s.name, ""}, {s.blob, Bytes{}}));
        co_await conn.execute(insert(s.t).values({s.id, 3}));
        co_await conn.commit();

        auto r = co_await conn.execute(select(s.t).order_by(s.id));
        REQUIRE(r.size() == 3);
        auto a = r.row(0);
        CHECK(a.get<std::optional<int>>("i") == std::numeric_limits<int>::min());
        CHECK(a.get<std::optional<std::int64_t>>("big") == std::numeric_limits<std::int64_t>::max());
        CHECK(a.get<std::optional<std::int16_t>>("small") == -32768);
        CHECK(a.get<std::optional<bool>>("flag") == true);
        CHECK(a.get<std::optional<float>>("f") == 1.5f);
        CHECK(a.get<std::optional<double>>("d") == -2.2250738585072014e-308);
        CHECK(a.get<Decimal>("money").str() == "-1234567890.12");
        CHECK(a.get<std::string>("name") == "O'Brien \"quoted\" ; DROP TABLE all_types; --");
        CHECK(a.get<std::string>("body") == large_text);
        CHECK(a.get<Bytes>("blob") == blob);
        CHECK(a.get<Date>("day") == a_day);
        CHECK(a.get<Time>("at") == at);
        CHECK(a.get<DateTime>("stamp") == stamp);
        CHECK(a.get<Timestamp>("instant") == instant);
        CHECK(a.get<Uuid>("uid") == uid);
        CHECK(a.get<Json>("doc").text.find("\"b\"") != std::string::npos);

        auto b = r.row(1);
        CHECK(b.get<std::optional<bool>>("flag") == false);
        CHECK(b.get<std::optional<std::int64_t>>("big") == std::numeric_limits<std::int64_t>::min());
        CHECK(b.get<std::optional<std::string>>("name") == std::string());
        CHECK(b.get<std::optional<Bytes>>("blob") == Bytes{});

        auto c = r.row(2);
        for (std::size_t k = 1; k < c.size(); ++k) {
            INFO("column " << c.keys()[k]);
            CHECK(is_null(c[k]));
        }
        CHECK(c.get<std::optional<Uuid>>("uid") == std::nullopt);
        CHECK_THROWS_AS(c.get<int>("i"), ArgumentError);  // NULL reads only into optional

        // Typed values also work as parameters of comparisons.
        auto found = co_await conn.scalar<std::int64_t>(select(s.id).where(s.uid == uid && s.day == a_day && s.flag == true));
        CHECK(found == 1);
        co_await conn.close();
    });
}
