// A MySQL/MariaDB connection on Connector/C's non-blocking API. Every call that
// may wait on the network is a _start/_cont pair: the library runs it on a
// small coroutine stack of its own and returns the events it needs
// (MYSQL_WAIT_READ/WRITE/TIMEOUT); Asio watches the socket for them and the
// call continues when they happen. The event loop never blocks, and one
// connection is one actor: the core runs one operation at a time on it.
//
// One exception, forced by the library: Connector/C 3.3 performs the TLS
// handshake with blocking reads even inside its non-blocking connect, so a
// connection that may use TLS (any ssl_mode but disabled) is opened with the
// blocking API on a thread of its own, then driven like the others.
#pragma once

#include <mysql.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retort/error.hpp"
#include "retort/plugin/driver.hpp"
#include "retort/plugin/support/deferred_begin.hpp"
#include "retort/plugin/support/statement_cache.hpp"
#include "retort/url.hpp"

namespace retort::mysql {

/// Watches the socket of a Connector/C handle with Asio. The file descriptor
/// belongs to the library: the watcher release()s it, never closes it.
class SocketWatcher {
public:
    using Clock = std::chrono::steady_clock;

    SocketWatcher() = default;
    SocketWatcher(const SocketWatcher&) = delete;
    SocketWatcher& operator=(const SocketWatcher&) = delete;
    ~SocketWatcher() { release(); }

    /// Starts watching `fd` on `executor`.
    void assign(const boost::asio::any_io_executor& executor, int fd);
    /// Stops watching (deregisters the descriptor from the reactor) and drops every Asio object.
    void release() noexcept;
    bool attached() const noexcept { return sd_.has_value(); }
    int fd() const noexcept { return fd_; }

    /// Waits for what a _start/_cont call asked for in `status` (MYSQL_WAIT_*) and
    /// completes with the events to pass to the _cont call. A MYSQL_WAIT_TIMEOUT
    /// request arms a timer of mysql_get_timeout_value_ms(m), as do `deadline`,
    /// `read_timeout` and `write_timeout`; when a timer wins, the socket is shut
    /// down (never closed) and the call completes with MYSQL_WAIT_TIMEOUT. A
    /// cancellation of the awaiting operation does the same, setting `expired`
    /// to `cancelled`: the library call then fails at once, and the session is lost.
    /// Not a coroutine (GCC 12 mishandles `co_await async_initiate(...)` inside one).
    boost::asio::awaitable<int> wait(MYSQL* m, int status);

    /// Why the last call was cut short: the connect deadline, read_timeout,
    /// write_timeout, or the caller's cancellation (Asio per-operation cancellation).
    enum class Expired { none, deadline, read, write, cancelled };

    /// While set, a wait still pending at that point in time ends the call (connect_timeout).
    std::optional<Clock::time_point> deadline;
    /// The longest one wait for the server may last (read_timeout, write_timeout); unset: no limit.
    std::optional<std::chrono::milliseconds> read_timeout, write_timeout;
    /// Set when a timer ended a wait; `none` otherwise.
    Expired expired = Expired::none;

private:
    template <class Handler>
    void start_wait(Handler handler, int status, std::optional<Clock::time_point> expiry, Expired reason);

    std::optional<boost::asio::posix::stream_descriptor> sd_;
    int fd_ = -1;
};

class MysqlConnection : public plugin::Connection {
public:
    /// Connects to `url`'s server; completes on `executor`. Throws ArgumentError
    /// for bad URL options, OperationalError when the server cannot be reached or
    /// refuses the login (the message never holds the password).
    static plugin::awaitable<std::unique_ptr<plugin::Connection>> open(const Url& url, boost::asio::any_io_executor executor);
    /// Safe on any thread once detached (see the definition).
    ~MysqlConnection() override;

    plugin::awaitable<plugin::RawResult> execute(const std::string& sql, std::span<const Value> params) override;
    /// The whole batch in one execution by array binding, where MariaDB allows (mysql_batch.cpp).
    plugin::awaitable<std::int64_t> execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets) override;
    plugin::awaitable<std::unique_ptr<plugin::Cursor>> stream(const std::string& sql, std::span<const Value> params) override;
    plugin::awaitable<void> begin() override;
    plugin::awaitable<void> commit() override;
    plugin::awaitable<void> rollback() override;
    /// Sends ROLLBACK (mysql_send_query) and returns; its reply is read before the next operation.
    plugin::awaitable<void> rollback_on_release() override;
    /// Reads that reply now (begin_operation).
    plugin::awaitable<void> settle() override;
    plugin::awaitable<void> savepoint(const std::string& name) override;
    plugin::awaitable<void> release_savepoint(const std::string& name) override;
    plugin::awaitable<void> rollback_to_savepoint(const std::string& name) override;
    plugin::awaitable<void> set_isolation_level(IsolationLevel level) override;
    plugin::awaitable<void> ping() override;
    plugin::awaitable<void> close() override;
    bool is_open() const noexcept override { return m_ != nullptr && !lost_; }
    std::string server_version() const override { return server_version_; }
    std::optional<std::int64_t> session_id() const noexcept override { return thread_id_; }
    void attach(boost::asio::any_io_executor executor) override;
    void detach() noexcept override;

