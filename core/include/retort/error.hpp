// The one exception hierarchy of Retort, rooted at retort::Error.
//
// The families mirror the database API's (and SQLAlchemy's): a caller that
// wants "any constraint violation" catches IntegrityError whatever the backend.
// Database errors carry the native code, the SQLSTATE where there is one, the
// server's message and the statement text (never a password).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace retort {

/// Base of every error Retort throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    ~Error() override;
};

/// A caller passed something malformed: a bad URL, an unknown option, a type mismatch.
class ArgumentError : public Error {
public:
    using Error::Error;
    ~ArgumentError() override;
};

/// A configuration file (or text) is malformed, or names something that does not
/// exist. The message reads "source:line: dotted.key: problem" (the line when
/// known, the key when the problem has one); it never contains a password.
class ConfigError : public ArgumentError {
public:
    /// `line` is 1-based; 0 when unknown. `key` is empty for whole-file problems.
    ConfigError(std::string source, std::string key, std::string problem, std::size_t line = 0);
    ~ConfigError() override;
    const std::string& source() const noexcept { return source_; }  ///< the file name, or the name given to parse()
    const std::string& key() const noexcept { return key_; }        ///< "engines.default.pool_size"; may be empty
    std::size_t line() const noexcept { return line_; }

private:
    std::string source_, key_;
    std::size_t line_ = 0;
};

/// A dialect plugin could not be found, loaded, or was refused (ABI mismatch, missing symbol...).
class PluginError : public Error {
public:
    using Error::Error;
    ~PluginError() override;
};

/// The statement cannot be compiled for this dialect (a construct it lacks, a bad tree).
class CompileError : public Error {
public:
    using Error::Error;
    ~CompileError() override;
};

/// A request for exactly one row found none (Result::one, scalar_one...).
class NoResultFound : public Error {
public:
    using Error::Error;
    ~NoResultFound() override;
};

/// A request for at most one row found several.
class MultipleResultsFound : public Error {
public:
    using Error::Error;
    ~MultipleResultsFound() override;
};

/// An operation is not valid in the object's current state (a closed connection,
/// a connection busy streaming, commit() with no transaction...).
class InvalidRequestError : public Error {
public:
    using Error::Error;
    ~InvalidRequestError() override;
};

/// The connection pool had no connection to give within pool_timeout
/// (every one of pool_size + max_overflow was checked out).
class TimeoutError : public Error {
public:
    using Error::Error;
    ~TimeoutError() override;
};

// ---- ORM errors -------------------------------------------------------------

/// A relationship that is not loaded was read or changed. The async ORM never
/// loads behind the caller's back: load it with an eager loader (selectinload,
/// joinedload) or explicitly with AsyncSession::load().
class LazyLoadError : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
    ~LazyLoadError() override;
};

/// A flush could not write the session's changes (a dependency cycle between
/// rows, an object in a state that cannot be written...). Database errors raised
/// during a flush keep their own type (IntegrityError...).
class FlushError : public InvalidRequestError {
public:
    using InvalidRequestError::InvalidRequestError;
    ~FlushError() override;
};

/// An UPDATE or DELETE of the flush matched fewer rows than it expected: the row
/// was changed or removed by someone else.
class StaleDataError : public FlushError {
public:
    using FlushError::FlushError;
    ~StaleDataError() override;
};

/// A mapped class is declared wrongly (a relationship with no foreign key to
/// follow, a back_populates naming nothing...). Raised when mappers are configured.
class MappingError : public ArgumentError {
public:
    using ArgumentError::ArgumentError;
    ~MappingError() override;
};

/// What the database (or its client library) reported, beside the message.
// (`{}` on each member: `Diagnostics{code, sqlstate, message, sql}` is warning-free
// under GCC 12's -Wextra.)
struct Diagnostics {
    int native_code = 0;    ///< errno-like code of the client library or server; 0 when none
    std::string sqlstate{};   ///< five-character SQLSTATE, empty when the backend has none
    std::string message{};    ///< the server's or library's own message
    std::string statement{};  ///< the SQL text involved, if any (parameters are never included)
    /// For a constraint violation, the constraint's name where the server
    /// reports it: PostgreSQL's constraint field, MariaDB's key or constraint
    /// name, SQLite's CHECK constraint name. Empty otherwise.
    std::string constraint{};
    /// For a constraint violation where the server names columns instead
    /// (SQLite's "UNIQUE constraint failed: t.a, t.b"): "t.a", "t.b". For a
    /// value refused before it was sent (Dialect::unstorable_text): its column.
    std::vector<std::string> columns{};
};

/// Base of the errors raised by a database or its driver.
class DBAPIError : public Error {
public:
    explicit DBAPIError(Diagnostics d);
    ~DBAPIError() override;
    const Diagnostics& diagnostics() const noexcept { return diag_; }
    int native_code() const noexcept { return diag_.native_code; }
    const std::string& sqlstate() const noexcept { return diag_.sqlstate; }
    const std::string& statement() const noexcept { return diag_.statement; }
    /// The violated constraint's name, where the server says it (see Diagnostics).
    const std::string& constraint() const noexcept { return diag_.constraint; }

private:
    Diagnostics diag_;
};

#define RETORT_DBAPI_ERROR(Name)                                   \
    class Name : public DBAPIError {                               \
    public:                                                        \
        using DBAPIError::DBAPIError;                              \
        ~Name() override;                                          \
    }

/// Unique, foreign-key, not-null or check constraint violated.
RETORT_DBAPI_ERROR(IntegrityError);
/// Connection lost or refused, timeout, server shutting down, lock/busy.
RETORT_DBAPI_ERROR(OperationalError);
/// Bad SQL, missing table or column, wrong number of parameters.
RETORT_DBAPI_ERROR(ProgrammingError);
/// A value out of range, not convertible, or too long for its column.
RETORT_DBAPI_ERROR(DataError);
/// The database's internal state is inconsistent (a cursor out of sync...).
RETORT_DBAPI_ERROR(InternalError);
/// The backend does not support what was asked.
RETORT_DBAPI_ERROR(NotSupportedError);

#undef RETORT_DBAPI_ERROR

/// Which family of DBAPIError a native error belongs to; dialects map their codes to this.
enum class ErrorKind { integrity, operational, programming, data, internal, not_supported, generic };

/// Throws the DBAPIError subclass for `kind`.
[[noreturn]] void throw_dbapi_error(ErrorKind kind, Diagnostics d);

}  // namespace retort
