// What the program assigned is what a flush writes: a zero value (false, 0,
// 0.0, "", the epoch...) is never mistaken for "unset" and replaced by a
// default. Only an orm::Defaulted member the program never assigned is left to
// its column's default, and then the value the database chose is read back.
// Every check reads the row back from the database.
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;
using namespace std::chrono;

namespace orm_defaults_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

const Date default_day{year{2001}, February, day{3}};
const Time default_time{hours{4} + minutes{5} + seconds{6}};
const DateTime default_local{local_days{Date{year{2002}, March, day{4}}}.time_since_epoch() + hours{5}};
const Timestamp default_instant{sys_days{Date{year{2003}, April, day{5}}}.time_since_epoch() + hours{6}};
const Uuid default_uid = Uuid::parse("0f0e0d0c-0b0a-0908-0706-050403020100");

/// Every column type, each with a server default that differs from its zero value.
struct Stock {
    orm::Defaulted<std::int64_t> id;
    orm::Defaulted<bool> in_stock;
    orm::Defaulted<std::int32_t> count;
    orm::Defaulted<double> ratio;
    orm::Defaulted<Decimal> price;
    orm::Defaulted<std::string> label;
    orm::Defaulted<Date> day;
    orm::Defaulted<Time> at;
    orm::Defaulted<DateTime> local;
    orm::Defaulted<Timestamp> instant;
    orm::Defaulted<Uuid> uid;
    orm::Defaulted<std::optional<std::string>> note;  // nullopt is an assigned NULL
    orm::Defaulted<std::string> code;                 // a client default (default_value)

    static auto mapping() {
        return orm::table(registry(), "od_stock",
                          orm::column(&Stock::id, orm::primary_key()),
                          orm::column(&Stock::in_stock, orm::server_default(true)),
                          orm::column(&Stock::count, orm::server_default(std::int32_t{10})),
                          orm::column(&Stock::ratio, orm::server_default(1.5)),
                          orm::column(&Stock::price, types::Numeric(10, 2), orm::server_default(Decimal("9.99"))),
                          orm::column(&Stock::label, types::String(20), orm::server_default(std::string("dflt"))),
                          orm::column(&Stock::day, orm::server_default(default_day)),
                          orm::column(&Stock::at, orm::server_default(default_time)),
                          orm::column(&Stock::local, orm::server_default(default_local)),
                          orm::column(&Stock::instant, orm::server_default(default_instant)),
                          orm::column(&Stock::uid, orm::server_default(default_uid)),
                          orm::column(&Stock::note, types::String(20), orm::server_default(std::string("n"))),
                          orm::column(&Stock::code, types::String(20), orm::default_value(std::string("std"))));
    }
};
RETORT_MAPPED(Stock, id, in_stock, count, ratio, price, label, day, at, local, instant, uid, note, code)

/// The same defaults on a class flushed without RETURNING (keys from the
/// driver, defaults read back by a SELECT).
struct PlainStock {
    orm::Defaulted<std::int64_t> id;
    orm::Defaulted<bool> in_stock;
    orm::Defaulted<std::int64_t> count;
    orm::Defaulted<std::string> label;

    static auto mapping() {
        return orm::table(registry(), "od_plain_stock",
                          orm::column(&PlainStock::id, orm::primary_key()),
                          orm::column(&PlainStock::in_stock, orm::server_default(true)),
                          orm::column(&PlainStock::count, orm::server_default(std::int64_t{10})),
                          orm::column(&PlainStock::label, types::String(20), orm::server_default(std::string("dflt"))),
                          orm::implicit_returning(false));
    }
};
RETORT_MAPPED(PlainStock, id, in_stock, count, label)

/// Plain members: always written; zero values of every type.
struct Zeroes {
    orm::Defaulted<std::int64_t> id;
    bool flag = true;
    std::int64_t number = 1;
    double ratio = 1;
    Decimal price{"1"};
    std::string text = "x";
    Bytes blob{1};
    Date day{};
    Time at{};
    DateTime local{};
    Timestamp instant{};
    Uuid uid{};
    Json doc{"{}"};

