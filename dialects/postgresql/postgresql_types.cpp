#include "postgresql_types.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "retort/error.hpp"

namespace retort::postgresql {

// Type OIDs from the server's pg_type.dat; stable across versions.
namespace oid {
constexpr Oid boolean = 16, bytea = 17, char_ = 18, name = 19, int8 = 20, int2 = 21, int4 = 23, text = 25,
              oid = 26, json = 114, xml = 142, float4 = 700, float8 = 701, unknown = 705, bpchar = 1042,
              varchar = 1043, date = 1082, time = 1083, timestamp = 1114, timestamptz = 1184, numeric = 1700,
              uuid = 2950, jsonb = 3802;
}

namespace {

using namespace std::chrono;

// PostgreSQL counts dates and timestamps from 2000-01-01.
constexpr sys_days pg_epoch = sys_days{year{2000} / January / 1};

[[noreturn]] void data_error(std::string message) {
    throw DataError(Diagnostics{0, "", std::move(message), ""});
}

std::string format_double(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest text that reads back exactly
    return std::string(buf, r.ptr);
}

// ---- binary format -------------------------------------------------------------------

template <class T>
T read_be(const char* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) {
        auto u = std::bit_cast<std::make_unsigned_t<T>>(v);
        if constexpr (sizeof(T) == 2) u = static_cast<decltype(u)>(__builtin_bswap16(u));
        else if constexpr (sizeof(T) == 4) u = __builtin_bswap32(u);
        else u = __builtin_bswap64(u);
        v = std::bit_cast<T>(u);
    }
    return v;
}

void expect_size(int len, int size, const char* type) {
    if (len != size) data_error(std::string("malformed binary ") + type + " value from the server");
}

// NUMERIC on the wire: digit count, weight (power of 10000 of the first
// digit), sign, display scale, then base-10000 digits.
Decimal decode_numeric(const char* p, int len) {
    if (len < 8) data_error("malformed binary numeric value from the server");
    int ndigits = read_be<std::int16_t>(p), weight = read_be<std::int16_t>(p + 2);
    auto sign = static_cast<std::uint16_t>(read_be<std::int16_t>(p + 4));
    int dscale = read_be<std::int16_t>(p + 6);
    if (sign == 0xC000) data_error("PostgreSQL returned NaN, which a Decimal cannot hold");
    if (sign == 0xD000 || sign == 0xF000) data_error("PostgreSQL returned an infinite numeric, which a Decimal cannot hold");
    if (len != 8 + 2 * ndigits) data_error("malformed binary numeric value from the server");
    auto digit = [&](int i) { return i >= 0 && i < ndigits ? read_be<std::int16_t>(p + 8 + 2 * i) : 0; };
    std::string s;
    if (sign == 0x4000) s += '-';
    char buf[8];
    if (weight < 0) s += '0';
    for (int i = 0; i <= weight; ++i) {
        if (i == 0) s += std::to_string(digit(0));
        else {
            std::snprintf(buf, sizeof buf, "%04d", digit(i));
            s += buf;
        }
    }
    if (dscale > 0) {
        std::string frac;
        for (int i = weight + 1; static_cast<int>(frac.size()) < dscale; ++i) {
            std::snprintf(buf, sizeof buf, "%04d", digit(i));
            frac += buf;
        }
        frac.resize(static_cast<std::size_t>(dscale));
        s += '.';
        s += frac;
    }
    return Decimal(s);
}

microseconds pg_micros(std::int64_t us, const char* type) {
    if (us == std::numeric_limits<std::int64_t>::max() || us == std::numeric_limits<std::int64_t>::min())
        data_error(std::string("PostgreSQL returned an infinite ") + type + ", which Retort cannot hold");
    return microseconds{us};
}

Value decode_binary(Oid type, const char* p, int len) {
    switch (type) {
        case oid::boolean: expect_size(len, 1, "boolean"); return *p != 0;
        case oid::int2: expect_size(len, 2, "smallint"); return std::int64_t{read_be<std::int16_t>(p)};
        case oid::int4: expect_size(len, 4, "integer"); return std::int64_t{read_be<std::int32_t>(p)};
        case oid::int8: expect_size(len, 8, "bigint"); return std::int64_t{read_be<std::int64_t>(p)};
        case oid::oid: expect_size(len, 4, "oid"); return std::int64_t{read_be<std::uint32_t>(p)};
        case oid::float4: expect_size(len, 4, "real"); return double{std::bit_cast<float>(read_be<std::uint32_t>(p))};
        case oid::float8: expect_size(len, 8, "double"); return std::bit_cast<double>(read_be<std::uint64_t>(p));
        case oid::numeric: return decode_numeric(p, len);
        case oid::bytea: return Bytes(reinterpret_cast<const std::uint8_t*>(p), reinterpret_cast<const std::uint8_t*>(p) + len);
        case oid::jsonb:
            // A version byte (1) precedes the text.
            if (len < 1 || *p != 1) data_error("unsupported binary jsonb version from the server");
            return std::string(p + 1, static_cast<std::size_t>(len - 1));
        case oid::uuid: {
            expect_size(len, 16, "uuid");
            Uuid u;
            std::memcpy(u.bytes.data(), p, 16);
            return u;
        }
        case oid::date: {
            expect_size(len, 4, "date");
            auto d = read_be<std::int32_t>(p);
            if (d == std::numeric_limits<std::int32_t>::max() || d == std::numeric_limits<std::int32_t>::min())
                data_error("PostgreSQL returned an infinite date, which Retort cannot hold");
            return Date{pg_epoch + days{d}};
        }
        case oid::time: expect_size(len, 8, "time"); return Time{microseconds{read_be<std::int64_t>(p)}};
        case oid::timestamp:
            expect_size(len, 8, "timestamp");
            return DateTime{(pg_epoch + pg_micros(read_be<std::int64_t>(p), "timestamp")).time_since_epoch()};
        case oid::timestamptz:
            expect_size(len, 8, "timestamptz");
            return Timestamp{pg_epoch + pg_micros(read_be<std::int64_t>(p), "timestamp")};
        default: return std::string(p, static_cast<std::size_t>(len));  // the text-like types
    }
}

// ---- text format ---------------------------------------------------------------------

std::int64_t parse_integer(std::string_view s) {
    std::int64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || ptr != s.data() + s.size()) data_error("malformed integer '" + std::string(s) + "' from the server");
    return v;
}

