// MySQL/MariaDB error codes mapped onto Retort's DBAPIError families, as
// SQLAlchemy's mysql dialects map them: constraint violations are
// IntegrityErrors, lost connections, timeouts, deadlocks and refused logins
// OperationalErrors, bad SQL ProgrammingErrors, bad values DataErrors.
#pragma once

#include <mysql.h>

#include <string>

#include "retort/error.hpp"

namespace retort::mysql {

/// The family of native error `code` (server ER_* or client CR_*), falling back
/// on the class of `sqlstate` for codes the table does not know.
ErrorKind classify(unsigned code, const std::string& sqlstate);

/// True when, after error `code`, the session is gone: the server closed it
/// (killed, shut down, timed out) or the client library lost the socket.
/// `mariadb` tells the servers apart where they reuse a number differently.
bool is_connection_lost(unsigned code, bool mariadb);

/// The diagnostics of the last error on `m` / `stmt`, for `statement`. A value
/// the server quotes in its message (a duplicate key's) is masked as '***'.
Diagnostics connection_diagnostics(MYSQL* m, const std::string& statement);
Diagnostics statement_diagnostics(MYSQL_STMT* stmt, const std::string& statement);

}  // namespace retort::mysql
