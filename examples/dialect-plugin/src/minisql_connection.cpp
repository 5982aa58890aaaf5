#include "minisql_connection.hpp"

#include <chrono>
#include <retort/error.hpp>
#include <retort/plugin/support/buffered_cursor.hpp>
#include <retort/plugin/support/savepoint_sql.hpp>

#include "minisql_errors.hpp"
#include "minisql_types.hpp"

namespace minisql {

using namespace retort;
using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

namespace {

// Resets a statement however the step loop ends, so that the cache holds it clean.
struct Reset {
    sqlite3_stmt* stmt;
    ~Reset() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

[[noreturn]] void closed(const std::string& sql) {
    throw OperationalError(Diagnostics{0, "", "the connection is closed", sql});
}

}  // namespace

plugin::awaitable<std::unique_ptr<plugin::Connection>> MinisqlConnection::open(const Url& url) {
    std::unique_ptr<MinisqlConnection> c(new MinisqlConnection());
    co_await c->on_worker([&] { c->open_blocking(url); });
    co_return c;
}

MinisqlConnection::~MinisqlConnection() {
    worker_.stop();  // from here on this thread alone touches the handle
    close_blocking();
}

void MinisqlConnection::open_blocking(const Url& url) {
    double timeout = 5.0;
    for (const auto& [key, value] : url.query()) {
        if (key != "timeout") throw ArgumentError("unknown minisql URL option '" + key + "'; known: timeout");
        char* end = nullptr;
        timeout = std::strtod(value.c_str(), &end);
        if (value.empty() || *end || timeout < 0)
            throw ArgumentError("minisql URL option timeout must be a number of seconds, not '" + value + "'");
    }
    std::string path = url.database().empty() ? ":memory:" : url.database();  // (see one_database_per_connection)
    sqlite3* handle = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        Diagnostics d{rc, "", std::string(handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)) + " (" + path + ")", ""};
        sqlite3_close_v2(handle);
        throw OperationalError(std::move(d));
    }
    {
        std::lock_guard lock(handle_mutex_);
        db_ = handle;
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(timeout * 1000));
    // sqlite3_interrupt stops only what runs: this also stops a statement that
    // starts after the caller cancelled (checked every 1,000 steps).
    sqlite3_progress_handler(
        db_, 1000, [](void* self) { return static_cast<MinisqlConnection*>(self)->interrupted_ ? 1 : 0; }, this);
    // sleep(seconds), which the conformance kit's cancellation cases call: it
    // blocks this worker only, and ends early when the caller cancels.
    sqlite3_create_function_v2(
        db_, "sleep", 1, SQLITE_UTF8, this,
        [](sqlite3_context* ctx, int, sqlite3_value** argv) {
            auto* self = static_cast<MinisqlConnection*>(sqlite3_user_data(ctx));
            auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                                std::chrono::duration<double>(sqlite3_value_double(argv[0])));
            while (std::chrono::steady_clock::now() < until) {
                if (self->interrupted_) return sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
                sqlite3_sleep(10);
            }
            sqlite3_result_int(ctx, 0);
        },
        nullptr, nullptr, nullptr);
    exec_blocking("PRAGMA foreign_keys = ON");
    if (path != ":memory:") {
        // Write-ahead logging lets readers run beside a writer. Two connections
        // opening a new file race to switch it, and SQLite does not wait on a
        // lock for this: read first, retry while another holds it.
        auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
        for (;;) {
            auto r = execute_blocking("PRAGMA journal_mode", {});
            if (!r.values.empty() && r.values[0] == Value(std::string("wal"))) break;
            if (std::chrono::steady_clock::now() > give_up)  // a file system without WAL keeps its old mode
                throw OperationalError(Diagnostics{SQLITE_CANTOPEN, "", "cannot switch " + path + " to WAL", ""});
            try {
                exec_blocking("PRAGMA journal_mode = WAL");
            } catch (const OperationalError& e) {
                if ((e.native_code() & 0xff) != SQLITE_BUSY) throw;
                sqlite3_sleep(5);
            }
        }
    }
}

void MinisqlConnection::exec_blocking(const std::string& sql) {
    if (!db_) closed(sql);
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) raise_error(db_, rc, sql);
}

sqlite3_stmt* MinisqlConnection::prepare_blocking(const std::string& sql) {
    if (sqlite3_stmt** cached = statements_.find(sql)) return *cached;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK) raise_error(db_, rc, sql);
    if (!stmt) throw ProgrammingError(Diagnostics{SQLITE_MISUSE, "", "the statement is empty", sql});
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')) ++tail;
    if (tail && *tail) {
        sqlite3_finalize(stmt);
        throw ProgrammingError(Diagnostics{SQLITE_MISUSE, "", "only one statement can be executed at a time", sql});
    }
    for (sqlite3_stmt* old : statements_.put(sql, stmt)) sqlite3_finalize(old);
    return stmt;
}

