// AsyncConnection: one database connection checked out of its engine's pool,
// used from coroutines in the SQLAlchemy 2.0 "commit as you go" style: the first
// statement begins a transaction, commit() or rollback() ends it, and close()
// rolls back what is left and returns the connection to the pool.
//
//   auto conn = co_await engine.connect();
//   co_await conn.execute(insert(users).values({users_name, "ed"}));
//   co_await conn.commit();
//   co_await conn.close();
//
// Scopes that must end with commit or rollback take a coroutine body:
//   co_await conn.transaction([&](AsyncConnection& c) -> awaitable<void> { ... });
//
// Cancellation: every operation that waits (execute, a stream's fetch, commit,
// rollback, close...) honours Asio per-operation cancellation: the caller's own
// timeout (`co_await (conn.execute(q) || timer.async_wait(use_awaitable))`), a
// bound cancellation_signal, a terminal cancellation of the co_spawned
// coroutine. It ends at once, throwing boost::system::system_error
// (operation_aborted); the statement is stopped on the server (PostgreSQL's
// cancel request, MySQL's KILL QUERY, sqlite3_interrupt), its transaction is
// rolled back by the server, and the connection is discarded from the pool:
// this AsyncConnection is closed from then on. An io_context destroyed while a
// statement runs stops it the same way, and neither crashes nor blocks.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "retort/coroutine_body.hpp"
#include "retort/engine/isolation_level.hpp"
#include "retort/engine/params.hpp"
#include "retort/engine/result.hpp"
#include "retort/sql/statement.hpp"

namespace retort {

template <class T>
using awaitable = boost::asio::awaitable<T>;

namespace plugin {
class Dialect;
}
namespace detail {
struct ConnectionState;
struct StreamState;
}  // namespace detail

class Connection;

/// A result read as it is fetched: rows arrive in batches while you iterate.
/// Until it is read to its end or closed, its connection starts no other stream,
/// commit or savepoint (a rollback ends the result first); other statements run beside it only
/// when allows_other_statements() says so (PostgreSQL's server-side cursor in a
/// transaction, SQLite), and are refused with InvalidRequestError otherwise.
class AsyncResult {
public:
    AsyncResult(AsyncResult&&) noexcept;
    AsyncResult& operator=(AsyncResult&&) noexcept;
    ~AsyncResult();

    const std::vector<std::string>& keys() const;
    /// The next row, or nullopt at the end (which also closes the result).
    awaitable<std::optional<Row>> fetchone();
    /// Up to `n` more rows; fewer only at the end.
    awaitable<std::vector<Row>> fetchmany(std::size_t n);
    /// Every remaining row.
    awaitable<std::vector<Row>> all();
    /// The first column of the next row read as T, or nullopt at the end.
    template <Readable T>
    awaitable<std::optional<T>> next_scalar() {
        auto row = co_await fetchone();
        if (!row) co_return std::nullopt;
        co_return row->template get<T>(0);
    }
    /// Stops reading; the rest of the result is discarded.
    awaitable<void> close();
    /// Whether its connection may run other statements (execute, execute_many)
    /// while this result is open: the backend fetches each batch by a request
    /// of its own instead of holding the connection's wire.
    bool allows_other_statements() const;

private:
    friend class AsyncConnection;
    explicit AsyncResult(std::unique_ptr<detail::StreamState> s);
    std::unique_ptr<detail::StreamState> s_;
};

class AsyncConnection {
public:
    AsyncConnection(AsyncConnection&&) noexcept;
    AsyncConnection& operator=(AsyncConnection&&) noexcept;
    /// A connection still open here is rolled back and closed in the background:
    /// C++ has no asynchronous destructor. Prefer an explicit close().
    ~AsyncConnection();

    /// Runs a statement and returns all its rows. Begins a transaction first if none is open.
    /// Throws the DBAPIError family, CompileError, ArgumentError (a missing parameter).
    awaitable<Result> execute(const sql::Statement& stmt, const Params& params = {});
    /// Runs a statement that returns no rows once per parameter set (SQLAlchemy's
    /// executemany), as few round trips as the backend allows: one for the whole
    /// batch on PostgreSQL. Where the dialect says so (Capabilities::
    /// insert_many_values: PostgreSQL, SQLite), a one-row INSERT ... VALUES goes
    /// as multi-row INSERTs of up to max_rows_per_insert rows each (SQLAlchemy's
    /// insertmanyvalues), and the statement hook sees those; MariaDB binds the
    /// sets as arrays instead. rowcount() of the result is the total. Begins a
    /// transaction first if none is open; a failure stops the batch and is thrown,
    /// and rolling back undoes the sets that ran. Throws ArgumentError for a
    /// statement that returns rows (use execute() for RETURNING).
    awaitable<Result> execute_many(const sql::Statement& stmt, const std::vector<Params>& param_sets);
    /// Runs several statements in order and returns their results: in one round
    /// trip where the backend pipelines (PostgreSQL), one by one elsewhere.
    /// Begins a transaction first if none is open; the first failure is thrown,
    /// and rolling back undoes the statements that ran before it.
    awaitable<std::vector<Result>> execute_all(const std::vector<sql::Statement>& statements);
    /// The first column of the first row, read as T.
    template <Readable T = Value>
    awaitable<T> scalar(const sql::Statement& stmt, const Params& params = {}) {
        auto r = co_await execute(stmt, params);
        co_return r.template scalar<T>();
    }
    /// The first column of every row, read as T.
    template <Readable T = Value>
    awaitable<std::vector<T>> scalars(const sql::Statement& stmt, const Params& params = {}) {
        auto r = co_await execute(stmt, params);
        co_return r.template scalars<T>();
    }
    /// Runs a statement and streams its rows (server-side where the backend can).
    awaitable<AsyncResult> stream(const sql::Statement& stmt, const Params& params = {});

