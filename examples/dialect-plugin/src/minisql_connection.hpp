// One database connection. The sqlite3 API blocks, so every call runs on a
// worker thread of the connection's own (the toolkit's WorkerThread), one hop
// per operation: the event loop never waits. This is the shape for any client
// library without a non-blocking API.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <retort/plugin/driver.hpp>
#include <retort/plugin/support/deferred_begin.hpp>
#include <retort/plugin/support/statement_cache.hpp>
#include <retort/plugin/support/worker_thread.hpp>
#include <retort/url.hpp>

namespace minisql {

namespace plugin = retort::plugin;

class MinisqlConnection : public plugin::Connection {
public:
    /// Opens `url`'s database file (minisql:////abs/path.db, minisql:///rel.db,
    /// minisql:// in memory). URL option: timeout (seconds a locked database is
    /// waited for, 5 by default).
    static plugin::awaitable<std::unique_ptr<plugin::Connection>> open(const retort::Url& url);
    ~MinisqlConnection() override;

    plugin::awaitable<plugin::RawResult> execute(const std::string& sql, std::span<const retort::Value> params) override;
    plugin::awaitable<std::int64_t> execute_many(const std::string& sql,
                                                 std::span<const std::vector<retort::Value>> param_sets) override;
    plugin::awaitable<std::unique_ptr<plugin::Cursor>> stream(const std::string& sql,
                                                              std::span<const retort::Value> params) override;
    plugin::awaitable<void> begin() override;
    plugin::awaitable<void> commit() override;
    plugin::awaitable<void> rollback() override;
    plugin::awaitable<void> savepoint(const std::string& name) override;
    plugin::awaitable<void> release_savepoint(const std::string& name) override;
    plugin::awaitable<void> rollback_to_savepoint(const std::string& name) override;
    plugin::awaitable<void> set_isolation_level(retort::IsolationLevel level) override;
    plugin::awaitable<void> ping() override;
    plugin::awaitable<void> close() override;
    bool is_open() const noexcept override { return db_ != nullptr; }
    std::string server_version() const override;
    // The worker posts each completion to the awaiting coroutine's executor:
    // no Asio object here is tied to one.
    void attach(boost::asio::any_io_executor) override {}
    void detach() noexcept override {}

private:
    MinisqlConnection() = default;
    /// Runs `f()` on the worker, after the transaction's BEGIN if one is due
    /// (begin() sends none of its own: one hop for both). A caller's
    /// cancellation interrupts it: the running statement stops
    /// (sqlite3_interrupt), a later one does not start.
    template <class F>
    auto on_worker(F f) {
        interrupted_ = false;
        return worker_.run(
            [this, begin = begin_.take(), f = std::move(f)]() mutable {
                if (begin) exec_blocking("BEGIN");
                return f();
            },
            [this] { interrupt(); });
    }
    void interrupt() noexcept;
    void open_blocking(const retort::Url& url);
    void exec_blocking(const std::string& sql);
    plugin::RawResult execute_blocking(const std::string& sql, std::span<const retort::Value> params);
    sqlite3_stmt* prepare_blocking(const std::string& sql);
    void close_blocking();

    sqlite3* db_ = nullptr;
    std::mutex handle_mutex_;  ///< interrupt() (any thread) against close_blocking()
    std::atomic<bool> interrupted_{false};
    plugin::support::StatementCache<sqlite3_stmt*> statements_;
    plugin::support::DeferredBegin begin_;
    plugin::support::WorkerThread worker_;  // last: stopped first, before the handle is closed
};

}  // namespace minisql
