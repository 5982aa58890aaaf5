// The members of the library's own ValueTraits specialisations: out of line,
// so that the variant conversions are compiled here once rather than in every
// translation unit that includes the traits.
#include "retort/value_traits.hpp"

namespace retort {

SqlType ValueTraits<bool>::sql_type() { return types::Boolean(); }
Value ValueTraits<bool>::to_value(bool v) { return v; }
bool ValueTraits<bool>::from_value(const Value& v) {
    if (auto p = std::get_if<bool>(&v)) return *p;
    if (auto i = std::get_if<std::int64_t>(&v)) return *i != 0;
    throw_conversion_error(v, "boolean");
}

SqlType ValueTraits<std::string>::sql_type() { return types::String(); }
Value ValueTraits<std::string>::to_value(std::string v) { return v; }
std::string ValueTraits<std::string>::from_value(const Value& v) {
    if (auto p = std::get_if<std::string>(&v)) return *p;
    if (auto j = std::get_if<Json>(&v)) return j->text;
    throw_conversion_error(v, "string");
}

SqlType ValueTraits<std::string_view>::sql_type() { return types::String(); }
Value ValueTraits<std::string_view>::to_value(std::string_view v) { return std::string(v); }
SqlType ValueTraits<const char*>::sql_type() { return types::String(); }
Value ValueTraits<const char*>::to_value(const char* v) { return std::string(v); }

#define RETORT_EXACT_VALUE_TRAITS(Type, SqlTypeExpr, Name)        \
    SqlType ValueTraits<Type>::sql_type() { return SqlTypeExpr; } \
    Value ValueTraits<Type>::to_value(Type v) { return v; }       \
    Type ValueTraits<Type>::from_value(const Value& v) {          \
        if (auto p = std::get_if<Type>(&v)) return *p;            \
        throw_conversion_error(v, Name);                          \
    }

RETORT_EXACT_VALUE_TRAITS(Bytes, types::LargeBinary(), "bytes")
RETORT_EXACT_VALUE_TRAITS(Date, types::Date(), "date")
RETORT_EXACT_VALUE_TRAITS(Time, types::Time(), "time")
RETORT_EXACT_VALUE_TRAITS(DateTime, types::DateTime(false), "datetime")
RETORT_EXACT_VALUE_TRAITS(Timestamp, types::DateTime(true), "timestamp")
RETORT_EXACT_VALUE_TRAITS(Uuid, types::Uuid(), "uuid")
RETORT_EXACT_VALUE_TRAITS(Json, types::Json(), "json")
#undef RETORT_EXACT_VALUE_TRAITS

SqlType ValueTraits<Decimal>::sql_type() { return types::Numeric(); }
Value ValueTraits<Decimal>::to_value(Decimal v) { return v; }
Decimal ValueTraits<Decimal>::from_value(const Value& v) {
    if (auto p = std::get_if<Decimal>(&v)) return *p;
    if (auto i = std::get_if<std::int64_t>(&v)) return Decimal(*i);
    if (auto s = std::get_if<std::string>(&v)) return Decimal(*s);
    throw_conversion_error(v, "decimal");
}

SqlType ValueTraits<Null>::sql_type() { return types::NullType(); }
Value ValueTraits<Null>::to_value(Null) { return null; }

SqlType ValueTraits<Value>::sql_type() { return types::NullType(); }

}  // namespace retort
