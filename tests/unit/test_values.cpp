#include <catch2/catch.hpp>

#include "retort/value_traits.hpp"

using namespace retort;
using namespace std::chrono;

TEST_CASE("Decimal: compared by value, exact sums and products, rounding to a scale", "[values]") {
    CHECK(Decimal("1.50") == Decimal("1.5"));
    CHECK(Decimal("-0.00") == Decimal("0"));
    CHECK(Decimal("2") > Decimal("1.999"));
    CHECK(Decimal("-2") < Decimal("-1.999"));
    CHECK(Decimal("-0.01") < Decimal("0"));
    CHECK(Decimal("10") > Decimal("9.99"));
    // 0.1 + 0.2 is exactly 0.3, as money needs (double gives 0.30000000000000004).
    CHECK((Decimal("0.1") + Decimal("0.2")).str() == "0.3");
    CHECK((Decimal("19.99") * 3).str() == "59.97");
    CHECK((3 * Decimal("-19.99")).str() == "-59.97");
    CHECK((Decimal("10.00") - Decimal("10.01")).str() == "-0.01");
    CHECK((Decimal("-5") + Decimal("5.00")).str() == "0.00");
    CHECK((Decimal("1.05") * Decimal("1.10")).str() == "1.1550");
    CHECK((Decimal("1.05") * Decimal("1.10")).with_scale(2).str() == "1.16");
    CHECK((Decimal("123456789012345678901234567890") + Decimal("1")).str() == "123456789012345678901234567891");
    CHECK((Decimal("99999999999.99") * 1000000).str() == "99999999999990000.00");
    CHECK(Decimal("12.340").scale() == 3);
    Decimal total("0");
    for (int i = 0; i < 10; ++i) total += Decimal("0.10");
    CHECK(total == Decimal("1"));
    CHECK(-Decimal("2.5") == Decimal("-2.5"));
}

TEST_CASE("Decimal: canonical text and scale", "[values]") {
    CHECK(Decimal("0012.50").str() == "12.50");
    CHECK(Decimal("-0.0").str() == "0.0");
    CHECK(Decimal("1e3").str() == "1000");
    CHECK(Decimal("1.5e-3").str() == "0.0015");
    CHECK(Decimal("12.345").with_scale(2).str() == "12.35");
    CHECK(Decimal("-12.345").with_scale(2).str() == "-12.35");
    CHECK(Decimal("9.999").with_scale(2).str() == "10.00");
    CHECK(Decimal("7").with_scale(3).str() == "7.000");
    CHECK_THROWS_AS(Decimal("12a"), ArgumentError);
    CHECK_THROWS_AS(Decimal(""), ArgumentError);
    CHECK_THROWS_AS(Decimal("."), ArgumentError);
}

TEST_CASE("dates and times: ISO text round trips", "[values]") {
    Date d{year{2024}, month{2}, day{29}};
    CHECK(format_date(d) == "2024-02-29");
    CHECK(parse_date("2024-02-29") == d);
    CHECK_THROWS_AS(parse_date("2023-02-29"), ArgumentError);
    Time t{hours{13} + minutes{5} + seconds{7} + microseconds{120}};
    CHECK(format_time(t) == "13:05:07.000120");
    CHECK(parse_time("13:05:07.00012") == t);
    DateTime dt{sys_days{d}.time_since_epoch() + hours{23} + minutes{59} + seconds{59}};
    CHECK(format_datetime(dt) == "2024-02-29 23:59:59");
    CHECK(parse_datetime("2024-02-29T23:59:59") == dt);
    Timestamp ts = parse_timestamp("2024-03-01 01:30:00+02:00");
    CHECK(format_timestamp(ts) == "2024-02-29 23:30:00+00:00");
    CHECK(parse_timestamp("2024-02-29 23:30:00Z") == ts);
    CHECK(parse_timestamp("2024-02-29 23:30:00") == ts);  // no offset: UTC
}

TEST_CASE("UUID: parse and format", "[values]") {
    auto u = Uuid::parse("123e4567-e89b-12d3-a456-426614174000");
    CHECK(u.str() == "123e4567-e89b-12d3-a456-426614174000");
    CHECK(u.hex() == "123e4567e89b12d3a456426614174000");
    CHECK(Uuid::parse(u.hex()) == u);
    CHECK_THROWS_AS(Uuid::parse("123e4567-e89b-12d3-a456-42661417400"), ArgumentError);
    CHECK_THROWS_AS(Uuid::parse("123e4567e89b-12d3a456-426614174000-"), ArgumentError);
}

TEST_CASE("value traits: conversions and their refusals", "[values]") {
    CHECK(from_value<int>(Value{std::int64_t{42}}) == 42);
    CHECK_THROWS_AS(from_value<std::int8_t>(Value{std::int64_t{300}}), ArgumentError);
    CHECK(from_value<std::optional<int>>(Value{null}) == std::nullopt);
    CHECK_THROWS_WITH(from_value<int>(Value{null}), Catch::Contains("null"));
    CHECK_THROWS_AS(from_value<std::string>(Value{std::int64_t{1}}), ArgumentError);
    CHECK(from_value<bool>(Value{std::int64_t{1}}) == true);
    CHECK(from_value<double>(Value{std::int64_t{2}}) == 2.0);
    CHECK(to_value(std::optional<std::string>{}) == Value{null});
    CHECK(to_value("abc") == Value{std::string("abc")});
    CHECK_THROWS_AS(to_value(std::uint64_t{1} << 63), ArgumentError);
}
