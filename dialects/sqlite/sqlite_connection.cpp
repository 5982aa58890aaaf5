#include "sqlite_connection.hpp"

#include <charconv>
#include <chrono>

#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/error.hpp"
#include "sqlite_errors.hpp"
#include "sqlite_types.hpp"

namespace retort::sqlite {

using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Resets a statement when the step loop leaves, by return or by exception.
struct ResetGuard {
    sqlite3_stmt* stmt;
    ~ResetGuard() {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
};

void bind_all(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params, const std::string& sql, bool copy) {
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
        Diagnostics d;
        d.native_code = SQLITE_RANGE;
        d.message = "the statement takes " + std::to_string(expected) + " parameters, " +
                    std::to_string(params.size()) + " were given";
        d.statement = sql;
        throw ProgrammingError(std::move(d));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        int rc = bind_value(stmt, static_cast<int>(i + 1), params[i], copy);
        if (rc != SQLITE_OK) raise_error(db, rc, sql);
    }
}

std::vector<std::string> read_column_names(sqlite3_stmt* stmt) {
    int n = sqlite3_column_count(stmt);
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const char* name = sqlite3_column_name(stmt, i);
        names.emplace_back(name ? name : "");
    }
    return names;
}

// Steps up to `max_rows` rows into `out`; returns how many, and sets `done` at the end.
std::size_t step_rows(sqlite3* db, sqlite3_stmt* stmt, std::vector<Value>& out, std::size_t max_rows, bool& done,
                      const std::string& sql) {
    int width = sqlite3_column_count(stmt);
    std::size_t rows = 0;
    while (rows < max_rows) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) {
            done = true;
            break;
        }
        if (rc != SQLITE_ROW) raise_error(db, rc, sql);
        for (int i = 0; i < width; ++i) out.push_back(column_value(stmt, i));
        ++rows;
    }
    return rows;
}

// A streamed result: the statement is stepped on the worker, a batch per hop.
class SqliteCursor : public plugin::Cursor {
public:
    SqliteCursor(SqliteConnection& conn, sqlite3_stmt* stmt, std::string sql, bool in_transaction)
        : conn_(conn), stmt_(stmt), sql_(std::move(sql)), names_(read_column_names(stmt)),
          in_transaction_(in_transaction) {}
    ~SqliteCursor() override {
        // close() finalizes on the worker; this is the fallback when it was not called.
        if (stmt_) conn_.worker().post([s = stmt_] { sqlite3_finalize(s); });
    }
    const std::vector<std::string>& column_names() const override { return names_; }
    // Its own prepared statement, stepped on the worker between other statements.
    // Outside a transaction, SQLite would commit what runs beside it only when
    // this statement ends: as PostgreSQL's cursors, only inside a transaction.
    bool allows_other_statements() const override { return in_transaction_; }
    plugin::awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) override {
        if (done_ || !stmt_) co_return 0;
        co_return co_await conn_.on_worker([&] { return step_rows(conn_.handle(), stmt_, out, max_rows, done_, sql_); });
    }
    plugin::awaitable<void> close() override {
        if (!stmt_) co_return;
        auto s = stmt_;
        stmt_ = nullptr;
        co_await conn_.worker().run([s] { sqlite3_finalize(s); });
    }

private:
    SqliteConnection& conn_;
    sqlite3_stmt* stmt_;
    std::string sql_;
    std::vector<std::string> names_;
    bool in_transaction_;
    bool done_ = false;
};

}  // namespace

// ---- connection ----------------------------------------------------------------------

plugin::awaitable<std::unique_ptr<plugin::Connection>> SqliteConnection::open(const Url& url) {
    std::unique_ptr<SqliteConnection> c(new SqliteConnection());
    co_await c->on_worker([&] { c->open_blocking(url); });
    co_return c;
}

SqliteConnection::~SqliteConnection() {
    worker_.stop();
    // The worker has stopped: this thread is now the only one touching the handle.
    close_blocking();
}

