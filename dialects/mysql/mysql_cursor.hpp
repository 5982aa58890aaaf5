// A result streamed off the wire a fetch at a time (MysqlConnection::stream).
#pragma once

#include <memory>
#include <string>

#include "mysql_connection.hpp"

namespace retort::mysql {

/// The stream of `stmt`, executed and not stored: its rows are still on the wire.
std::unique_ptr<plugin::Cursor> make_stream_cursor(MysqlConnection& conn, MYSQL_STMT* stmt, std::string sql);

}  // namespace retort::mysql
