#include "sqlite_connection.hpp"

#include <charconv>
#include <chrono>

#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/error.hpp"
#include "sqlite_cursor.hpp"
#include "sqlite_errors.hpp"
#include "sqlite_types.hpp"

namespace retort::sqlite {

using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

// ---- connection ----------------------------------------------------------------------

SqliteConnection::~SqliteConnection() {
    worker_.stop();
    // The worker has stopped: this thread is now the only one touching the handle.
    close_blocking();
}

std::string SqliteConnection::query_text_blocking(const std::string& sql) {
    auto r = execute_blocking(sql, {});
    if (r.values.empty()) return {};
    auto* text = std::get_if<std::string>(&r.values[0]);
    return text ? *text : std::string{};
}

void SqliteConnection::exec_blocking(const std::string& sql) {
    if (!db_) throw OperationalError(Diagnostics{0, "", "the connection is closed", sql});
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) raise_error(db_, rc, sql);
}

plugin::RawResult SqliteConnection::execute_blocking(const std::string& sql, std::span<const Value> params) {
    if (!db_) throw OperationalError(Diagnostics{0, "", "the connection is closed", sql});
    sqlite3_stmt* stmt = nullptr;
    if (auto* hit = cache_.find(sql)) stmt = *hit;
    if (!stmt) {
        const char* tail = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
        if (rc != SQLITE_OK) raise_error(db_, rc, sql);
        if (!stmt) return {};  // the text held only a comment or white space
        for (; tail && *tail; ++tail) {
            if (!std::isspace(static_cast<unsigned char>(*tail)) && *tail != ';') {
                sqlite3_finalize(stmt);
                Diagnostics d{SQLITE_MISUSE, "", "only one statement can be executed at a time", sql};
                throw ProgrammingError(std::move(d));
            }
        }
        for (sqlite3_stmt* old : cache_.put(sql, stmt)) sqlite3_finalize(old);
    }
    ResetGuard guard{stmt};
    bind_all(db_, stmt, params, sql, false);
    plugin::RawResult r;
    r.column_names = read_column_names(stmt);
    bool done = false;
    step_rows(db_, stmt, r.values, static_cast<std::size_t>(-1), done, sql);
    if (!sqlite3_stmt_readonly(stmt)) {
        r.rows_affected = sqlite3_changes64(db_);
        r.last_insert_id = sqlite3_last_insert_rowid(db_);
    }
    return r;
}

void SqliteConnection::close_blocking() {
    for (sqlite3_stmt* s : cache_.take_all()) sqlite3_finalize(s);
    std::lock_guard lock(handle_mutex_);
    if (db_) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
}

void SqliteConnection::interrupt() noexcept {
    interrupted_ = true;
    std::lock_guard lock(handle_mutex_);
    if (db_) sqlite3_interrupt(db_);
}

void SqliteConnection::check_interrupted() const {
    if (interrupted_) throw OperationalError(Diagnostics{SQLITE_INTERRUPT, "", "interrupted", ""});
}

plugin::awaitable<plugin::RawResult> SqliteConnection::execute(const std::string& sql, std::span<const Value> params) {
    co_return co_await on_worker([&] { return execute_blocking(sql, params); });
}

plugin::awaitable<std::int64_t> SqliteConnection::execute_many(const std::string& sql,
                                                               std::span<const std::vector<Value>> param_sets) {
    co_return co_await on_worker([&] {
        std::int64_t total = 0;
        for (const auto& params : param_sets) {
            check_interrupted();  // between the statements of the batch too
            total += std::max<std::int64_t>(0, execute_blocking(sql, params).rows_affected);
        }
        return total;
    });
}

plugin::awaitable<std::unique_ptr<plugin::Cursor>> SqliteConnection::stream(const std::string& sql, std::span<const Value> params) {
    bool in_transaction = false;
    sqlite3_stmt* stmt = co_await on_worker([&] {
        if (!db_) throw OperationalError(Diagnostics{0, "", "the connection is closed", sql});
        in_transaction = sqlite3_get_autocommit(db_) == 0;
        sqlite3_stmt* s = nullptr;
        int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &s, nullptr);
        if (rc != SQLITE_OK) raise_error(db_, rc, sql);
        try {
            bind_all(db_, s, params, sql, true);
        } catch (...) {
            sqlite3_finalize(s);
            throw;
        }
        return s;
    });
    co_return make_cursor(*this, stmt, sql, in_transaction);
}

void SqliteConnection::run_cached_blocking(const std::string& sql) { execute_blocking(sql, {}); }

void SqliteConnection::start_transaction_blocking() {
    try {
        run_cached_blocking(begin_sql_);
    } catch (...) {
        begin_.request();
        throw;
    }
}

plugin::awaitable<void> SqliteConnection::begin() {
    begin_.request();  // BEGIN goes with the next operation, in its hop
    co_return;
}
plugin::awaitable<void> SqliteConnection::commit() {
    if (begin_.drop()) co_return;
    co_await on_worker([this] { run_cached_blocking("COMMIT"); });
}
plugin::awaitable<void> SqliteConnection::rollback() {
    if (begin_.drop()) co_return;
    co_await on_worker([this] { run_cached_blocking("ROLLBACK"); });
}
plugin::awaitable<void> SqliteConnection::rollback_on_release() {
    if (begin_.drop()) co_return;
    // As on_worker() does for each operation: a cancellation of the one before
    // must not interrupt this ROLLBACK (the progress handler would, once the
    // cached statement's step count crosses its period).
    interrupted_ = false;
    worker_.post([this] {
        try {
            run_cached_blocking("ROLLBACK");
        } catch (...) {
            broken_ = true;  // still in its transaction: never handed out again
        }
    });
    rollback_queued_ = true;
    co_return;
}
plugin::awaitable<void> SqliteConnection::settle() {
    if (rollback_queued_) co_await on_worker([] {});
}
plugin::awaitable<void> SqliteConnection::savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::create, name)); });
}
plugin::awaitable<void> SqliteConnection::release_savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::release, name)); });
}
plugin::awaitable<void> SqliteConnection::rollback_to_savepoint(const std::string& name) {
    co_await on_worker([&] { exec_blocking(savepoint_sql(SavepointOp::rollback_to, name)); });
}
plugin::awaitable<void> SqliteConnection::set_isolation_level(IsolationLevel level) {
    // SQLite transactions are serializable; READ UNCOMMITTED matters only
    // between connections sharing a cache.
    const char* sql = level == IsolationLevel::read_uncommitted ? "PRAGMA read_uncommitted = 1" : "PRAGMA read_uncommitted = 0";
    co_await on_worker([this, sql] { exec_blocking(sql); });
}

plugin::awaitable<void> SqliteConnection::ping() {
    co_await on_worker([this] { exec_blocking("SELECT 1"); });
}
plugin::awaitable<void> SqliteConnection::close() {
    begin_.drop();  // a transaction never begun needs no BEGIN to be closed
    co_await on_worker([this] { close_blocking(); });
}

std::string SqliteConnection::server_version() const { return std::string("SQLite ") + sqlite3_libversion(); }

}  // namespace retort::sqlite
