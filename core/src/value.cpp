#include "retort/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <vector>

#include "retort/error.hpp"

namespace retort {

namespace {

[[noreturn]] void bad(std::string_view what, std::string_view text) {
    throw ArgumentError("invalid " + std::string(what) + " '" + std::string(text) + "'");
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Parses a fixed run of digits at s[pos..pos+n); returns -1 on failure.
int digits_at(std::string_view s, std::size_t pos, std::size_t n) {
    if (pos + n > s.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

}  // namespace

// ---- Decimal ---------------------------------------------------------------

Decimal::Decimal(std::string_view text) {
    std::string_view s = text;
    bool neg = false;
    if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s.remove_prefix(1);
    }
    long exponent = 0;
    if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
        std::string_view ex = s.substr(e + 1);
        bool eneg = false;
        if (!ex.empty() && (ex[0] == '+' || ex[0] == '-')) {
            eneg = ex[0] == '-';
            ex.remove_prefix(1);
        }
        if (!all_digits(ex) || ex.size() > 6) bad("decimal", text);
        exponent = std::stol(std::string(ex)) * (eneg ? -1 : 1);
        s = s.substr(0, e);
    }
    std::string_view int_part = s, frac_part;
    if (auto dot = s.find('.'); dot != std::string_view::npos) {
        int_part = s.substr(0, dot);
        frac_part = s.substr(dot + 1);
        if (!frac_part.empty() && !all_digits(frac_part)) bad("decimal", text);
    }
    if (!int_part.empty() && !all_digits(int_part)) bad("decimal", text);
    if (int_part.empty() && frac_part.empty()) bad("decimal", text);

    std::string digits = std::string(int_part) + std::string(frac_part);
    long point = static_cast<long>(int_part.size()) + exponent;  // digits before the point
    if (point < 0) {
        digits.insert(0, static_cast<std::size_t>(-point), '0');
        point = 0;
    }
    if (point > static_cast<long>(digits.size())) digits.append(static_cast<std::size_t>(point) - digits.size(), '0');
    std::string ip = digits.substr(0, static_cast<std::size_t>(point));
    std::string fp = digits.substr(static_cast<std::size_t>(point));
    std::size_t nz = ip.find_first_not_of('0');
    ip = nz == std::string::npos ? "0" : ip.substr(nz);
    text_ = ip;
    if (!fp.empty()) text_ += "." + fp;
    bool zero = text_.find_first_not_of("0.") == std::string::npos;
    if (neg && !zero) text_.insert(0, "-");
}

Decimal Decimal::with_scale(int scale) const {
    std::string s = text_;
    bool neg = !s.empty() && s[0] == '-';
    if (neg) s.erase(0, 1);
    auto dot = s.find('.');
    std::string ip = dot == std::string::npos ? s : s.substr(0, dot);
    std::string fp = dot == std::string::npos ? "" : s.substr(dot + 1);
    bool round_up = false;
    if (static_cast<int>(fp.size()) > scale) {
        round_up = fp[static_cast<std::size_t>(scale)] >= '5';
        fp.resize(static_cast<std::size_t>(scale));
    } else {
        fp.append(static_cast<std::size_t>(scale) - fp.size(), '0');
    }
    std::string all = ip + fp;
    if (round_up) {
        int i = static_cast<int>(all.size()) - 1;
        while (i >= 0 && all[static_cast<std::size_t>(i)] == '9') all[static_cast<std::size_t>(i--)] = '0';
        if (i < 0) all.insert(0, "1");
        else ++all[static_cast<std::size_t>(i)];
    }
    std::string out = all.substr(0, all.size() - fp.size());
    if (out.empty()) out = "0";
    if (scale > 0) out += "." + all.substr(all.size() - fp.size());
    return Decimal((neg ? "-" : "") + out);
}

double Decimal::to_double() const { return std::strtod(text_.c_str(), nullptr); }

namespace {

/// A decimal as sign, magnitude digits (no leading zeros, "0" for zero) and scale.
struct Unpacked {
    bool neg = false;
    std::string digits;  ///< the value times 10^scale
    int scale = 0;
};

Unpacked unpack(const std::string& text) {
    Unpacked u;
    std::string_view s = text;
    if (!s.empty() && s[0] == '-') {
        u.neg = true;
        s.remove_prefix(1);
    }
    auto dot = s.find('.');
    if (dot != std::string_view::npos) u.scale = static_cast<int>(s.size() - dot - 1);
    for (char c : s)
        if (c != '.') u.digits += c;
    auto nz = u.digits.find_first_not_of('0');
    u.digits = nz == std::string::npos ? "0" : u.digits.substr(nz);
    if (u.digits == "0") u.neg = false;
    return u;
}

/// Adds zeros so that `u` has `scale` digits after the point (scale >= u.scale).
void rescale(Unpacked& u, int scale) {
    if (u.digits != "0") u.digits.append(static_cast<std::size_t>(scale - u.scale), '0');
    u.scale = scale;
}

int compare_magnitude(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
}

std::string add_magnitudes(const std::string& a, const std::string& b) {
    std::string out;
    int carry = 0;
    for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
        int d = carry;
        if (i < a.size()) d += a[a.size() - 1 - i] - '0';
        if (i < b.size()) d += b[b.size() - 1 - i] - '0';
        out += static_cast<char>('0' + d % 10);
        carry = d / 10;
    }
    std::reverse(out.begin(), out.end());
    return out;
}

/// a - b for a >= b.
std::string subtract_magnitudes(const std::string& a, const std::string& b) {
    std::string out;
    int borrow = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        int d = a[a.size() - 1 - i] - '0' - borrow;
        if (i < b.size()) d -= b[b.size() - 1 - i] - '0';
        borrow = d < 0;
        out += static_cast<char>('0' + (d + 10) % 10);
    }
    while (out.size() > 1 && out.back() == '0') out.pop_back();
    std::reverse(out.begin(), out.end());
    return out;
}

Decimal pack(bool neg, const std::string& digits, int scale) {
    std::string d = digits;
    if (static_cast<int>(d.size()) <= scale) d.insert(0, static_cast<std::size_t>(scale) - d.size() + 1, '0');
    std::string text = d.substr(0, d.size() - static_cast<std::size_t>(scale));
    if (scale > 0) text += "." + d.substr(d.size() - static_cast<std::size_t>(scale));
    return Decimal((neg ? "-" : "") + text);
}

Decimal add_signed(Unpacked a, Unpacked b) {
    int scale = std::max(a.scale, b.scale);
    rescale(a, scale);
    rescale(b, scale);
    if (a.neg == b.neg) return pack(a.neg, add_magnitudes(a.digits, b.digits), scale);
    int c = compare_magnitude(a.digits, b.digits);
    if (c == 0) return pack(false, "0", scale);
    return c > 0 ? pack(a.neg, subtract_magnitudes(a.digits, b.digits), scale)
                 : pack(b.neg, subtract_magnitudes(b.digits, a.digits), scale);
}

}  // namespace

