// The driver half of the plugin contract: one database connection, and the
// cursor that streams a result from it.
//
// A driver MUST:
//  - never block the calling thread: use the client library's non-blocking API
//    with the socket watched by Asio, or run blocking calls on a thread of its own;
//  - complete every operation on the executor it is attached to (the one it was
//    opened with, or the last one given to attach());
//  - hold no Asio object (socket watcher, timer) between detach() and attach():
//    an idle pooled connection may outlive the io_context it was last used on;
//  - throw the retort::DBAPIError family (throw_dbapi_error) with the native code,
//    the SQLSTATE where there is one, the server's message and the statement text;
//  - accept at most one operation at a time per connection (the core serialises them);
//  - honour Asio per-operation cancellation in every operation that waits: end
//    the wait at once, ask the server to stop the statement (a cancel request,
//    KILL QUERY, an interrupt: never blocking the caller), and complete with
//    boost::system::system_error(operation_aborted);
//  - stop the running statement on the server when destroyed in the middle of
//    one (its io_context torn down), without blocking, and never complete on an
//    io_context that is gone (WorkerThread does both for work on its thread).
// The core discards (never pools again) a connection whose call threw anything
// but a DBAPIError (a wait cancelled by the caller, say), or one whose
// is_open() turned false: a driver need not recover from either.
// Errors, by ErrorKind (throw_dbapi_error in retort/error.hpp), as the kit checks:
//   integrity    a constraint refused the row (unique, foreign key, NOT NULL,
//                CHECK): fill Diagnostics::constraint, or ::columns where the
//                server names columns instead;
//   programming  the SQL is wrong (syntax, an unknown table or column, the wrong
//                number of parameters);
//   data         a value the database refuses (too long, out of range, malformed);
//   operational  the connection or the server failed: refused, lost, timed out,
//                a lock wait given up; after a lost connection is_open() is false;
//   internal     the client library or the server is in a state it should not be;
//   not_supported the database cannot do what was asked.
// A driver MAY buffer rows, prepare and cache statements, and pipeline requests;
// retort/plugin/support/ has the pieces every driver needs (a worker thread for
// blocking libraries, the statement cache, a buffered cursor, the standard result
// converter, savepoint SQL, deadlines and host resolution).
// A driver MUST NOT log parameters or the password, or keep references to the
// arguments of an operation after it completes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "retort/engine/isolation_level.hpp"
#include "retort/value.hpp"

namespace retort::plugin {

template <class T>
using awaitable = boost::asio::awaitable<T>;

/// A result as the driver read it: raw values, row-major, `column_names.size()` wide.
/// The core converts values to the statement's result types afterwards.
struct RawResult {
    std::vector<std::string> column_names;
    std::vector<Value> values;
    std::int64_t rows_affected = -1;   ///< INSERT/UPDATE/DELETE; -1 when not applicable
    std::optional<std::int64_t> last_insert_id;
    std::size_t row_count() const { return column_names.empty() ? 0 : values.size() / column_names.size(); }
};

/// A result being streamed: rows are fetched in batches as they are asked for.
class Cursor {
public:
    virtual ~Cursor();
    virtual const std::vector<std::string>& column_names() const = 0;
    /// Appends up to `max_rows` rows (row-major) to `out`; returns how many. 0 means the end.
    virtual awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) = 0;
    /// Ends the statement early; the connection is usable again after it.
    virtual awaitable<void> close() = 0;
    /// Whether the connection may run other statements (not transaction control)
    /// while this cursor is open, between its fetches: true when each fetch is a
    /// request of its own (a server-side cursor, SQLite's stepped statement, rows
    /// already buffered); false when the rows occupy the connection's wire until
    /// read. The core refuses statements beside a cursor that says false.
    virtual bool allows_other_statements() const { return false; }
};

