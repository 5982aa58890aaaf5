// A PostgreSQL connection on libpq's asynchronous API, its socket watched by
// Asio: no libpq call that can block ever runs on the event loop thread.
//
// Streams are server-side cursors inside a transaction (DECLARE, FETCH a
// batch, CLOSE) and single-row mode outside one, where a cursor cannot live.
//
// The connection stays in pipeline mode. Each operation queues its commands and
// one Sync, flushes, and reads results up to that Sync, so a statement's first
// execution prepares, describes and (next round trip) runs it, and later
// executions are a single round trip of the cached named statement. Pipeline
// mode is also what lets batches of statements share one round trip.
#pragma once

#include <libpq-fe.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <optional>
#include <string>
#include <vector>

#include "postgresql_types.hpp"
#include "retort/plugin/driver.hpp"
#include "retort/plugin/support/deferred_begin.hpp"
#include "retort/plugin/support/statement_cache.hpp"
#include "retort/url.hpp"

namespace retort::postgresql {

/// Owns a PGresult.
struct ResultPtr {
    PGresult* r = nullptr;
    ResultPtr() = default;
    explicit ResultPtr(PGresult* p) : r(p) {}
    ResultPtr(ResultPtr&& o) noexcept : r(std::exchange(o.r, nullptr)) {}
    ResultPtr& operator=(ResultPtr&& o) noexcept {
        if (this != &o) {
            if (r) PQclear(r);
            r = std::exchange(o.r, nullptr);
        }
        return *this;
    }
    ~ResultPtr() {
        if (r) PQclear(r);
    }
    explicit operator bool() const { return r != nullptr; }
    ExecStatusType status() const { return PQresultStatus(r); }
};

/// A named prepared statement of one connection.
struct PreparedStatement {
    std::string name;
    std::vector<Oid> param_types;  ///< as prepared (0: inferred by the server)
    bool binary_results = false;   ///< every result column has a binary decoder
};

class PgConnection : public plugin::Connection {
public:
    /// Connects to `url` without blocking: the host is resolved with Asio, and
    /// libpq's connect steps are driven by socket readiness under a deadline.
    static plugin::awaitable<std::unique_ptr<plugin::Connection>> open(const Url& url, boost::asio::any_io_executor ex);
    ~PgConnection() override;

    plugin::awaitable<plugin::RawResult> execute(const std::string& sql, std::span<const Value> params) override;
    /// Every statement behind one Sync: one round trip once they are prepared.
    plugin::awaitable<std::vector<plugin::RawResult>> execute_pipeline(std::span<const Request> requests) override;
    /// The whole batch behind one Sync: one round trip.
    plugin::awaitable<std::int64_t> execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets) override;
    plugin::awaitable<std::unique_ptr<plugin::Cursor>> stream(const std::string& sql, std::span<const Value> params) override;
    plugin::awaitable<void> begin() override;
    plugin::awaitable<void> commit() override;
    plugin::awaitable<void> rollback() override;
    /// Sends ROLLBACK and returns; the next request goes out behind it and
    /// reads its reply first (read_behind_rollback).
    plugin::awaitable<void> rollback_on_release() override;
    /// Reads the reply of a ROLLBACK that rollback_on_release() sent: the pool
    /// calls it before a pre-ping, and stream() before it starts.
    plugin::awaitable<void> settle() override;
    plugin::awaitable<void> savepoint(const std::string& name) override;
    plugin::awaitable<void> release_savepoint(const std::string& name) override;
    plugin::awaitable<void> rollback_to_savepoint(const std::string& name) override;
    plugin::awaitable<void> set_isolation_level(IsolationLevel level) override;
    plugin::awaitable<void> ping() override;
    plugin::awaitable<void> close() override;
    bool is_open() const noexcept override;
    std::string server_version() const override;
    std::optional<std::int64_t> session_id() const noexcept override;
    void attach(boost::asio::any_io_executor executor) override;
    void detach() noexcept override;

    // ---- used by the cursor ----
    /// The next result of the pipeline, waiting for the socket as needed; null
    /// between two commands' results. Throws OperationalError if the connection fails.
    plugin::awaitable<ResultPtr> next_result(const std::string& sql);
    /// Reads and discards results up to the pending Sync; rethrows the first error among them.
    plugin::awaitable<void> finish_request(const std::string& sql, std::exception_ptr first_error = nullptr);
    void mark_broken() noexcept { broken_ = true; }
    /// Runs one statement without parameters and appends its rows to `out`.
    plugin::awaitable<void> query_rows(const std::string& sql, bool binary, std::vector<Value>& out);
    /// In a transaction that has not failed: where a server-side cursor can live.
    bool in_open_transaction() const noexcept;

private:
    explicit PgConnection(PGconn* conn) : conn_(conn) {}
    [[noreturn]] void fail(const std::string& sql);
    /// A wait the caller cancelled: asks the server to cancel the statement,
    /// marks the connection unusable and throws operation_aborted.
    [[noreturn]] void cancelled();
    /// Sends the server a cancel request for the running statement, from a
    /// thread of its own (PQcancel blocks); at most once per connection.
    void request_cancel() noexcept;
    bool tls_bytes_pending() const noexcept;
    void check_usable(const std::string& sql) const;
    plugin::awaitable<void> flush(const std::string& sql);
    /// Sends Sync, then reads every result up to it, passing each successful one
    /// to `on_result`; throws the first error after the pipeline is drained.
    /// A release's ROLLBACK still unanswered is read first (read_behind_rollback).
    template <class F>
    plugin::awaitable<void> sync_and_read(const std::string& sql, F on_result);
    plugin::awaitable<void> read_behind_rollback();
    /// Reads results up to the pending Sync, as sync_and_read does after sending it.
    template <class F>
    plugin::awaitable<void> read_to_sync(const std::string& sql, F on_result, std::exception_ptr first_error);
    /// Runs one statement without parameters through the unnamed statement,
    /// after the deferred BEGIN when `in_transaction` (SAVEPOINT needs one; SET
    /// SESSION CHARACTERISTICS must come before it).
    plugin::awaitable<void> run_simple(const std::string& sql, bool in_transaction = true);

    /// Queues the deferred BEGIN, if one is due, in front of the request being
    /// built; returns how many results it adds (0 or 1) before the request's own.
    std::size_t send_begin(const std::string& sql);
    /// The cached statement for `sql` with parameters of these types, preparing it if needed.
    plugin::awaitable<const PreparedStatement*> prepare(const std::string& sql, std::span<const Oid> types);
    void evict(const std::string& sql);
    /// Queues the DEALLOCATEs of evicted statements in front of a Prepare; returns how many.
    std::size_t send_deallocations();
    void send_prepared(const std::string& sql, const PreparedStatement& st, const EncodedParams& params);

    PGconn* conn_;
    std::optional<boost::asio::posix::stream_descriptor> socket_;
    bool broken_ = false;
    bool cancel_requested_ = false;
    bool fresh_transaction_ = false;  ///< BEGIN was the last thing run: nothing to lose in it yet
    plugin::support::DeferredBegin begin_;
    bool unread_rollback_ = false;  ///< rollback_on_release()'s reply is still to be read

    plugin::support::StatementCache<PreparedStatement> statements_;
    std::vector<std::string> to_deallocate_;  ///< pushed out of the cache, DEALLOCATEd with the next prepare
    std::uint64_t statement_counter_ = 0;
    std::uint64_t cursor_counter_ = 0;
};

}  // namespace retort::postgresql
