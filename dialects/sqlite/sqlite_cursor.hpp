// A result stepped on the connection's worker thread, a batch per hop.
#pragma once

#include <memory>
#include <string>

#include "sqlite_connection.hpp"

namespace retort::sqlite {

/// The stream over `stmt`, prepared and bound, which it finalizes when closed.
std::unique_ptr<plugin::Cursor> make_cursor(SqliteConnection& conn, sqlite3_stmt* stmt, std::string sql, bool in_transaction);

}  // namespace retort::sqlite