    /// Begins a transaction explicitly; throws InvalidRequestError if one is open.
    awaitable<void> begin();
    /// Commits the open transaction (a no-op when none is open).
    awaitable<void> commit();
    /// Rolls back the open transaction (a no-op when none is open). A result
    /// still being streamed ends first: reading it further throws InvalidRequestError.
    awaitable<void> rollback();
    /// Opens a SAVEPOINT inside the transaction (beginning one if needed); returns its name.
    awaitable<std::string> begin_nested();
    /// RELEASE / ROLLBACK TO the savepoint `name` (and every savepoint opened after it).
    awaitable<void> commit_nested(const std::string& name);
    awaitable<void> rollback_nested(const std::string& name);
    bool in_transaction() const;
    /// Whether a result of stream() is open on this connection (not read to its end nor closed).
    bool streaming() const;

    /// Sets the isolation level of this connection's next transactions (before
    /// any is begun; throws InvalidRequestError otherwise). AUTOCOMMIT stops the
    /// implicit BEGIN: each statement then commits on its own, while begin() and
    /// transaction() still open real transactions. Throws ArgumentError for a
    /// level the dialect does not offer. The pool restores the engine's level
    /// when the connection is returned (or closes it if the engine sets none).
    awaitable<void> set_isolation_level(IsolationLevel level);

    /// Runs `body` in a transaction: commits when it returns, rolls back and
    /// rethrows when it throws. Nested calls use a savepoint. On GCC 12, a body
    /// that owns captures must be passed by name (see retort/coroutine_body.hpp).
    template <class F>
    awaitable<void> transaction(F&& body) {
        RETORT_REQUIRE_SAFE_BODY(F, "AsyncConnection::transaction(body)");
        static_assert(std::is_same_v<std::invoke_result_t<std::remove_cvref_t<F>&, AsyncConnection&>, awaitable<void>>,
                      "a transaction body must be a coroutine: [&](AsyncConnection& c) -> awaitable<void> { ... }");
        return run_transaction(Body(std::remove_cvref_t<F>(std::forward<F>(body))));
    }

    /// Runs a blocking function `f(Connection&)` (such as MetaData::create_all)
    /// on a thread of its own, where the Connection it gets runs statements on
    /// this connection. The event loop stays free meanwhile. Returns what f returns.
    template <class F>
    auto run_sync(F&& f) -> awaitable<std::invoke_result_t<std::remove_cvref_t<F>&, Connection&>> {
        RETORT_REQUIRE_SAFE_BODY(F, "AsyncConnection::run_sync(f)");
        using R = std::invoke_result_t<std::remove_cvref_t<F>&, Connection&>;
        if constexpr (std::is_void_v<R>) return run_sync_owned(SyncBody(std::remove_cvref_t<F>(std::forward<F>(f))));
        else return run_sync_returning(std::remove_cvref_t<F>(std::forward<F>(f)));
    }

    /// Ends any result still being read, rolls back an open transaction and returns
    /// the connection to the engine's pool. Safe to call twice; nothing else may follow.
    awaitable<void> close();
    bool closed() const;

    const plugin::Dialect& dialect() const;
    boost::asio::any_io_executor get_executor() const;
    /// "SQLite 3.40.1", "PostgreSQL 15.18"...
    std::string server_version() const;
    /// The server's id for this session (PostgreSQL backend PID, MySQL thread id); nullopt without a server.
    std::optional<std::int64_t> session_id() const;

private:
    friend class Connection;
    using Body = detail::OwnedBody<awaitable<void>(AsyncConnection&)>;
    using SyncBody = detail::OwnedBody<void(Connection&)>;
    friend class AsyncEngine;
    explicit AsyncConnection(std::shared_ptr<detail::ConnectionState> s);
    // Compiled once, in the library (core/src/engine/connection.cpp).
    awaitable<void> run_transaction(Body body);
    awaitable<void> run_sync_owned(SyncBody f);
    template <class F>
    auto run_sync_returning(F f) -> awaitable<std::invoke_result_t<F&, Connection&>>;

    std::shared_ptr<detail::ConnectionState> s_;
};

/// The blocking view of an AsyncConnection that run_sync hands to its function.
/// Each call runs on the connection's executor and waits for it.
class Connection {
public:
    explicit Connection(AsyncConnection& conn) : conn_(conn) {}
    Result execute(const sql::Statement& stmt, const Params& params = {});
    template <Readable T = Value>
    T scalar(const sql::Statement& stmt, const Params& params = {}) {
        return execute(stmt, params).template scalar<T>();
    }
    void commit();
    void rollback();
    const plugin::Dialect& dialect() const { return conn_.dialect(); }

private:
    AsyncConnection& conn_;
};

template <class F>
auto AsyncConnection::run_sync_returning(F f) -> awaitable<std::invoke_result_t<F&, Connection&>> {
    std::optional<std::invoke_result_t<F&, Connection&>> out;
    auto body = [&](Connection& c) { out.emplace(f(c)); };
    co_await run_sync(body);  // named: no lambda temporary inside co_await (docs/gcc12.md)
    co_return std::move(*out);
}

}  // namespace retort
