// How Retort values are stored in SQLite, which has five storage classes.
// Dates and times are ISO 8601 text (as SQLAlchemy stores them), UUIDs 32 hex
// digits, booleans 0/1, decimals NUMERIC (a double: native_decimal is false).
#pragma once

#include <sqlite3.h>

#include <span>
#include <string>
#include <vector>

#include "retort/plugin/dialect.hpp"

namespace retort::sqlite {

/// Binds `v` as parameter `index` (1-based) of `stmt`. `copy`: SQLite must copy text and blobs.
int bind_value(sqlite3_stmt* stmt, int index, const Value& v, bool copy);
/// The value of column `i` of the current row, in its storage class.
Value column_value(sqlite3_stmt* stmt, int i);
// (Results are then read as their declared types by plugin::support::standard_result_converter.)

/// Resets a statement when the step loop leaves, by return or by exception.
struct ResetGuard {
    sqlite3_stmt* stmt;
    ~ResetGuard() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

/// Binds `params` to `stmt` (their count checked); `copy`: SQLite must copy text and blobs.
void bind_all(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params, const std::string& sql, bool copy);
/// The names of the result columns of `stmt`.
std::vector<std::string> read_column_names(sqlite3_stmt* stmt);
/// Steps up to `max_rows` rows into `out`; returns how many, and sets `done` at the end.
std::size_t step_rows(sqlite3* db, sqlite3_stmt* stmt, std::vector<Value>& out, std::size_t max_rows, bool& done,
                      const std::string& sql);

}  // namespace retort::sqlite