plugin::RawResult MinisqlConnection::execute_blocking(const std::string& sql, std::span<const Value> params) {
    if (!db_) closed(sql);
    sqlite3_stmt* stmt = prepare_blocking(sql);
    Reset reset{stmt};
    if (sqlite3_bind_parameter_count(stmt) != static_cast<int>(params.size()))
        throw ProgrammingError(Diagnostics{SQLITE_RANGE, "",
                                           "the statement takes " + std::to_string(sqlite3_bind_parameter_count(stmt)) +
                                               " parameters, " + std::to_string(params.size()) + " were given",
                                           sql});
    for (std::size_t i = 0; i < params.size(); ++i)
        if (int rc = bind_value(stmt, static_cast<int>(i + 1), params[i]); rc != SQLITE_OK) raise_error(db_, rc, sql);
    plugin::RawResult r;
    int width = sqlite3_column_count(stmt);
    for (int i = 0; i < width; ++i) r.column_names.emplace_back(sqlite3_column_name(stmt, i));
    for (int rc; (rc = sqlite3_step(stmt)) != SQLITE_DONE;) {
        if (rc != SQLITE_ROW) raise_error(db_, rc, sql);
        for (int i = 0; i < width; ++i) r.values.push_back(column_value(stmt, i));
    }
    if (!sqlite3_stmt_readonly(stmt)) {
        r.rows_affected = sqlite3_changes64(db_);
        r.last_insert_id = sqlite3_last_insert_rowid(db_);
    }
    return r;
}

void MinisqlConnection::close_blocking() {
    for (sqlite3_stmt* s : statements_.take_all()) sqlite3_finalize(s);
    std::lock_guard lock(handle_mutex_);
    if (db_) sqlite3_close_v2(db_);
    db_ = nullptr;
}

void MinisqlConnection::interrupt() noexcept {
    interrupted_ = true;
    std::lock_guard lock(handle_mutex_);
    if (db_) sqlite3_interrupt(db_);
}

plugin::awaitable<plugin::RawResult> MinisqlConnection::execute(const std::string& sql, std::span<const Value> params) {
    co_return co_await on_worker([&] { return execute_blocking(sql, params); });
}

// The whole batch in one hop to the worker.
plugin::awaitable<std::int64_t> MinisqlConnection::execute_many(const std::string& sql,
                                                                std::span<const std::vector<Value>> param_sets) {
    co_return co_await on_worker([&] {
        std::int64_t total = 0;
        for (const auto& params : param_sets) total += std::max<std::int64_t>(0, execute_blocking(sql, params).rows_affected);
        return total;
    });
}

// Read whole, then handed out in batches: the connection is free meanwhile.
plugin::awaitable<std::unique_ptr<plugin::Cursor>> MinisqlConnection::stream(const std::string& sql,
                                                                             std::span<const Value> params) {
    auto rows = co_await on_worker([&] { return execute_blocking(sql, params); });
    co_return std::make_unique<plugin::support::BufferedCursor>(std::move(rows));
}

// BEGIN travels with the transaction's first statement (on_worker); a
// transaction that ran nothing has nothing to end.
plugin::awaitable<void> MinisqlConnection::begin() {
    begin_.request();
    co_return;
}
plugin::awaitable<void> MinisqlConnection::commit() {
    if (begin_.drop()) co_return;
    co_await on_worker([this] { exec_blocking("COMMIT"); });
}
plugin::awaitable<void> MinisqlConnection::rollback() {
    if (begin_.drop()) co_return;
    co_await on_worker([this] { exec_blocking("ROLLBACK"); });
}
plugin::awaitable<void> MinisqlConnection::savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::create, name)); });
}
plugin::awaitable<void> MinisqlConnection::release_savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::release, name)); });
}
plugin::awaitable<void> MinisqlConnection::rollback_to_savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::rollback_to, name)); });
}
// Only SERIALIZABLE is offered (MinisqlDialect::isolation_levels): nothing to change.
plugin::awaitable<void> MinisqlConnection::set_isolation_level(IsolationLevel) { co_return; }
plugin::awaitable<void> MinisqlConnection::ping() {
    co_await on_worker([this] { exec_blocking("SELECT 1"); });
}
plugin::awaitable<void> MinisqlConnection::close() {
    begin_.drop();
    co_await on_worker([this] { close_blocking(); });
}

std::string MinisqlConnection::server_version() const { return std::string("SQLite ") + sqlite3_libversion(); }

}  // namespace minisql