    static auto mapping() {
        return orm::table(registry(), "od_zeroes",
                          orm::column(&Zeroes::id, orm::primary_key()),
                          orm::column(&Zeroes::price, types::Numeric(10, 2)),
                          orm::column(&Zeroes::text, types::String(20)));
    }
};
RETORT_MAPPED(Zeroes, id, flag, number, ratio, price, text, blob, day, at, local, instant, uid, doc)

const Date epoch_day{year{1970}, January, day{1}};

std::shared_ptr<Stock> zero_stock() {
    return std::make_shared<Stock>(Stock{.in_stock = false,
                                         .count = 0,
                                         .ratio = 0.0,
                                         .price = Decimal("0"),
                                         .label = "",
                                         .day = epoch_day,
                                         .at = Time{},
                                         .local = DateTime{},
                                         .instant = Timestamp{},
                                         .uid = Uuid{},
                                         .note = std::optional<std::string>{},
                                         .code = ""});
}

/// The row of `table` with id `id`, read by a Core SELECT on a connection of its own.
awaitable<Row> row_of(AsyncEngine& engine, const char* table, std::int64_t id) {
    const auto& t = registry().metadata().table(table);
    auto conn = co_await engine.connect();
    auto result = co_await conn.execute(sql::select(t).where(t.c<std::int64_t>("id") == id));
    auto row = result.one();
    co_await conn.close();
    co_return row;
}

}  // namespace orm_defaults_test

using namespace orm_defaults_test;

TEST_CASE("orm defaults: an assigned zero value is written, never replaced by the server default", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto zero = zero_stock();
        s.add(zero);
        co_await s.commit();
        co_await s.close();

        auto row = co_await row_of(engine, "od_stock", *zero->id);
        CHECK(row.get<bool>("in_stock") == false);
        CHECK(row.get<std::int64_t>("count") == 0);
        CHECK(row.get<double>("ratio") == 0.0);
        CHECK(row.get<Decimal>("price").to_double() == 0.0);
        CHECK(row.get<std::string>("label").empty());
        CHECK(row.get<Date>("day") == epoch_day);
        CHECK(row.get<Time>("at") == Time{});
        CHECK(row.get<DateTime>("local") == DateTime{});
        CHECK(row.get<Timestamp>("instant") == Timestamp{});
        CHECK(row.get<Uuid>("uid") == Uuid{});
        CHECK(!row.get<std::optional<std::string>>("note").has_value());
        CHECK(row.get<std::string>("code").empty());  // not the client default either
    });
}

TEST_CASE("orm defaults: an unassigned Defaulted member takes its default, read back into the object", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto given = std::make_shared<Stock>();
        CHECK(!given->in_stock.has_value());
        CHECK_THROWS_AS(*given->count, InvalidRequestError);
        s.add(given);
        co_await s.commit();
        // The object holds what the database chose (RETURNING, or a SELECT by key).
        CHECK(*given->id > 0);
        CHECK(given->in_stock == true);
        CHECK(given->count == 10);
        CHECK(given->ratio == 1.5);
        CHECK(given->price->str() == "9.99");
        CHECK(given->label == "dflt");
        CHECK(given->day == default_day);
        CHECK(given->at == default_time);
        CHECK(given->local == default_local);
        CHECK(given->instant == default_instant);
        CHECK(given->uid == default_uid);
        CHECK(given->note == std::optional<std::string>("n"));
        CHECK(given->code == "std");
        co_await s.close();

        auto row = co_await row_of(engine, "od_stock", *given->id);
        CHECK(row.get<bool>("in_stock") == true);
        CHECK(row.get<std::int64_t>("count") == 10);
        CHECK(row.get<std::string>("label") == "dflt");
        CHECK(row.get<Uuid>("uid") == default_uid);
        CHECK(row.get<std::string>("code") == "std");
    });
}

