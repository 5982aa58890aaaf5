// Opening a database: URL options, pragmas, the journal mode, and the
// handlers that make SQLite's waits end when the caller cancels.
#include <charconv>
#include <chrono>

#include "retort/error.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_errors.hpp"

namespace retort::sqlite {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

plugin::awaitable<std::unique_ptr<plugin::Connection>> SqliteConnection::open(const Url& url) {
    std::unique_ptr<SqliteConnection> c(new SqliteConnection());
    co_await c->on_worker([&] { c->open_blocking(url); });
    co_return c;
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
            // A mode the file system cannot give (WAL on some network file
            // systems) is refused without an error: the old mode stays.
            if (std::chrono::steady_clock::now() > give_up)
                throw OperationalError(Diagnostics{SQLITE_CANTOPEN, "", "cannot switch the database to journal_mode " +
                                                                            journal, ""});
            try {
                exec_blocking("PRAGMA journal_mode = " + journal);
            } catch (const OperationalError& e) {
                if ((e.native_code() & 0xff) != SQLITE_BUSY) throw;
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

}  // namespace retort::sqlite