std::int64_t integral_decimal(const Decimal& d) {
    const std::string& t = d.str();
    auto dot = t.find('.');
    if (dot != std::string::npos && t.find_first_not_of('0', dot + 1) != std::string::npos)
        throw ArgumentError("cannot read the decimal " + t + " as an integer: it has a fraction");
    std::int64_t out = 0;
    auto end = dot == std::string::npos ? t.data() + t.size() : t.data() + dot;
    auto [ptr, ec] = std::from_chars(t.data(), end, out);
    if (ec != std::errc() || ptr != end)
        throw ArgumentError("cannot read the decimal " + t + " as a 64-bit integer: it is out of range");
    return out;
}

int Decimal::scale() const noexcept {
    auto dot = text_.find('.');
    return dot == std::string::npos ? 0 : static_cast<int>(text_.size() - dot - 1);
}

int Decimal::compare(const Decimal& x, const Decimal& y) {
    Unpacked a = unpack(x.text_), b = unpack(y.text_);
    int scale = std::max(a.scale, b.scale);
    rescale(a, scale);
    rescale(b, scale);
    if (a.neg != b.neg) return a.neg ? -1 : 1;
    int c = compare_magnitude(a.digits, b.digits);
    return a.neg ? -c : c;
}

Decimal operator+(const Decimal& a, const Decimal& b) { return add_signed(unpack(a.str()), unpack(b.str())); }

