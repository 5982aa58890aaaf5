// A SQLite connection on a worker thread of its own. The handle is opened with
// SQLITE_OPEN_NOMUTEX: only the worker ever touches it. Each operation (a whole
// statement with all its rows, or a batch of a stream) is one hop to the worker.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "retort/plugin/driver.hpp"
#include "retort/error.hpp"
#include "retort/plugin/support/deferred_begin.hpp"
#include "retort/plugin/support/statement_cache.hpp"
#include "retort/plugin/support/worker_thread.hpp"
#include "retort/url.hpp"

namespace retort::sqlite {

class SqliteConnection : public plugin::Connection {
public:
    /// Opens `url`'s database on the worker thread.
    static plugin::awaitable<std::unique_ptr<plugin::Connection>> open(const Url& url);
    ~SqliteConnection() override;

    plugin::awaitable<plugin::RawResult> execute(const std::string& sql, std::span<const Value> params) override;
    /// The whole batch in one hop to the worker.
    plugin::awaitable<std::int64_t> execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets) override;
    plugin::awaitable<std::unique_ptr<plugin::Cursor>> stream(const std::string& sql, std::span<const Value> params) override;
    plugin::awaitable<void> begin() override;
    plugin::awaitable<void> commit() override;
    plugin::awaitable<void> rollback() override;
    /// Queues the ROLLBACK on the worker without waiting: the next operation's hop runs after it.
    plugin::awaitable<void> rollback_on_release() override;
    /// Waits for a ROLLBACK so queued (a hop behind it).
    plugin::awaitable<void> settle() override;
    plugin::awaitable<void> savepoint(const std::string& name) override;
    plugin::awaitable<void> release_savepoint(const std::string& name) override;
    plugin::awaitable<void> rollback_to_savepoint(const std::string& name) override;
    plugin::awaitable<void> set_isolation_level(IsolationLevel level) override;
    plugin::awaitable<void> ping() override;
    plugin::awaitable<void> close() override;
    bool is_open() const noexcept override { return db_ != nullptr && !broken_; }
    std::string server_version() const override;
    // The worker thread posts each completion to the awaiting coroutine's own
    // executor: the connection holds no Asio object tied to one.
    void attach(boost::asio::any_io_executor) override {}
    void detach() noexcept override {}

    /// Runs `f()` on the worker thread, after the transaction's deferred BEGIN
    /// if one is due (one hop for both). A cancellation by the caller interrupts
    /// it (sqlite3_interrupt, and this connection's sleep() and busy waits), and
    /// the caller resumes with operation_aborted; the core then discards the connection.
    template <class F>
    auto on_worker(F f) {
        interrupted_ = false;  // one operation at a time: the previous one is over
        rollback_queued_ = false;  // (this hop runs after it)
        return worker_.run(
            [this, begin = begin_.take(), f = std::move(f)]() mutable {
                check_interrupted();
                if (broken_) throw OperationalError(Diagnostics{0, "", "the connection failed to end its last transaction", ""});
                if (begin) start_transaction_blocking();
                return f();
            },
            [this] { interrupt(); });
    }
    /// Throws if the running operation was interrupted (for waits SQLite does not
    /// interrupt itself: sleep(), the busy handler).
    void check_interrupted() const;
    bool interrupted() const noexcept { return interrupted_; }

    // Used by the cursor, on the worker thread.
    plugin::support::WorkerThread& worker() { return worker_; }
    sqlite3* handle() { return db_; }

private:
    SqliteConnection() = default;
    void open_blocking(const Url& url);
    /// Runs `sql` (which may hold several statements) with sqlite3_exec, compiled anew each time.
    void exec_blocking(const std::string& sql);
    /// Runs one statement without parameters through the statement cache: for
    /// BEGIN, COMMIT and ROLLBACK, which every transaction runs (sqlite3_exec
    /// would compile them each time).
    void run_cached_blocking(const std::string& sql);
    /// The deferred BEGIN; if it fails it stays due, for the next operation.
    void start_transaction_blocking();
    /// The first column of the first row of `sql`, as text ("" when none).
    std::string query_text_blocking(const std::string& sql);
    plugin::RawResult execute_blocking(const std::string& sql, std::span<const Value> params);
    void close_blocking();
    /// From any thread, while an operation runs.
    void interrupt() noexcept;

    sqlite3* db_ = nullptr;
    std::atomic<bool> interrupted_{false};
    std::mutex handle_mutex_;  ///< interrupt() against close_blocking()
    double busy_timeout_ = 5.0;
    plugin::support::StatementCache<sqlite3_stmt*> cache_;  ///< finalized on the worker
    std::string begin_sql_ = "BEGIN";
    plugin::support::DeferredBegin begin_;
    /// A ROLLBACK queued by rollback_on_release() failed: the connection is not reused.
    std::atomic<bool> broken_{false};
    bool rollback_queued_ = false;  ///< since the last hop (see settle())
    plugin::support::WorkerThread worker_;  // last: stopped in the destructor before the handle is closed
};

}  // namespace retort::sqlite
