// How values travel between Retort and the database's client library:
// parameters bound, result values read. Results are then made into the
// declared types by the toolkit's standard converter (minisql_dialect.cpp).
#pragma once

#include <sqlite3.h>

#include <retort/value.hpp>

namespace minisql {

/// Binds `v` as parameter `index` (1-based). Dates and times are ISO 8601 text,
/// an instant its UTC reading, a UUID 32 hex digits, a boolean 0 or 1, a
/// Decimal its text. Returns SQLite's result code.
int bind_value(sqlite3_stmt* stmt, int index, const retort::Value& v);

/// Column `i` of the current row, as SQLite stores it.
retort::Value column_value(sqlite3_stmt* stmt, int i);

}  // namespace minisql