TEST_CASE("orm defaults: without RETURNING, zero values are written and defaults read back", "[orm]") {
    CHECK(!orm::mapper<PlainStock>().implicit_returning());
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto zero = std::make_shared<PlainStock>(PlainStock{.in_stock = false, .count = 0, .label = ""});
        auto unassigned = std::make_shared<PlainStock>();
        s.add_all(std::vector{zero, unassigned});
        co_await s.commit();
        CHECK(unassigned->in_stock == true);
        CHECK(unassigned->count == 10);
        CHECK(unassigned->label == "dflt");
        co_await s.close();

        auto zero_row = co_await row_of(engine, "od_plain_stock", *zero->id);
        CHECK(zero_row.get<bool>("in_stock") == false);
        CHECK(zero_row.get<std::int64_t>("count") == 0);
        CHECK(zero_row.get<std::string>("label").empty());
        auto default_row = co_await row_of(engine, "od_plain_stock", *unassigned->id);
        CHECK(default_row.get<bool>("in_stock") == true);
        CHECK(default_row.get<std::int64_t>("count") == 10);
    });
}

TEST_CASE("orm defaults: plain members are written as they are, zero values of every type", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto z = std::make_shared<Zeroes>(Zeroes{.flag = false,
                                                 .number = 0,
                                                 .ratio = 0.0,
                                                 .price = Decimal("0"),
                                                 .text = "",
                                                 .blob = Bytes{},
                                                 .day = epoch_day,
                                                 .at = Time{},
                                                 .local = DateTime{},
                                                 .instant = Timestamp{},
                                                 .uid = Uuid{},
                                                 .doc = Json{"0"}});
        s.add(z);
        co_await s.commit();
        co_await s.close();
        auto row = co_await row_of(engine, "od_zeroes", *z->id);
        CHECK(row.get<bool>("flag") == false);
        CHECK(row.get<std::int64_t>("number") == 0);
        CHECK(row.get<double>("ratio") == 0.0);
        CHECK(row.get<Decimal>("price").to_double() == 0.0);
        CHECK(row.get<std::string>("text").empty());
        CHECK(row.get<Bytes>("blob").empty());
        CHECK(row.get<Date>("day") == epoch_day);
        CHECK(row.get<Time>("at") == Time{});
        CHECK(row.get<DateTime>("local") == DateTime{});
        CHECK(row.get<Timestamp>("instant") == Timestamp{});
        CHECK(row.get<Uuid>("uid") == Uuid{});
        CHECK(row.get<Json>("doc").text == "0");
    });
}

TEST_CASE("orm defaults: a generated key the program sets, even to 0, is the row's key", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto zero = std::make_shared<PlainStock>(PlainStock{.id = 0, .label = "zero"});
        auto generated = std::make_shared<PlainStock>(PlainStock{.label = "generated"});
        s.add(zero);
        co_await s.flush();
        s.add(generated);
        co_await s.commit();
        CHECK(*zero->id == 0);  // MariaDB would have replaced 0 without NO_AUTO_VALUE_ON_ZERO
        CHECK(*generated->id > 0);
        co_await s.close();
        auto row = co_await row_of(engine, "od_plain_stock", 0);
        CHECK(row.get<std::string>("label") == "zero");
        auto other = co_await row_of(engine, "od_plain_stock", *generated->id);
        CHECK(other.get<std::string>("label") == "generated");
    });
}

TEST_CASE("orm defaults: a rolled-back INSERT leaves the Defaulted members unassigned again", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto stock = std::make_shared<Stock>(Stock{.count = 0});
        s.add(stock);
        co_await s.flush();
        CHECK(stock->id.has_value());
        CHECK(stock->label == "dflt");
        co_await s.rollback();
        CHECK(!stock->id.has_value());
        CHECK(!stock->label.has_value());
        CHECK(!stock->code.has_value());  // the client default is chosen again at the next INSERT
        CHECK(stock->count == 0);         // what the program assigned stays
        co_await s.close();
    });
}
