#include "mysql_types.hpp"

#include "retort/plugin/support/result_values.hpp"

#include <mysqld_error.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "mysql_errors.hpp"

namespace retort::mysql {

namespace {

using namespace std::chrono;

constexpr unsigned binary_charset = 63;  // the "binary" character set: BLOB, VARBINARY, BINARY

// A zero-length string or blob must still be a value: Connector/C sends NULL
// for a bind whose buffer pointer is null.
char empty_buffer[1] = {0};

void* bytes_of(const void* data, std::size_t size) {
    return size ? const_cast<void*>(data) : static_cast<void*>(empty_buffer);
}

MYSQL_TIME date_to_mysql(Date d) {
    MYSQL_TIME t{};
    t.year = static_cast<unsigned>(static_cast<int>(d.year()));
    t.month = static_cast<unsigned>(d.month());
    t.day = static_cast<unsigned>(d.day());
    t.time_type = MYSQL_TIMESTAMP_DATE;
    return t;
}

MYSQL_TIME datetime_to_mysql(microseconds since_epoch) {
    auto day_point = floor<days>(sys_time<microseconds>(since_epoch));
    year_month_day ymd{day_point};
    hh_mm_ss<microseconds> hms{sys_time<microseconds>(since_epoch) - day_point};
    MYSQL_TIME t{};
    t.year = static_cast<unsigned>(static_cast<int>(ymd.year()));
    t.month = static_cast<unsigned>(ymd.month());
    t.day = static_cast<unsigned>(ymd.day());
    t.hour = static_cast<unsigned>(hms.hours().count());
    t.minute = static_cast<unsigned>(hms.minutes().count());
    t.second = static_cast<unsigned>(hms.seconds().count());
    t.second_part = static_cast<unsigned long>(hms.subseconds().count());
    t.time_type = MYSQL_TIMESTAMP_DATETIME;
    return t;
}

MYSQL_TIME time_to_mysql(Time x) {
    long long us = x.since_midnight.count();
    MYSQL_TIME t{};
    t.neg = us < 0;
    if (us < 0) us = -us;
    long long secs = us / 1'000'000;
    // The binary protocol carries days and an hour byte: 25:00:00 is 1 day 01:00.
    t.day = static_cast<unsigned>(secs / 86400);
    t.hour = static_cast<unsigned>(secs / 3600 % 24);
    t.minute = static_cast<unsigned>(secs / 60 % 60);
    t.second = static_cast<unsigned>(secs % 60);
    t.second_part = static_cast<unsigned long>(us % 1'000'000);
    t.time_type = MYSQL_TIMESTAMP_TIME;
    return t;
}

// A zero date ('0000-00-00', allowed only without NO_ZERO_DATE) is no date: NULL.
Value date_from_mysql(const MYSQL_TIME& t) {
    Date d{year{static_cast<int>(t.year)}, month{t.month}, day{t.day}};
    if (!d.ok()) return null;
    return d;
}

Value datetime_from_mysql(const MYSQL_TIME& t) {
    Date d{year{static_cast<int>(t.year)}, month{t.month}, day{t.day}};
    if (!d.ok()) return null;
    auto tp = local_days{d} + hours{t.hour} + minutes{t.minute} + seconds{t.second} + microseconds{t.second_part};
    return DateTime{tp};
}

Value time_from_mysql(const MYSQL_TIME& t) {
    // Connector/C folds the days of a TIME into `hour` (up to 838).
    long long us = ((t.hour * 3600LL + t.minute * 60LL + t.second) * 1'000'000LL) + static_cast<long long>(t.second_part);
    return Time{microseconds{t.neg ? -us : us}};
}

// BIT(n) arrives as big-endian bytes.
Value bits_to_int(const unsigned char* p, std::size_t n) {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return Decimal(std::to_string(v));
    return static_cast<std::int64_t>(v);
}

bool is_integer_type(enum_field_types t) {
    switch (t) {
        case MYSQL_TYPE_TINY:
        case MYSQL_TYPE_SHORT:
        case MYSQL_TYPE_LONG:
        case MYSQL_TYPE_INT24:
        case MYSQL_TYPE_LONGLONG:
        case MYSQL_TYPE_YEAR: return true;
        default: return false;
    }
}

}  // namespace

// ---- parameters ----------------------------------------------------------------------

ParamBinds::ParamBinds(std::span<const Value> params) : binds_(params.size()), scratch_(params.size()) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        MYSQL_BIND& b = binds_[i];
        Scratch& s = scratch_[i];
        b = MYSQL_BIND{};
        auto text = [&](const std::string& str, enum_field_types type) {
            b.buffer_type = type;
            b.buffer = bytes_of(str.data(), str.size());
            b.buffer_length = static_cast<unsigned long>(str.size());
        };
        auto owned_text = [&](std::string str, enum_field_types type) {
            s.text = std::move(str);
            text(s.text, type);
        };
        auto time = [&](MYSQL_TIME t, enum_field_types type) {
            s.time = t;
            b.buffer_type = type;
            b.buffer = &s.time;
        };
        const Value& v = params[i];
        switch (v.index()) {
            case 0: b.buffer_type = MYSQL_TYPE_NULL; break;
            case 1:
                s.tiny = std::get<bool>(v) ? 1 : 0;
                b.buffer_type = MYSQL_TYPE_TINY;
                b.buffer = &s.tiny;
                break;
            case 2:
                s.integer = std::get<std::int64_t>(v);
                b.buffer_type = MYSQL_TYPE_LONGLONG;
                b.buffer = &s.integer;
                break;
            case 3:
                s.real = std::get<double>(v);
                b.buffer_type = MYSQL_TYPE_DOUBLE;
                b.buffer = &s.real;
                break;
            case 4: text(std::get<std::string>(v), MYSQL_TYPE_STRING); break;
            case 5: {
                const Bytes& bytes = std::get<Bytes>(v);
                b.buffer_type = MYSQL_TYPE_BLOB;
                b.buffer = bytes_of(bytes.data(), bytes.size());
                b.buffer_length = static_cast<unsigned long>(bytes.size());
                break;
            }
            case 6: owned_text(std::get<Decimal>(v).str(), MYSQL_TYPE_NEWDECIMAL); break;
            case 7: time(date_to_mysql(std::get<Date>(v)), MYSQL_TYPE_DATE); break;
            case 8: time(time_to_mysql(std::get<Time>(v)), MYSQL_TYPE_TIME); break;
            case 9: time(datetime_to_mysql(std::get<DateTime>(v).time_since_epoch()), MYSQL_TYPE_DATETIME); break;
            // An instant goes into a DATETIME as its UTC date and time.
            case 10: time(datetime_to_mysql(std::get<Timestamp>(v).time_since_epoch()), MYSQL_TYPE_DATETIME); break;
            case 11: owned_text(std::get<Uuid>(v).hex(), MYSQL_TYPE_STRING); break;
            case 12: text(std::get<Json>(v).text, MYSQL_TYPE_STRING); break;
        }
    }
    static_assert(std::variant_size_v<Value> == 13, "ParamBinds handles every Value kind");
}

