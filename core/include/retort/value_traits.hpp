// How a C++ type maps to a retort::Value and to a default SQL type. Typed
// expressions (sql::TypedExpr<T>) and result accessors (Row::get<T>) go through
// these traits; add a specialisation to make your own type bindable. The
// members of the library's own specialisations are defined in value.cpp: each
// builds a std::variant, which every application would otherwise compile.
#pragma once

#include <concepts>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "retort/error.hpp"
#include "retort/types.hpp"
#include "retort/value.hpp"

namespace retort {

/// What a value is compared as: two typed expressions compare only within one category.
enum class ValueCategory { any, boolean, number, string, bytes, date, time, datetime, timestamp, uuid, json };

template <class T>
struct ValueTraits;  // specialised below for every bindable type

[[noreturn]] void throw_conversion_error(const Value& v, std::string_view target);
/// The value of a whole-number Decimal; throws ArgumentError for a fraction or
/// a value beyond 64 bits.
std::int64_t integral_decimal(const Decimal& d);

template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
struct ValueTraits<T> {
    static constexpr ValueCategory category = ValueCategory::number;
    static SqlType sql_type() {
        if constexpr (sizeof(T) <= 2) return types::SmallInteger();
        else if constexpr (sizeof(T) <= 4) return types::Integer();
        else return types::BigInteger();
    }
    static Value to_value(T v) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= 8)
            if (v > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
                throw ArgumentError("unsigned value " + std::to_string(v) + " does not fit a signed 64-bit integer");
        return static_cast<std::int64_t>(v);
    }
    static T from_value(const Value& v) {
        std::int64_t i;
        if (auto p = std::get_if<std::int64_t>(&v)) i = *p;
        else if (auto b = std::get_if<bool>(&v)) i = *b;
        // sum() of an integer column is NUMERIC on PostgreSQL and DECIMAL on
        // MySQL: a whole number within range reads exactly, anything else throws.
        else if (auto d = std::get_if<Decimal>(&v)) i = integral_decimal(*d);
        else throw_conversion_error(v, "integer");
        if constexpr (!std::same_as<T, std::int64_t>) {
            if (i < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
                (i > 0 && static_cast<std::uint64_t>(i) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
                throw ArgumentError("integer " + std::to_string(i) + " is out of range for the requested C++ type");
        }
        return static_cast<T>(i);
    }
};

template <>
struct ValueTraits<bool> {
    static constexpr ValueCategory category = ValueCategory::boolean;
    static SqlType sql_type();
    static Value to_value(bool v);
    /// An integer reads as a boolean too (backends without a native boolean).
    static bool from_value(const Value& v);
};

template <std::floating_point T>
struct ValueTraits<T> {
    static constexpr ValueCategory category = ValueCategory::number;
    static SqlType sql_type() { return sizeof(T) <= 4 ? types::Float() : types::Double(); }
    static Value to_value(T v) { return static_cast<double>(v); }
    static T from_value(const Value& v) {
        if (auto p = std::get_if<double>(&v)) return static_cast<T>(*p);
        if (auto i = std::get_if<std::int64_t>(&v)) return static_cast<T>(*i);
        if (auto d = std::get_if<Decimal>(&v)) return static_cast<T>(d->to_double());
        throw_conversion_error(v, "floating point");
    }
};

template <>
struct ValueTraits<std::string> {
    static constexpr ValueCategory category = ValueCategory::string;
    static SqlType sql_type();
    static Value to_value(std::string v);
    /// JSON reads as its text too.
    static std::string from_value(const Value& v);
};

// Borrowed strings bind as std::string; they cannot be read back (nothing would own them).
template <>
struct ValueTraits<std::string_view> {
    static constexpr ValueCategory category = ValueCategory::string;
    static SqlType sql_type();
    static Value to_value(std::string_view v);
};
template <>
struct ValueTraits<const char*> {
    static constexpr ValueCategory category = ValueCategory::string;
    static SqlType sql_type();
    static Value to_value(const char* v);
};

// Types a Value holds as they are (value.cpp defines their members).
#define RETORT_EXACT_VALUE_TRAITS(Type, Cat)                          \
    template <>                                                       \
    struct ValueTraits<Type> {                                        \
        static constexpr ValueCategory category = ValueCategory::Cat; \
        static SqlType sql_type();                                    \
        static Value to_value(Type v);                                \
        static Type from_value(const Value& v);                       \
    }

RETORT_EXACT_VALUE_TRAITS(Bytes, bytes);
RETORT_EXACT_VALUE_TRAITS(Date, date);
RETORT_EXACT_VALUE_TRAITS(Time, time);
RETORT_EXACT_VALUE_TRAITS(DateTime, datetime);
RETORT_EXACT_VALUE_TRAITS(Timestamp, timestamp);
RETORT_EXACT_VALUE_TRAITS(Uuid, uuid);
RETORT_EXACT_VALUE_TRAITS(Json, json);
#undef RETORT_EXACT_VALUE_TRAITS

template <>
struct ValueTraits<Decimal> {
    static constexpr ValueCategory category = ValueCategory::number;
    static SqlType sql_type();
    static Value to_value(Decimal v);
    /// Integers and decimal text read as a Decimal too.
    static Decimal from_value(const Value& v);
};

template <>
struct ValueTraits<Null> {
    static constexpr ValueCategory category = ValueCategory::any;
    static SqlType sql_type();
    static Value to_value(Null);
};

template <>
struct ValueTraits<Value> {
    static constexpr ValueCategory category = ValueCategory::any;
    static SqlType sql_type();
    static Value to_value(Value v) { return v; }
    static Value from_value(const Value& v) { return v; }
};

/// std::optional<T> is the nullable form of T: nullopt binds and reads as NULL.
template <class T>
struct ValueTraits<std::optional<T>> {
    static constexpr ValueCategory category = ValueTraits<T>::category;
    static SqlType sql_type() { return ValueTraits<T>::sql_type(); }
    static Value to_value(const std::optional<T>& v) { return v ? ValueTraits<T>::to_value(*v) : Value{null}; }
    static std::optional<T> from_value(const Value& v) {
        if (is_null(v)) return std::nullopt;
        return ValueTraits<T>::from_value(v);
    }
};

/// String literals decay to char* once deduced by value.
template <>
struct ValueTraits<char*> : ValueTraits<const char*> {};

template <class T>
using value_traits_t = ValueTraits<std::remove_cvref_t<std::decay_t<T>>>;

/// A C++ type that can be bound as a parameter.
template <class T>
concept Bindable = requires(const T& v) {
    { value_traits_t<T>::to_value(v) } -> std::convertible_to<Value>;
};

/// A C++ type that a result value can be read as.
template <class T>
concept Readable = requires(const Value& v) {
    { ValueTraits<T>::from_value(v) } -> std::convertible_to<T>;
};

template <class T>
Value to_value(const T& v) {
    return value_traits_t<T>::to_value(v);
}

/// Reads `v` as T; NULL reads only into std::optional (or Value), anything else throws ArgumentError.
template <Readable T>
T from_value(const Value& v) {
    return ValueTraits<T>::from_value(v);
}

}  // namespace retort
