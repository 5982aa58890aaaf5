// retort::Value: one SQL value as it travels between the application, the
// compiler and a driver. A closed std::variant, so a driver handles every kind
// it can receive and nothing else.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace retort {

/// SQL NULL.
struct Null {
    friend bool operator==(Null, Null) = default;
};
inline constexpr Null null{};

/// Raw bytes (BLOB, BYTEA, VARBINARY).
using Bytes = std::vector<std::uint8_t>;

/// An exact decimal number kept as its canonical text ("-12.50"), so no
/// precision is lost between the database and the application.
class Decimal {
public:
    Decimal() : text_("0") {}
    /// Parses "123", "-0.5", "1e3"; throws ArgumentError on anything else.
    explicit Decimal(std::string_view text);
    explicit Decimal(std::int64_t v) : text_(std::to_string(v)) {}
    /// The number as written: its scale (digits after the point) is kept, "1.50" stays "1.50".
    const std::string& str() const noexcept { return text_; }
    /// The same number with exactly `scale` digits after the point (rounded half away from zero).
    Decimal with_scale(int scale) const;
    /// Digits after the point.
    int scale() const noexcept;
    double to_double() const;

    // Exact arithmetic, as money needs it: no rounding happens unless asked
    // for (with_scale). The scale of a sum is the larger one; of a product, the sum.
    friend Decimal operator+(const Decimal& a, const Decimal& b);
    friend Decimal operator-(const Decimal& a, const Decimal& b);
    friend Decimal operator*(const Decimal& a, const Decimal& b);
    friend Decimal operator*(const Decimal& a, std::int64_t b) { return a * Decimal(b); }
    friend Decimal operator*(std::int64_t a, const Decimal& b) { return Decimal(a) * b; }
    Decimal operator-() const;
    Decimal& operator+=(const Decimal& b) { return *this = *this + b; }
    Decimal& operator-=(const Decimal& b) { return *this = *this - b; }
    /// Compared by value: Decimal("1.50") == Decimal("1.5").
    friend bool operator==(const Decimal& a, const Decimal& b) { return compare(a, b) == 0; }
    friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) { return compare(a, b) <=> 0; }

private:
    static int compare(const Decimal& a, const Decimal& b);
    std::string text_;
};

/// A calendar date without time zone.
using Date = std::chrono::year_month_day;

/// A time of day without time zone, microsecond precision.
struct Time {
    std::chrono::microseconds since_midnight{0};
    friend auto operator<=>(const Time&, const Time&) = default;
};

/// A date and time without time zone ("naive"), microsecond precision.
using DateTime = std::chrono::local_time<std::chrono::microseconds>;

/// An instant (a date and time with time zone, normalised to UTC), microsecond precision.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

/// A UUID, stored as its 16 bytes.
struct Uuid {
    std::array<std::uint8_t, 16> bytes{};
    /// Parses the 36-character form (or 32 hex digits); throws ArgumentError otherwise.
    static Uuid parse(std::string_view text);
    std::string str() const;      ///< "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
    std::string hex() const;      ///< 32 hex digits, no dashes
    friend auto operator<=>(const Uuid&, const Uuid&) = default;
};

/// A JSON document kept as its text. Retort does not parse JSON; it stores and
/// returns the document, and the database validates it where it can.
struct Json {
    std::string text;
    friend bool operator==(const Json&, const Json&) = default;
};

using Value = std::variant<Null, bool, std::int64_t, double, std::string, Bytes, Decimal, Date, Time,
                           DateTime, Timestamp, Uuid, Json>;

inline bool is_null(const Value& v) noexcept { return std::holds_alternative<Null>(v); }

/// Human-readable rendering for logs and messages ("NULL", quoted strings, ISO dates).
std::string to_display_string(const Value& v);

/// Name of the alternative held, for error messages ("integer", "string", ...).
std::string_view value_kind_name(const Value& v);

// ISO 8601 text forms used by drivers that exchange dates as text.
std::string format_date(Date d);                  ///< "2024-02-29"
std::string format_time(Time t);                  ///< "13:45:00" or "13:45:00.000123"
std::string format_datetime(DateTime t, char sep = ' ');   ///< "2024-02-29 13:45:00[.ffffff]"
std::string format_timestamp(Timestamp t, char sep = ' '); ///< as format_datetime, then "+00:00"
Date parse_date(std::string_view s);
Time parse_time(std::string_view s);
DateTime parse_datetime(std::string_view s);
/// Accepts a trailing "Z", "+hh", "+hh:mm" or "+hhmm" offset; no offset means UTC.
Timestamp parse_timestamp(std::string_view s);

}  // namespace retort
