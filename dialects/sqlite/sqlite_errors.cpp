#include "sqlite_errors.hpp"

#include <string_view>

#include "retort/error.hpp"

namespace retort::sqlite {

namespace {
ErrorKind classify(int rc) {
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT: return ErrorKind::integrity;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_FULL:
        case SQLITE_PROTOCOL:
        case SQLITE_NOTADB:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_INTERRUPT:
        case SQLITE_NOMEM:
        case SQLITE_AUTH:
        case SQLITE_ABORT: return ErrorKind::operational;
        case SQLITE_ERROR:
        case SQLITE_MISUSE:
        case SQLITE_RANGE: return ErrorKind::programming;
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH: return ErrorKind::data;
        case SQLITE_INTERNAL:
        case SQLITE_CORRUPT:
        case SQLITE_SCHEMA:
        case SQLITE_FORMAT: return ErrorKind::internal;
        default: return ErrorKind::generic;
    }
}
}  // namespace

void raise_error(sqlite3* db, int rc, const std::string& statement) {
    Diagnostics d;
    d.native_code = db ? sqlite3_extended_errcode(db) : rc;
    d.message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    d.statement = statement;
    // A transaction whose snapshot another connection's write has replaced
    // cannot write, and no busy timeout helps: say what does.
    if (d.native_code == SQLITE_BUSY_SNAPSHOT)
        d.message += " (this transaction read before writing, and another connection has written since: it cannot "
                     "write now, nor wait to. Roll it back and run it again, or connect with ?begin=immediate so "
                     "that transactions take the write lock when they begin)";
    // "UNIQUE constraint failed: t.a, t.b" names columns; "CHECK constraint
    // failed: name" names the constraint.
    constexpr std::string_view failed = " constraint failed: ";
    if (auto at = d.message.find(failed); at != std::string::npos) {
        std::string rest = d.message.substr(at + failed.size());
        if (d.message.rfind("CHECK", 0) == 0) {
            d.constraint = rest;
        } else {
            for (std::size_t start = 0; start <= rest.size();) {
                auto comma = rest.find(", ", start);
                d.columns.push_back(rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
                if (comma == std::string::npos) break;
                start = comma + 2;
            }
        }
    }
    ErrorKind kind = classify(d.native_code);  // before d is moved: argument order is unspecified
    throw_dbapi_error(kind, std::move(d));
}

}  // namespace retort::sqlite
