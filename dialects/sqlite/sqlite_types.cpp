#include "sqlite_types.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace retort::sqlite {

namespace {

int bind_text(sqlite3_stmt* s, int i, const std::string& text, bool copy) {
    return sqlite3_bind_text64(s, i, text.data(), text.size(), copy ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8);
}

}  // namespace

int bind_value(sqlite3_stmt* s, int i, const Value& v, bool copy) {
    struct Binder {
        sqlite3_stmt* s;
        int i;
        bool copy;
        int operator()(Null) const { return sqlite3_bind_null(s, i); }
        int operator()(bool b) const { return sqlite3_bind_int(s, i, b ? 1 : 0); }
        int operator()(std::int64_t n) const { return sqlite3_bind_int64(s, i, n); }
        int operator()(double d) const { return sqlite3_bind_double(s, i, d); }
        int operator()(const std::string& t) const { return bind_text(s, i, t, copy); }
        int operator()(const Bytes& b) const {
            // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
            static const unsigned char empty = 0;
            return sqlite3_bind_blob64(s, i, b.empty() ? &empty : b.data(), b.size(), copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
        }
        // Text built here is temporary: SQLite must always copy it.
        int operator()(const Decimal& d) const { return bind_text(s, i, d.str(), true); }
        int operator()(Date d) const { return bind_text(s, i, format_date(d), true); }
        int operator()(Time t) const { return bind_text(s, i, format_time(t), true); }
        int operator()(DateTime t) const { return bind_text(s, i, format_datetime(t), true); }
        // An instant is stored as its UTC date and time, without an offset.
        int operator()(Timestamp t) const { return bind_text(s, i, format_datetime(DateTime{t.time_since_epoch()}), true); }
        int operator()(const Uuid& u) const { return bind_text(s, i, u.hex(), true); }
        int operator()(const Json& j) const { return bind_text(s, i, j.text, copy); }
    };
    return std::visit(Binder{s, i, copy}, v);
}

Value column_value(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
        case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(s, i)};
        case SQLITE_FLOAT: return sqlite3_column_double(s, i);
        case SQLITE_TEXT: {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
            return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
        }
        case SQLITE_BLOB: {
            auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
            return Bytes(p, p + sqlite3_column_bytes(s, i));
        }
        default: return null;
    }
}

namespace {

std::string number_text(const Value& v) {
    if (auto i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
    if (auto d = std::get_if<double>(&v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", *d);
        return buf;
    }
    if (auto s = std::get_if<std::string>(&v)) return *s;
    return {};
}

void to_bool(Value& v, const SqlType&) {
    if (auto i = std::get_if<std::int64_t>(&v)) v = *i != 0;
}

void to_double(Value& v, const SqlType&) {
    if (auto i = std::get_if<std::int64_t>(&v)) v = static_cast<double>(*i);
}

void to_decimal(Value& v, const SqlType& t) {
    std::string text = number_text(v);
    if (text.empty()) return;
    Decimal d(text);
    v = t.scale > 0 ? d.with_scale(t.scale) : d;
}

void to_string_value(Value& v, const SqlType&) {
    if (std::holds_alternative<std::int64_t>(v) || std::holds_alternative<double>(v)) v = number_text(v);
}

void to_bytes(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Bytes(s->begin(), s->end());
}

void to_date(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = parse_date(*s);
}

void to_time(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = parse_time(*s);
}

void to_datetime(Value& v, const SqlType& t) {
    if (auto s = std::get_if<std::string>(&v)) {
        if (t.timezone) v = parse_timestamp(*s);
        else v = parse_datetime(*s);
    }
}

void to_uuid(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Uuid::parse(*s);
    else if (auto b = std::get_if<Bytes>(&v); b && b->size() == 16) {
        Uuid u;
        std::copy(b->begin(), b->end(), u.bytes.begin());
        v = u;
    }
}

void to_json(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Json{std::move(*s)};
    // A column declared "JSON" by an older schema (NUMERIC affinity) gives
    // numbers back for numeric documents: they are still JSON.
    else if (auto i = std::get_if<std::int64_t>(&v)) v = Json{std::to_string(*i)};
    else if (auto d = std::get_if<double>(&v)) {
        char buf[32];
        auto end = std::to_chars(buf, buf + sizeof buf, *d).ptr;
        v = Json{std::string(buf, end)};
    }
}

}  // namespace

plugin::ValueConverter result_converter(const SqlType& t) {
    switch (t.kind) {
        case TypeKind::boolean: return to_bool;
        case TypeKind::float_:
        case TypeKind::double_: return to_double;
        case TypeKind::numeric: return to_decimal;
        case TypeKind::string:
        case TypeKind::text: return to_string_value;
        case TypeKind::large_binary: return to_bytes;
        case TypeKind::date: return to_date;
        case TypeKind::time: return to_time;
        case TypeKind::datetime: return to_datetime;
        case TypeKind::uuid: return to_uuid;
        case TypeKind::json: return to_json;
        default: return nullptr;
    }
}

}  // namespace retort::sqlite
