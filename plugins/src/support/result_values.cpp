#include "retort/plugin/support/result_values.hpp"

#include <charconv>
#include <cmath>

namespace retort::plugin::support {
namespace {

std::optional<std::int64_t> whole(const Decimal& d) {
    const std::string& s = d.str();
    auto dot = s.find('.');
    if (dot != std::string::npos && s.find_first_not_of('0', dot + 1) != std::string::npos) return std::nullopt;
    std::int64_t v = 0;
    auto end = s.data() + (dot == std::string::npos ? s.size() : dot);
    auto r = std::from_chars(s.data(), end, v);
    if (r.ec != std::errc{} || r.ptr != end) return std::nullopt;
    return v;
}

std::string shortest(double d) {
    char buf[32];
    return std::string(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
}


void to_integer(Value& v, const SqlType&) {
    if (auto d = std::get_if<Decimal>(&v)) {
        if (auto i = whole(*d)) v = *i;
    } else if (auto f = std::get_if<double>(&v)) {
        if (std::nearbyint(*f) == *f && std::fabs(*f) < 9.2e18) v = static_cast<std::int64_t>(*f);
    } else if (auto s = std::get_if<std::string>(&v)) {
        std::int64_t i = 0;
        auto r = std::from_chars(s->data(), s->data() + s->size(), i);
        if (r.ec == std::errc{} && r.ptr == s->data() + s->size()) v = i;
    }
}

void to_bool(Value& v, const SqlType&) {
    if (auto i = std::get_if<std::int64_t>(&v)) v = *i != 0;
    else if (auto d = std::get_if<Decimal>(&v)) v = d->to_double() != 0;
}

void to_double(Value& v, const SqlType&) {
    if (auto i = std::get_if<std::int64_t>(&v)) v = static_cast<double>(*i);
    else if (auto d = std::get_if<Decimal>(&v)) v = d->to_double();
    else if (auto s = std::get_if<std::string>(&v)) {
        // Whole text only, whatever the locale: anything else stays text, and
        // reading it as a number is then the application's conversion error.
        double d = 0;
        auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
        if (ec == std::errc{} && end == s->data() + s->size()) v = d;
    }
}

void to_decimal(Value& v, const SqlType& t) {
    Decimal d;
    if (auto p = std::get_if<Decimal>(&v)) d = *p;
    else if (auto i = std::get_if<std::int64_t>(&v)) d = Decimal(*i);
    else if (auto f = std::get_if<double>(&v)) d = Decimal(shortest(*f));  // exact: the type's scale rounds it
    else if (auto s = std::get_if<std::string>(&v)) d = Decimal(*s);
    else return;
    v = t.scale > 0 ? d.with_scale(t.scale) : d;
}

void to_string_value(Value& v, const SqlType&) {
    if (auto i = std::get_if<std::int64_t>(&v)) v = std::to_string(*i);
    else if (auto f = std::get_if<double>(&v)) v = shortest(*f);
    else if (auto d = std::get_if<Decimal>(&v)) v = d->str();
    else if (auto b = std::get_if<Bytes>(&v)) v = std::string(b->begin(), b->end());
    else if (auto j = std::get_if<Json>(&v)) v = std::move(j->text);
    else if (auto u = std::get_if<Uuid>(&v)) v = u->str();
}

void to_bytes(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Bytes(s->begin(), s->end());
}

void to_date(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = parse_date(*s);
    else if (auto dt = std::get_if<DateTime>(&v)) v = Date{std::chrono::floor<std::chrono::days>(*dt)};
}

void to_time(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = parse_time(*s);
}

void to_datetime(Value& v, const SqlType& t) {
    if (auto s = std::get_if<std::string>(&v)) v = t.timezone ? Value(parse_timestamp(*s)) : Value(parse_datetime(*s));
    else if (auto d = std::get_if<Date>(&v)) v = DateTime{std::chrono::local_days{*d}.time_since_epoch()};
    if (t.timezone) {
        if (auto dt = std::get_if<DateTime>(&v)) v = Timestamp{dt->time_since_epoch()};
    } else if (auto ts = std::get_if<Timestamp>(&v)) {
        v = DateTime{ts->time_since_epoch()};
    }
}

void to_uuid(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Uuid::parse(*s);
    else if (auto b = std::get_if<Bytes>(&v)) {
        if (b->size() == 16) {
            Uuid u;
            std::copy(b->begin(), b->end(), u.bytes.begin());
            v = u;
        } else {
            v = Uuid::parse(std::string_view(reinterpret_cast<const char*>(b->data()), b->size()));
        }
    }
}

void to_json(Value& v, const SqlType&) {
    if (auto s = std::get_if<std::string>(&v)) v = Json{std::move(*s)};
    else if (auto b = std::get_if<Bytes>(&v)) v = Json{std::string(b->begin(), b->end())};
    // A number stored by a loosely typed database (SQLite's NUMERIC affinity) is still a document.
    else if (auto i = std::get_if<std::int64_t>(&v)) v = Json{std::to_string(*i)};
    else if (auto f = std::get_if<double>(&v)) v = Json{shortest(*f)};
}

}  // namespace

ValueConverter standard_result_converter(const SqlType& t) {
    switch (t.kind) {
        case TypeKind::integer:
        case TypeKind::big_integer:
        case TypeKind::small_integer: return to_integer;
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
        case TypeKind::null_type: return nullptr;
    }
    return nullptr;
}

}  // namespace retort::plugin::support
