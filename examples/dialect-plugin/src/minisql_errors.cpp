#include "minisql_errors.hpp"

#include <retort/error.hpp>

namespace minisql {

using namespace retort;

namespace {

ErrorKind kind_of(int rc) {
    switch (rc & 0xff) {  // the primary code of an extended one
        case SQLITE_CONSTRAINT: return ErrorKind::integrity;
        case SQLITE_ERROR:
        case SQLITE_MISUSE:
        case SQLITE_RANGE: return ErrorKind::programming;
        case SQLITE_TOOBIG:
        case SQLITE_MISMATCH: return ErrorKind::data;
        case SQLITE_CORRUPT:
        case SQLITE_INTERNAL:
        case SQLITE_SCHEMA:
        case SQLITE_FORMAT: return ErrorKind::internal;
        default: return ErrorKind::operational;  // busy, locked, I/O, interrupted, read-only...
    }
}

}  // namespace

void raise_error(sqlite3* db, int rc, const std::string& statement) {
    Diagnostics d;
    d.native_code = db ? sqlite3_extended_errcode(db) : rc;
    d.message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    d.statement = statement;
    // "CHECK constraint failed: ck_name" names the constraint; "UNIQUE
    // constraint failed: t.a, t.b" names the columns of the key.
    const std::string failed = " constraint failed: ";
    if (auto at = d.message.find(failed); at != std::string::npos) {
        std::string rest = d.message.substr(at + failed.size());
        if (d.message.starts_with("CHECK")) {
            d.constraint = rest;
        } else {
            for (std::size_t start = 0;;) {
                auto comma = rest.find(", ", start);
                d.columns.push_back(rest.substr(start, comma - start));
                if (comma == std::string::npos) break;
                start = comma + 2;
            }
        }
    }
    ErrorKind kind = kind_of(d.native_code);
    throw_dbapi_error(kind, std::move(d));
}

}  // namespace minisql