class Connection {
public:
    virtual ~Connection();
    /// Runs one statement with positional parameters and returns all its rows.
    /// `sql` and `params` stay valid until the returned awaitable completes.
    virtual awaitable<RawResult> execute(const std::string& sql, std::span<const Value> params) = 0;
    /// Runs one statement that returns no rows once per parameter set, in order,
    /// and returns the rows affected in all (-1 when the backend does not say).
    /// The first failure ends the batch and is thrown; inside a transaction, what
    /// ran before it stays until the transaction is rolled back. (Outside one, a
    /// batch sent as one request may be one implicit transaction, as PostgreSQL's
    /// pipeline makes it: all or nothing.) The default runs execute() per set; a
    /// driver that can send the whole batch in one round trip should.
    virtual awaitable<std::int64_t> execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets);
    /// One statement of execute_pipeline().
    struct Request {
        const std::string* sql;
        std::span<const Value> params;
    };
    /// Runs several statements in order and returns each one's result, as
    /// execute() would. A driver that can sends them all before reading any
    /// reply (PostgreSQL's pipeline): one round trip. The first failure ends
    /// the run and is thrown; inside a transaction, what ran before it stays
    /// until the transaction is rolled back. The default runs execute() per request.
    virtual awaitable<std::vector<RawResult>> execute_pipeline(std::span<const Request> requests);
    /// Runs one statement and streams its rows. While the cursor is open, the
    /// connection runs nothing else.
    virtual awaitable<std::unique_ptr<Cursor>> stream(const std::string& sql, std::span<const Value> params) = 0;

    /// Begins a transaction. A driver should not spend a round trip on it: the
    /// BEGIN may travel with the next request (in one pipeline, or one worker
    /// hop; support::DeferredBegin keeps count), and commit() or rollback() of
    /// a transaction that ran nothing then sends nothing. Isolation levels set
    /// in between apply to it.
    virtual awaitable<void> begin() = 0;
    virtual awaitable<void> commit() = 0;
    virtual awaitable<void> rollback() = 0;
    /// Ends the transaction of a connection going back to the pool. The
    /// ROLLBACK must reach the server now (an idle transaction holds locks),
    /// but the caller need not wait for its reply: a driver that can should
    /// send it and read the reply before its next operation, whose error a
    /// failure then becomes. The default awaits rollback().
    virtual awaitable<void> rollback_on_release();
    /// Reads what rollback_on_release() left unread, if anything: the pool calls
    /// it before a pre-ping, under a deadline of its own, so that a slow
    /// ROLLBACK does not pass for a dead server. The default does nothing.
    virtual awaitable<void> settle();
    virtual awaitable<void> savepoint(const std::string& name) = 0;
    virtual awaitable<void> release_savepoint(const std::string& name) = 0;
    virtual awaitable<void> rollback_to_savepoint(const std::string& name) = 0;

    /// Sets the isolation level of the transactions begun from now on. Only the
    /// levels the dialect lists in Dialect::isolation_levels() are ever passed
    /// (never autocommit, which the core handles by not beginning transactions).
    virtual awaitable<void> set_isolation_level(IsolationLevel level) = 0;

    /// Checks the connection is alive (a round trip); throws OperationalError if not.
    virtual awaitable<void> ping() = 0;
    /// Closes the connection; no other call may follow.
    virtual awaitable<void> close() = 0;
    /// False once the driver knows the connection is unusable (lost, closed).
    virtual bool is_open() const noexcept = 0;
    /// "SQLite 3.40.1", "PostgreSQL 15.18"...
    virtual std::string server_version() const = 0;
    /// The server's id of this session (PostgreSQL's backend PID, MySQL's thread
    /// id), for logs and administration; nullopt without a server.
    virtual std::optional<std::int64_t> session_id() const noexcept { return std::nullopt; }

    /// Binds the connection to `executor`: its operations complete there from now
    /// on. The pool calls it at every checkout, after detach().
    virtual void attach(boost::asio::any_io_executor executor) = 0;
    /// Drops every tie to the current executor (socket watchers, timers) while the
    /// connection idles in a pool. Only called between operations. Must not throw.
    virtual void detach() noexcept = 0;
};

}  // namespace retort::plugin