Bytes parse_bytea_hex(std::string_view s) {
    if (s.size() < 2 || s[0] != '\\' || s[1] != 'x' || s.size() % 2) data_error("unexpected bytea text format from the server");
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    Bytes out;
    out.reserve((s.size() - 2) / 2);
    for (std::size_t i = 2; i < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(nibble(s[i]) << 4 | nibble(s[i + 1])));
    return out;
}

Value decode_text(Oid type, std::string_view s) {
    try {
        switch (type) {
            case oid::boolean: return s == "t";
            case oid::int2:
            case oid::int4:
            case oid::int8:
            case oid::oid: return parse_integer(s);
            case oid::float4:
            case oid::float8: {
                if (s == "NaN") return std::nan("");
                if (s == "Infinity") return HUGE_VAL;
                if (s == "-Infinity") return -HUGE_VAL;
                double d = 0;
                auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
                if (ec != std::errc{} || ptr != s.data() + s.size()) data_error("malformed float '" + std::string(s) + "' from the server");
                return d;
            }
            case oid::numeric: return Decimal(s);
            case oid::bytea: return parse_bytea_hex(s);
            case oid::uuid: return Uuid::parse(s);
            case oid::date: return parse_date(s);
            case oid::time: return parse_time(s);
            case oid::timestamp: return parse_datetime(s);
            case oid::timestamptz: return parse_timestamp(s);
            default: return std::string(s);
        }
    } catch (const ArgumentError& e) {
        // NaN and infinities have no Retort form; anything else is a format surprise.
        data_error(std::string("cannot read a value PostgreSQL returned: ") + e.what());
    }
}

}  // namespace

// ---- parameters ------------------------------------------------------------------------

Oid parameter_type(const Value& v) {
    struct Typer {
        Oid operator()(Null) const { return 0; }
        Oid operator()(bool) const { return oid::boolean; }
        Oid operator()(std::int64_t) const { return oid::int8; }
        Oid operator()(double) const { return oid::float8; }
        Oid operator()(const std::string&) const { return 0; }
        Oid operator()(const Bytes&) const { return oid::bytea; }
        Oid operator()(const Decimal&) const { return oid::numeric; }
        Oid operator()(Date) const { return oid::date; }
        Oid operator()(Time) const { return oid::time; }
        Oid operator()(DateTime) const { return oid::timestamp; }
        Oid operator()(Timestamp) const { return oid::timestamptz; }
        Oid operator()(const Uuid&) const { return oid::uuid; }
        Oid operator()(const Json&) const { return 0; }
    };
    return std::visit(Typer{}, v);
}