void SqliteConnection::open_blocking(const Url& url) {
    static const char* known[] = {"mode", "timeout", "journal_mode", "synchronous", "foreign_keys", "begin"};
    for (const auto& [key, value] : url.query()) {
        bool ok = false;
        for (const char* k : known) ok |= key == k;
        if (!ok)
            throw ArgumentError("unknown SQLite URL option '" + key +
                                "'; known: mode, timeout, journal_mode, synchronous, foreign_keys, begin");
    }
    std::string path = url.database();
    bool memory = path.empty() || path == ":memory:";
    if (memory) path = ":memory:";
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
    std::string mode = url.option("mode").value_or("rwc");
    if (mode == "ro") flags |= SQLITE_OPEN_READONLY;
    else if (mode == "rw") flags |= SQLITE_OPEN_READWRITE;
    else if (mode == "rwc") flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    else throw ArgumentError("SQLite URL option mode must be ro, rw or rwc, not '" + mode + "'");

    // Opened into a local handle: interrupt() reads db_ from another thread.
    sqlite3* handle = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    if (rc != SQLITE_OK) {
        Diagnostics d;
        d.native_code = handle ? sqlite3_extended_errcode(handle) : rc;
        d.message = std::string(handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc)) + " (database '" + path + "')";
        sqlite3_close_v2(handle);
        throw OperationalError(std::move(d));
    }
    {
        std::lock_guard lock(handle_mutex_);
        db_ = handle;
    }
    sqlite3_extended_result_codes(db_, 1);
    // sqlite3_interrupt reaches only statements already running: this handler
    // also stops one that starts after the cancellation (every 1,000 steps).
    sqlite3_progress_handler(
        db_, 1000, [](void* p) -> int { return static_cast<SqliteConnection*>(p)->interrupted() ? 1 : 0; }, this);
    // sleep(seconds), which PostgreSQL and MySQL have built in (sql::func::sleep).
    // It blocks this connection's worker thread only, never the event loop, and
    // ends early when the caller cancels (sqlite3_interrupt does not reach it).
    sqlite3_create_function_v2(
        db_, "sleep", 1, SQLITE_UTF8, this,
        [](sqlite3_context* ctx, int, sqlite3_value** argv) {
            auto* self = static_cast<SqliteConnection*>(sqlite3_user_data(ctx));
            auto until = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(std::max(0.0, sqlite3_value_double(argv[0]))));
            while (std::chrono::steady_clock::now() < until) {
                if (self->interrupted()) {
                    sqlite3_result_error(ctx, "interrupted", -1);
                    sqlite3_result_error_code(ctx, SQLITE_INTERRUPT);
                    return;
                }
                sqlite3_sleep(10);
            }
            sqlite3_result_int(ctx, 0);
        },
        nullptr, nullptr, nullptr);

    double timeout = 5.0;
    if (auto t = url.option("timeout")) {
        auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), timeout);
        if (ec != std::errc{} || p != t->data() + t->size() || timeout < 0)
            throw ArgumentError("SQLite URL option timeout must be a number of seconds, not '" + *t + "'");
    }
    // sqlite3_busy_timeout's handler, but one that a cancellation ends.
    busy_timeout_ = timeout;
    sqlite3_busy_handler(
        db_,
        [](void* p, int count) -> int {
            auto* self = static_cast<SqliteConnection*>(p);
            thread_local std::chrono::steady_clock::time_point since;
            if (count == 0) since = std::chrono::steady_clock::now();
            if (self->interrupted() ||
                std::chrono::steady_clock::now() - since >= std::chrono::duration<double>(self->busy_timeout_))
                return 0;
            sqlite3_sleep(count < 10 ? 1 : 5);
            return 1;
        },
        this);

    auto pragma_value = [&](const char* key, const std::string& def) {
        std::string v = url.option(key).value_or(def);
        for (char ch : v)
            if (!std::isalnum(static_cast<unsigned char>(ch)))
                throw ArgumentError(std::string("SQLite URL option ") + key + " has an invalid value '" + v + "'");
        return v;
    };
    // Foreign keys are off in SQLite unless asked for; ON DELETE CASCADE and
    // friends mean nothing without them.
    exec_blocking("PRAGMA foreign_keys = " + pragma_value("foreign_keys", "on"));
    if (!memory && mode != "ro") {
        // The mode persists in the file. Setting it takes a lock even when it
        // is already set, and every new pooled connection would contend for
        // that lock with the others' work ("database is locked"): read first.
        // Two connections opening a new file race to switch it, and SQLite does
        // not call the busy handler for the switch: on SQLITE_BUSY, see whether
        // the other one did it, else try again until the busy timeout.
        std::string journal = pragma_value("journal_mode", "wal");
        auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int>(timeout * 1000));
        while (!iequals(query_text_blocking("PRAGMA journal_mode"), journal)) {
            try {
                exec_blocking("PRAGMA journal_mode = " + journal);
            } catch (const OperationalError& e) {
                if ((e.native_code() & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() > give_up) throw;
                sqlite3_sleep(5);
            }
        }
        exec_blocking("PRAGMA synchronous = " + pragma_value("synchronous", "normal"));
    }
    std::string begin = pragma_value("begin", "deferred");
    if (begin != "deferred" && begin != "immediate" && begin != "exclusive")
        throw ArgumentError("SQLite URL option begin must be deferred, immediate or exclusive");
    begin_sql_ = "BEGIN " + begin;
    for (auto& ch : begin_sql_) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
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
    co_return std::make_unique<SqliteCursor>(*this, stmt, sql, in_transaction);
}

plugin::awaitable<void> SqliteConnection::begin() {
    co_await on_worker([this] { exec_blocking(begin_sql_); });
}
plugin::awaitable<void> SqliteConnection::commit() {
    co_await on_worker([this] { exec_blocking("COMMIT"); });
}
plugin::awaitable<void> SqliteConnection::rollback() {
    co_await on_worker([this] { exec_blocking("ROLLBACK"); });
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
    co_await on_worker([this] { close_blocking(); });
}

std::string SqliteConnection::server_version() const { return std::string("SQLite ") + sqlite3_libversion(); }

}  // namespace retort::sqlite
