// PostgreSQL errors as Retort's typed hierarchy, decided by SQLSTATE class as
// the PostgreSQL drivers SQLAlchemy wraps do.
#pragma once

#include <libpq-fe.h>

#include <string>

namespace retort::postgresql {

/// Throws the DBAPIError for a failed result (PGRES_FATAL_ERROR...). A result
/// without SQLSTATE comes from libpq itself: the connection is in trouble.
[[noreturn]] void raise_result_error(PGconn* conn, const PGresult* res, const std::string& statement);
/// Throws OperationalError with libpq's message for `conn` (lost, refused...).
[[noreturn]] void raise_connection_error(PGconn* conn, const std::string& statement);

}  // namespace retort::postgresql
