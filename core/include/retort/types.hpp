// SQL column types, backend-neutral. A dialect turns each into its DDL name and
// decides how its values travel (see plugin::Dialect::bind_value / result_value).
#pragma once

#include <cstdint>
#include <string>

namespace retort {

enum class TypeKind : std::uint8_t {
    null_type,  ///< the type of a bare NULL or of an expression whose type is unknown
    integer, big_integer, small_integer, boolean, float_, double_, numeric, string, text, large_binary,
    date, time, datetime, uuid, json,
};

/// One SQL type with its parameters. A small value type: compare it, copy it.
struct SqlType {
    TypeKind kind = TypeKind::null_type;
    int length = 0;         ///< String(n): n; 0 when unbounded
    int precision = 0;      ///< Numeric(p, s): p; 0 when unspecified
    int scale = 0;          ///< Numeric(p, s): s
    bool timezone = false;  ///< DateTime(timezone=true): an instant, stored normalised to UTC
    friend bool operator==(const SqlType&, const SqlType&) = default;

    bool is_integer() const noexcept {
        return kind == TypeKind::integer || kind == TypeKind::big_integer || kind == TypeKind::small_integer;
    }
    bool is_numeric() const noexcept {
        return is_integer() || kind == TypeKind::float_ || kind == TypeKind::double_ || kind == TypeKind::numeric;
    }
    bool is_string() const noexcept { return kind == TypeKind::string || kind == TypeKind::text; }
};

/// Factories named as in SQLAlchemy. They live in their own namespace because
/// retort::Date, retort::Time... name the C++ value types.
namespace types {
inline SqlType Integer() { return {TypeKind::integer}; }
inline SqlType BigInteger() { return {TypeKind::big_integer}; }
inline SqlType SmallInteger() { return {TypeKind::small_integer}; }
inline SqlType Boolean() { return {TypeKind::boolean}; }
inline SqlType Float() { return {TypeKind::float_}; }
inline SqlType Double() { return {TypeKind::double_}; }
inline SqlType Numeric(int precision = 0, int scale = 0) { return {TypeKind::numeric, 0, precision, scale}; }
inline SqlType String(int length = 0) { return {TypeKind::string, length}; }
inline SqlType Text() { return {TypeKind::text}; }
inline SqlType LargeBinary() { return {TypeKind::large_binary}; }
inline SqlType Date() { return {TypeKind::date}; }
inline SqlType Time() { return {TypeKind::time}; }
inline SqlType DateTime(bool timezone = false) { return {TypeKind::datetime, 0, 0, 0, timezone}; }
inline SqlType Uuid() { return {TypeKind::uuid}; }
inline SqlType Json() { return {TypeKind::json}; }
inline SqlType NullType() { return {}; }
}  // namespace types

/// "VARCHAR(30)"-style neutral name for messages; dialects render their own DDL.
std::string to_string(const SqlType& t);

}  // namespace retort