// ---- results (binary protocol) -----------------------------------------------------------

RowReader::RowReader(MYSQL_STMT* stmt) : stmt_(stmt) {
    unsigned n = mysql_stmt_field_count(stmt);
    // The metadata as of the last execute: Connector/C refreshes stmt->fields
    // there (a `SELECT ?` changes type with its parameter), unlike
    // mysql_stmt_result_metadata's copy, which would cost an allocation per call.
    const MYSQL_FIELD* fields = stmt->fields;
    columns_.resize(n);
    binds_.resize(n);
    names_.reserve(n);
    for (unsigned i = 0; i < n; ++i) {
        const MYSQL_FIELD& f = fields[i];
        names_.emplace_back(f.name ? std::string(f.name, f.name_length) : std::string());
        Column& c = columns_[i];
        MYSQL_BIND& b = binds_[i];
        b = MYSQL_BIND{};
        b.length = &c.length;
        b.is_null = &c.is_null;
        b.error = &c.error;
        auto variable = [&](ReadAs as, enum_field_types type) {
            c.as = as;
            b.buffer_type = type;
            b.buffer = c.buffer;
            b.buffer_length = inline_size;
        };
        auto time = [&](ReadAs as, enum_field_types type) {
            c.as = as;
            b.buffer_type = type;
            b.buffer = &c.time;
        };
        if (is_integer_type(f.type)) {
            c.as = (f.flags & UNSIGNED_FLAG) ? ReadAs::unsigned_integer : ReadAs::integer;
            b.buffer_type = MYSQL_TYPE_LONGLONG;
            b.buffer = &c.integer;
            b.is_unsigned = (f.flags & UNSIGNED_FLAG) ? 1 : 0;
            continue;
        }
        switch (f.type) {
            case MYSQL_TYPE_NULL: variable(ReadAs::null, MYSQL_TYPE_STRING); break;
            case MYSQL_TYPE_FLOAT:
                c.as = ReadAs::float_;
                b.buffer_type = MYSQL_TYPE_FLOAT;
                b.buffer = &c.real32;
                break;
            case MYSQL_TYPE_DOUBLE:
                c.as = ReadAs::double_;
                b.buffer_type = MYSQL_TYPE_DOUBLE;
                b.buffer = &c.real64;
                break;
            case MYSQL_TYPE_DECIMAL:
            case MYSQL_TYPE_NEWDECIMAL: variable(ReadAs::decimal, MYSQL_TYPE_STRING); break;
            case MYSQL_TYPE_DATE:
            case MYSQL_TYPE_NEWDATE: time(ReadAs::date, MYSQL_TYPE_DATE); break;
            case MYSQL_TYPE_TIME: time(ReadAs::time, MYSQL_TYPE_TIME); break;
            case MYSQL_TYPE_DATETIME:
            case MYSQL_TYPE_TIMESTAMP: time(ReadAs::datetime, MYSQL_TYPE_DATETIME); break;
            case MYSQL_TYPE_BIT: variable(ReadAs::bit, MYSQL_TYPE_BLOB); break;
            // MySQL 8's JSON reports the binary character set but holds utf8mb4 text.
            case MYSQL_TYPE_JSON: variable(ReadAs::text, MYSQL_TYPE_STRING); break;
            default:
                if (f.charsetnr == binary_charset) variable(ReadAs::bytes, MYSQL_TYPE_BLOB);
                else variable(ReadAs::text, MYSQL_TYPE_STRING);
                break;
        }
    }
    if (n && mysql_stmt_bind_result(stmt, binds_.data()))
        throw_dbapi_error(ErrorKind::internal, statement_diagnostics(stmt, ""));
}