    // For the cursor.
    /// Runs one non-blocking call to completion: `start()` is the _start call,
    /// `cont(events)` the _cont call; both return the events still awaited (0: done).
    template <class Start, class Cont>
    plugin::awaitable<void> drive(Start start, Cont cont);
    /// Throws the DBAPIError for `d`, first marking the connection lost if the error says so.
    [[noreturn]] void fail(Diagnostics d);
    /// The streamed result of `stmt` was read to its end or discarded.
    void stream_finished(MYSQL_STMT* stmt) noexcept;
    /// Reads and drops the further results of a CALL, which would otherwise
    /// leave the connection out of step with the server ("commands out of sync").
    plugin::awaitable<void> drain_more_results(MYSQL_STMT* stmt, const std::string& sql);

private:
    struct Options;
    MysqlConnection() = default;

    void configure(const Options& o);
    static void apply_tls_options(MYSQL* m, const Options& o);
    plugin::awaitable<void> connect_nonblocking(const Options& o, const std::string& address,
                                                boost::asio::any_io_executor executor);
    plugin::awaitable<void> connect_on_thread(const Options& o, boost::asio::any_io_executor executor);
    void connected(const Options& o, const boost::asio::any_io_executor& executor);
    /// `why`: what cut the connect short, if anything (the message names that limit).
    [[noreturn]] void connect_failed(const Options& o, Diagnostics d, const std::string& where, SocketWatcher::Expired why);
    void follow_socket(const boost::asio::any_io_executor& executor);
    /// What every operation starts with: the connection checked, attached to
    /// the caller's executor, a dropped cursor's rows and an unread ROLLBACK
    /// reply read off the wire.
    plugin::awaitable<void> begin_operation(const std::string& sql);
    /// Before a statement: it opens the transaction begin() deferred (the
    /// session runs with autocommit off, so no BEGIN is needed), or, outside
    /// any transaction, runs with autocommit on.
    plugin::awaitable<void> enter_statement();
    struct Prepared {
        MYSQL_STMT* stmt = nullptr;  ///< null: the server cannot prepare it; run it as text
        bool cached = false;         ///< false: the caller closes it after use
    };
    /// The prepared statement for `sql`, from the cache or prepared now (and
    /// then cached if `cache`).
    plugin::awaitable<Prepared> prepared(const std::string& sql, bool cache);
    /// Binds `params` and executes `stmt`; false when its result columns changed
    /// since it was prepared and it must be prepared again (CR_NEW_STMT_METADATA).
    plugin::awaitable<bool> run(MYSQL_STMT* stmt, const std::string& sql, std::span<const Value> params);
    /// run(), then reads the whole result; nullopt when run() returned false.
    plugin::awaitable<std::optional<plugin::RawResult>> run_and_read(MYSQL_STMT* stmt, const std::string& sql,
                                                                     std::span<const Value> params,
                                                                     const std::string& keyword);
    plugin::awaitable<plugin::RawResult> execute_text(const std::string& sql, std::span<const Value> params);
    plugin::awaitable<void> query(const std::string& sql);
    plugin::awaitable<void> discard_statement(MYSQL_STMT* stmt);

    void mark_lost() noexcept;
    void close_handle() noexcept;
    /// Asks the server, on a side connection from a thread of its own, to stop
    /// the statement this session runs (KILL QUERY); at most once per connection.
    void request_kill() noexcept;
    /// After a call the caller cancelled: the statement is killed on the server,
    /// the connection marked lost, and operation_aborted thrown.
    [[noreturn]] void cancelled();

    MYSQL* m_ = nullptr;
    bool lost_ = false;
    bool mariadb_ = true;
    bool tls_ = false;  ///< the session is encrypted: its calls go through OpenSSL (see drive())
    // Transactions: the session runs with autocommit off (set at connect), so a
    // transaction opens with its first statement and begin() costs no round trip.
    plugin::support::DeferredBegin begin_;
    bool in_transaction_ = false;    ///< between begin() and commit() / rollback()
    bool server_autocommit_ = false; ///< switched on for statements outside a transaction
    bool unread_rollback_ = false;   ///< rollback_on_release()'s reply is still to be read
    SocketWatcher io_;
    /// Prepared statements by SQL text. An entry may be null: the server cannot
    /// prepare that text (ER_UNSUPPORTED_PS), so it goes by the text protocol.
    plugin::support::StatementCache<MYSQL_STMT*> cache_;
    // A streamed result not read to its end (its cursor was dropped): the next
    // operation discards its rows first.
    MYSQL_STMT* unfinished_ = nullptr;
    // Statements of a connection found lost, freed once the handle is closed
    // (mysql_close detaches them, so freeing them then sends nothing).
    std::vector<MYSQL_STMT*> orphans_;
    std::string server_version_;
    std::optional<std::int64_t> thread_id_;
    /// What a side connection needs to reach the server as this one did (KILL QUERY).
    std::shared_ptr<const Options> options_;
    bool in_call_ = false;  ///< a library call is under way (destroyed mid-call: kill it)
    bool kill_requested_ = false;
};

}  // namespace retort::mysql
