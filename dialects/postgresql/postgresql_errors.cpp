#include "postgresql_errors.hpp"

#include "retort/error.hpp"

namespace retort::postgresql {

namespace {

ErrorKind classify(const std::string& sqlstate) {
    if (sqlstate.size() != 5) return ErrorKind::operational;  // libpq's own: the connection failed
    std::string cls = sqlstate.substr(0, 2);
    if (cls == "23") return ErrorKind::integrity;
    if (cls == "22") return ErrorKind::data;
    if (cls == "0A") return ErrorKind::not_supported;
    if (cls == "42" || cls == "26" || cls == "34" || cls == "3D" || cls == "3F" || cls == "44") return ErrorKind::programming;
    // Connection exceptions, transaction rollbacks (serialization failures,
    // deadlocks), resources, operator intervention (the session was terminated),
    // system errors, authorization: conditions of the server, not of the SQL.
    if (cls == "08" || cls == "40" || cls == "53" || cls == "54" || cls == "55" || cls == "57" || cls == "58" || cls == "28")
        return ErrorKind::operational;
    if (cls == "XX" || cls == "24" || cls == "25" || cls == "2D" || cls == "2B") return ErrorKind::internal;
    return ErrorKind::generic;
}

// PostgreSQL's own integer form of a SQLSTATE (MAKE_SQLSTATE in its elog.h):
// six bits per character. It is what the server calls the error code.
int native_code(const std::string& sqlstate) {
    if (sqlstate.size() != 5) return 0;
    int code = 0;
    for (int i = 0; i < 5; ++i) code |= ((sqlstate[static_cast<std::size_t>(i)] - '0') & 0x3F) << (6 * i);
    return code;
}

std::string trimmed(const char* message) {
    std::string m = message ? message : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
}

}  // namespace

void raise_result_error(PGconn* conn, const PGresult* res, const std::string& statement) {
    Diagnostics d;
    const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    d.sqlstate = state ? state : "";
    d.native_code = native_code(d.sqlstate);
    const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary) d.message = trimmed(primary);
    else if (res) d.message = trimmed(PQresultErrorMessage(res));
    if (d.message.empty() && conn) d.message = trimmed(PQerrorMessage(conn));
    if (d.message.empty()) d.message = "the server reported an error without a message";
    // Not the DETAIL field: it quotes row values ("Key (email)=(...) already
    // exists"), and an error message must never carry the data bound to it.
    d.statement = statement;
    if (const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr)
        d.constraint = constraint;
    ErrorKind kind = classify(d.sqlstate);  // before d is moved: argument order is unspecified
    throw_dbapi_error(kind, std::move(d));
}

void raise_connection_error(PGconn* conn, const std::string& statement) {
    std::string message = conn ? trimmed(PQerrorMessage(conn)) : "out of memory";
    if (message.empty()) message = "the connection to the server was lost";
    throw OperationalError(Diagnostics{0, "", message, statement});
}

}  // namespace retort::postgresql