template <class Out>
Out RowReader::fetch_whole(std::size_t i) {
    Column& c = columns_[i];
    if (c.length <= inline_size) return Out(c.buffer, c.buffer + c.length);
    // Too long for the bound buffer: copy it from the row the library holds,
    // straight into the value's own storage.
    Out out(c.length, typename Out::value_type{});
    MYSQL_BIND b{};
    unsigned long length = 0;
    my_bool is_null = 0, error = 0;
    b.buffer_type = binds_[i].buffer_type;
    b.buffer = out.data();
    b.buffer_length = c.length;
    b.length = &length;
    b.is_null = &is_null;
    b.error = &error;
    if (mysql_stmt_fetch_column(stmt_, &b, static_cast<unsigned>(i), 0))
        throw_dbapi_error(ErrorKind::internal, statement_diagnostics(stmt_, ""));
    out.resize(std::min<unsigned long>(length, c.length));
    return out;
}

void RowReader::read_row(std::vector<Value>& out) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        Column& c = columns_[i];
        if (c.is_null) {
            out.emplace_back(null);
            continue;
        }
        switch (c.as) {
            case ReadAs::null: out.emplace_back(null); break;
            case ReadAs::integer: out.emplace_back(static_cast<std::int64_t>(c.integer)); break;
            case ReadAs::unsigned_integer: {
                auto u = static_cast<unsigned long long>(c.integer);
                if (u > static_cast<unsigned long long>(std::numeric_limits<std::int64_t>::max()))
                    out.emplace_back(Decimal(std::to_string(u)));  // BIGINT UNSIGNED beyond int64: exact, as a decimal
                else
                    out.emplace_back(static_cast<std::int64_t>(u));
                break;
            }
            case ReadAs::float_: out.emplace_back(static_cast<double>(c.real32)); break;
            case ReadAs::double_: out.emplace_back(c.real64); break;
            case ReadAs::decimal: out.emplace_back(Decimal(fetch_whole<std::string>(i))); break;
            case ReadAs::text: out.emplace_back(fetch_whole<std::string>(i)); break;
            case ReadAs::bytes: out.emplace_back(fetch_whole<Bytes>(i)); break;
            case ReadAs::bit: {
                Bytes b = fetch_whole<Bytes>(i);
                out.push_back(bits_to_int(b.data(), b.size()));
                break;
            }
            case ReadAs::date: out.push_back(date_from_mysql(c.time)); break;
            case ReadAs::time: out.push_back(time_from_mysql(c.time)); break;
            case ReadAs::datetime: out.push_back(datetime_from_mysql(c.time)); break;
        }
    }
}

// ---- results (text protocol) -----------------------------------------------------------

