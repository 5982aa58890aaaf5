#pragma once

#include <sqlite3.h>

#include <string>

namespace retort::sqlite {

/// Throws the DBAPIError subclass for SQLite result code `rc` on `db`, with its message and `statement`.
[[noreturn]] void raise_error(sqlite3* db, int rc, const std::string& statement);

}  // namespace retort::sqlite