EncodedParams::EncodedParams(std::span<const Value> params) {
    const std::size_t n = params.size();
    storage_.resize(n);
    types_.resize(n);
    values_.resize(n);
    lengths_.resize(n);
    formats_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Value& v = params[i];
        types_[i] = parameter_type(v);
        if (is_null(v)) {
            values_[i] = nullptr;
            continue;
        }
        if (auto b = std::get_if<Bytes>(&v)) {
            // Binary: the bytes themselves, no escaping. An empty vector's data()
            // may be null, which libpq would send as NULL rather than as no bytes.
            static const char empty = 0;
            values_[i] = b->empty() ? &empty : reinterpret_cast<const char*>(b->data());
            lengths_[i] = static_cast<int>(b->size());
            formats_[i] = 1;
            continue;
        }
        // Text parameters are NUL-terminated (libpq ignores their length):
        // an embedded NUL would silently cut the value short.
        if (auto s = std::get_if<std::string>(&v)) {
            if (s->find('\0') != std::string::npos) data_error("PostgreSQL text cannot contain NUL characters (parameter " + std::to_string(i + 1) + ")");
            values_[i] = s->c_str();
            continue;
        }
        std::string& text = storage_[i];
        struct Formatter {
            std::string& out;
            void operator()(Null) {}
            void operator()(bool b) { out = b ? "t" : "f"; }
            void operator()(std::int64_t x) { out = std::to_string(x); }
            void operator()(double d) { out = format_double(d); }
            void operator()(const std::string&) {}
            void operator()(const Bytes&) {}
            void operator()(const Decimal& d) { out = d.str(); }
            void operator()(Date d) { out = format_date(d); }
            void operator()(Time t) { out = format_time(t); }
            void operator()(DateTime t) { out = format_datetime(t); }
            void operator()(Timestamp t) { out = format_timestamp(t); }
            void operator()(const Uuid& u) { out = u.str(); }
            void operator()(const Json& j) { out = j.text; }
        };
        std::visit(Formatter{text}, v);
        if (text.find('\0') != std::string::npos) data_error("PostgreSQL text cannot contain NUL characters (parameter " + std::to_string(i + 1) + ")");
        values_[i] = text.c_str();
    }
}

// ---- results ---------------------------------------------------------------------------

bool has_binary_decoder(Oid type) {
    switch (type) {
        case oid::boolean: case oid::bytea: case oid::char_: case oid::name: case oid::int8: case oid::int2:
        case oid::int4: case oid::text: case oid::oid: case oid::json: case oid::xml: case oid::float4:
        case oid::float8: case oid::unknown: case oid::bpchar: case oid::varchar: case oid::date: case oid::time:
        case oid::timestamp: case oid::timestamptz: case oid::numeric: case oid::uuid: case oid::jsonb:
            return true;
        default:
            return false;
    }
}

Value decode(const PGresult* res, int row, int col) {
    if (PQgetisnull(res, row, col)) return null;
    const char* p = PQgetvalue(res, row, col);
    int len = PQgetlength(res, row, col);
    Oid type = PQftype(res, col);
    if (PQfformat(res, col) == 1) return decode_binary(type, p, len);
    return decode_text(type, std::string_view(p, static_cast<std::size_t>(len)));
}

// The result's column names, and its rows appended to `out` (row-major).
std::vector<std::string> column_names(const PGresult* r) {
    std::vector<std::string> names;
    int n = PQnfields(r);
    names.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) names.emplace_back(PQfname(r, i));
    return names;
}

void append_rows(const PGresult* r, std::vector<Value>& out) {
    int rows = PQntuples(r), width = PQnfields(r);
    out.reserve(out.size() + static_cast<std::size_t>(rows) * static_cast<std::size_t>(width));
    for (int row = 0; row < rows; ++row)
        for (int c = 0; c < width; ++c) out.push_back(decode(r, row, c));
}

}  // namespace retort::postgresql