Decimal operator-(const Decimal& a, const Decimal& b) { return a + (-b); }

Decimal Decimal::operator-() const {
    if (text_.find_first_not_of("0.") == std::string::npos) return *this;
    return Decimal(text_[0] == '-' ? text_.substr(1) : "-" + text_);
}

Decimal operator*(const Decimal& x, const Decimal& y) {
    Unpacked a = unpack(x.str()), b = unpack(y.str());
    std::vector<int> acc(a.digits.size() + b.digits.size(), 0);
    for (std::size_t i = 0; i < a.digits.size(); ++i)
        for (std::size_t j = 0; j < b.digits.size(); ++j)
            acc[i + j + 1] += (a.digits[i] - '0') * (b.digits[j] - '0');
    for (std::size_t k = acc.size() - 1; k > 0; --k) {
        acc[k - 1] += acc[k] / 10;
        acc[k] %= 10;
    }
    std::string digits;
    for (int d : acc) digits += static_cast<char>('0' + d);
    auto nz = digits.find_first_not_of('0');
    digits = nz == std::string::npos ? "0" : digits.substr(nz);
    return pack(a.neg != b.neg && digits != "0", digits, a.scale + b.scale);
}

// ---- Uuid ------------------------------------------------------------------

Uuid Uuid::parse(std::string_view text) {
    std::string hex;
    for (char c : text)
        if (c != '-') hex += c;
    bool dashed_ok = text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' && text[23] == '-';
    if (hex.size() != 32 || !(text.size() == 32 || dashed_ok)) bad("UUID", text);
    Uuid u;
    for (std::size_t i = 0; i < 16; ++i) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
        if (ec != std::errc{} || p != hex.data() + 2 * i + 2) bad("UUID", text);
        u.bytes[i] = static_cast<std::uint8_t>(v);
    }
    return u;
}