namespace {

// MySQL's TIME text: [-]h+:mm:ss[.ffffff], hours up to 838.
std::optional<Time> parse_mysql_time(std::string_view s) {
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.remove_prefix(1);
    long long h = 0, m = 0, sec = 0, frac = 0;
    const char* p = s.data();
    const char* end = s.data() + s.size();
    auto num = [&](long long& out) {
        auto r = std::from_chars(p, end, out);
        if (r.ec != std::errc{}) return false;
        p = r.ptr;
        return true;
    };
    if (!num(h) || p == end || *p++ != ':' || !num(m) || p == end || *p++ != ':' || !num(sec)) return std::nullopt;
    if (p != end) {
        if (*p++ != '.') return std::nullopt;
        int digits = 0;
        for (; p != end && digits < 6; ++p, ++digits) {
            if (*p < '0' || *p > '9') return std::nullopt;
            frac = frac * 10 + (*p - '0');
        }
        for (; digits < 6; ++digits) frac *= 10;
    }
    long long us = (h * 3600 + m * 60 + sec) * 1'000'000 + frac;
    return Time{microseconds{neg ? -us : us}};
}

}  // namespace

Value text_value(const MYSQL_FIELD& f, const char* data, unsigned long length) {
    if (!data) return null;
    std::string_view s(data, length);
    if (is_integer_type(f.type)) {
        std::int64_t v = 0;
        auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec == std::errc{} && r.ptr == s.data() + s.size()) return v;
        return Decimal(s);  // BIGINT UNSIGNED beyond int64
    }
    try {
        switch (f.type) {
            case MYSQL_TYPE_NULL: return null;
            case MYSQL_TYPE_FLOAT:
            case MYSQL_TYPE_DOUBLE: return std::strtod(std::string(s).c_str(), nullptr);
            case MYSQL_TYPE_DECIMAL:
            case MYSQL_TYPE_NEWDECIMAL: return Decimal(s);
            case MYSQL_TYPE_DATE:
            case MYSQL_TYPE_NEWDATE:
                if (s.starts_with("0000-00-00")) return null;
                return parse_date(s);
            case MYSQL_TYPE_TIME:
                if (auto t = parse_mysql_time(s)) return *t;
                return std::string(s);
            case MYSQL_TYPE_DATETIME:
            case MYSQL_TYPE_TIMESTAMP:
                if (s.starts_with("0000-00-00")) return null;
                return parse_datetime(s);
            case MYSQL_TYPE_BIT: return bits_to_int(reinterpret_cast<const unsigned char*>(data), length);
            case MYSQL_TYPE_JSON: return std::string(s);
            default:
                if (f.charsetnr == binary_charset) return Bytes(s.begin(), s.end());
                return std::string(s);
        }
    } catch (const ArgumentError&) {
        return std::string(s);  // a value the server printed in a form we do not parse: keep its text
    }
}

// Not the compiler's literal(): that one renders DDL without a connection,
// while a value sent in place of a parameter must be escaped by the connection
// itself (mysql_real_escape_string knows its character set and SQL mode).
std::string sql_literal(MYSQL* m, const Value& v) {
    auto quoted = [&](std::string_view s) {
        std::string out(s.size() * 2 + 3, '\0');
        out[0] = '\'';
        unsigned long n = mysql_real_escape_string(m, out.data() + 1, s.data(), static_cast<unsigned long>(s.size()));
        out.resize(n + 1);
        out += '\'';
        return out;
    };
    struct Render {
        decltype(quoted)& q;
        std::string operator()(Null) const { return "NULL"; }
        std::string operator()(bool b) const { return b ? "1" : "0"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.17g", d);
            return buf;
        }
        std::string operator()(const std::string& s) const { return q(s); }
        std::string operator()(const Bytes& b) const {
            static const char* hex = "0123456789ABCDEF";
            std::string out = "X'";
            for (auto byte : b) {
                out += hex[byte >> 4];
                out += hex[byte & 15];
            }
            return out + "'";
        }
        std::string operator()(const Decimal& d) const { return d.str(); }
        std::string operator()(Date d) const { return "'" + format_date(d) + "'"; }
        std::string operator()(Time t) const { return "'" + format_time(t) + "'"; }
        std::string operator()(DateTime t) const { return "'" + format_datetime(t) + "'"; }
        std::string operator()(Timestamp t) const { return "'" + format_datetime(DateTime{t.time_since_epoch()}) + "'"; }
        std::string operator()(const Uuid& u) const { return "'" + u.hex() + "'"; }
        std::string operator()(const Json& j) const { return q(j.text); }
    };
    return std::visit(Render{quoted}, v);
}

// ---- result converters ------------------------------------------------------------------

namespace {

// TIME is a duration in MySQL ("-838:59:59" to "838:59:59"): its own parser.
void to_time(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) {
        if (auto t = parse_mysql_time(*s)) v = *t;
    }
}

}  // namespace

plugin::ValueConverter result_converter(const SqlType& t) {
    if (t.kind == TypeKind::time) return to_time;
    return plugin::support::standard_result_converter(t);
}

}  // namespace retort::mysql
