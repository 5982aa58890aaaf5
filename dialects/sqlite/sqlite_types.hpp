// How Retort values are stored in SQLite, which has five storage classes.
// Dates and times are ISO 8601 text (as SQLAlchemy stores them), UUIDs 32 hex
// digits, booleans 0/1, decimals NUMERIC (a double: native_decimal is false).
#pragma once

#include <sqlite3.h>

#include "retort/plugin/dialect.hpp"

namespace retort::sqlite {

/// Binds `v` as parameter `index` (1-based) of `stmt`. `copy`: SQLite must copy text and blobs.
int bind_value(sqlite3_stmt* stmt, int index, const Value& v, bool copy);
/// The value of column `i` of the current row, in its storage class.
Value column_value(sqlite3_stmt* stmt, int i);
// Results are read back by plugin::support::standard_result_converter.

}  // namespace retort::sqlite
