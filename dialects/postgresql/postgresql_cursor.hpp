// Streams, as PgConnection::stream() opens them: outside a transaction in
// libpq's single-row mode (the rows hold the connection until read), inside
// one through a server-side cursor, a FETCH per batch.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "postgresql_connection.hpp"

namespace retort::postgresql {

/// The single-row-mode stream whose first row (or end) is `first`.
std::unique_ptr<plugin::Cursor> make_row_cursor(PgConnection& conn, std::string sql, ResultPtr first,
                                                std::vector<std::string> names);
/// The stream over the server-side cursor `name`, already declared.
std::unique_ptr<plugin::Cursor> make_server_cursor(PgConnection& conn, std::string name, std::vector<std::string> names,
                                                   bool binary);

}  // namespace retort::postgresql
