// The database's errors as Retort's exceptions (retort/error.hpp): a unique
// violation is an IntegrityError, bad SQL a ProgrammingError, a locked or
// unreachable database an OperationalError, each with the native code, the
// message and the statement.
#pragma once

#include <sqlite3.h>

#include <string>

namespace minisql {

/// Throws the exception for result code `rc` of `db` while running `statement`.
[[noreturn]] void raise_error(sqlite3* db, int rc, const std::string& statement);

}  // namespace minisql