std::string Uuid::hex() const {
    static const char* digits = "0123456789abcdef";
    std::string s;
    s.reserve(32);
    for (auto b : bytes) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

std::string Uuid::str() const {
    std::string h = hex();
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

// ---- dates and times ---------------------------------------------------------

std::string format_date(Date d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return buf;
}

std::string format_time(Time t) {
    using namespace std::chrono;
    auto us = t.since_midnight.count();
    long long h = us / 3'600'000'000LL, m = us / 60'000'000LL % 60, s = us / 1'000'000 % 60, f = us % 1'000'000;
    char buf[32];
    if (f) std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%06lld", h, m, s, f);
    else std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", h, m, s);
    return buf;
}

namespace {
template <class Clock>
std::string format_point(std::chrono::time_point<Clock, std::chrono::microseconds> tp, char sep) {
    using namespace std::chrono;
    auto day = floor<days>(tp);
    Date d{day};
    Time t{tp - day};
    return format_date(d) + sep + format_time(t);
}
}  // namespace

std::string format_datetime(DateTime t, char sep) { return format_point(t, sep); }
std::string format_timestamp(Timestamp t, char sep) { return format_point(t, sep) + "+00:00"; }

Date parse_date(std::string_view s) {
    int y = digits_at(s, 0, 4), m = digits_at(s, 5, 2), d = digits_at(s, 8, 2);
    if (s.size() < 10 || y < 0 || m < 0 || d < 0 || s[4] != '-' || s[7] != '-') bad("date", s);
    Date out{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
             std::chrono::day{static_cast<unsigned>(d)}};
    if (!out.ok()) bad("date", s);
    return out;
}

namespace {
// Parses "hh:mm[:ss[.ffffff]]" and returns the position after it.
std::size_t parse_time_at(std::string_view s, std::size_t pos, Time& out) {
    int h = digits_at(s, pos, 2), m = digits_at(s, pos + 3, 2);
    if (h < 0 || m < 0 || s[pos + 2] != ':' || h > 24 || m > 59) bad("time", s);
    long long us = (h * 3600LL + m * 60LL) * 1'000'000LL;
    pos += 5;
    if (pos < s.size() && s[pos] == ':') {
        int sec = digits_at(s, pos + 1, 2);
        if (sec < 0 || sec > 60) bad("time", s);
        us += sec * 1'000'000LL;
        pos += 3;
        if (pos < s.size() && s[pos] == '.') {
            ++pos;
            long long frac = 0;
            int n = 0;
            while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                if (n < 6) {
                    frac = frac * 10 + (s[pos] - '0');
                    ++n;
                }
                ++pos;
            }
            if (n == 0) bad("time", s);
            while (n++ < 6) frac *= 10;
            us += frac;
        }
    }
    out.since_midnight = std::chrono::microseconds{us};
    return pos;
}

std::size_t parse_datetime_at(std::string_view s, std::chrono::microseconds& out) {
    Date d = parse_date(s);
    Time t{};
    std::size_t pos = 10;
    if (s.size() > 10) {
        if (s[10] != ' ' && s[10] != 'T') bad("date-time", s);
        pos = parse_time_at(s, 11, t);
    }
    out = std::chrono::sys_days{d}.time_since_epoch() + t.since_midnight;
    return pos;
}
}  // namespace

Time parse_time(std::string_view s) {
    Time t;
    if (parse_time_at(s, 0, t) != s.size()) bad("time", s);
    return t;
}

DateTime parse_datetime(std::string_view s) {
    std::chrono::microseconds us;
    if (parse_datetime_at(s, us) != s.size()) bad("date-time", s);
    return DateTime{us};
}

Timestamp parse_timestamp(std::string_view s) {
    std::chrono::microseconds us;
    std::size_t pos = parse_datetime_at(s, us);
    std::string_view rest = s.substr(pos);
    long offset_min = 0;
    if (rest == "Z" || rest == "z" || rest.empty()) {
    } else if (rest[0] == '+' || rest[0] == '-') {
        int sign = rest[0] == '-' ? -1 : 1;
        int h = digits_at(rest, 1, 2), m = 0;
        if (h < 0) bad("timestamp", s);
        if (rest.size() == 6 && rest[3] == ':') m = digits_at(rest, 4, 2);
        else if (rest.size() == 5) m = digits_at(rest, 3, 2);
        else if (rest.size() != 3) bad("timestamp", s);
        if (m < 0) bad("timestamp", s);
        offset_min = sign * (h * 60 + m);
    } else {
        bad("timestamp", s);
    }
    return Timestamp{us - std::chrono::minutes{offset_min}};
}

// ---- display -----------------------------------------------------------------

std::string_view value_kind_name(const Value& v) {
    static constexpr std::string_view names[] = {"null", "boolean", "integer", "float", "string", "bytes", "decimal",
                                                 "date", "time", "datetime", "timestamp", "uuid", "json"};
    return names[v.index()];
}

std::string to_display_string(const Value& v) {
    struct Visitor {
        std::string operator()(Null) const { return "NULL"; }
        std::string operator()(bool b) const { return b ? "true" : "false"; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", d);
            return buf;
        }
        std::string operator()(const std::string& s) const {
            std::string out = "'";
            for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
            return out + "'";
        }
        std::string operator()(const Bytes& b) const { return "<" + std::to_string(b.size()) + " bytes>"; }
        std::string operator()(const Decimal& d) const { return d.str(); }
        std::string operator()(Date d) const { return format_date(d); }
        std::string operator()(Time t) const { return format_time(t); }
        std::string operator()(DateTime t) const { return format_datetime(t); }
        std::string operator()(Timestamp t) const { return format_timestamp(t); }
        std::string operator()(const Uuid& u) const { return u.str(); }
        std::string operator()(const Json& j) const { return j.text; }
    };
    return std::visit(Visitor{}, v);
}

}  // namespace retort

#include "retort/value_traits.hpp"

namespace retort {
void throw_conversion_error(const Value& v, std::string_view target) {
    throw ArgumentError("cannot read a " + std::string(value_kind_name(v)) + " value (" + to_display_string(v) +
                        ") as " + std::string(target));
}
}  // namespace retort
