#include "sqlite_cursor.hpp"

#include "sqlite_types.hpp"

namespace retort::sqlite {

namespace {

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

std::unique_ptr<plugin::Cursor> make_cursor(SqliteConnection& conn, sqlite3_stmt* stmt, std::string sql, bool in_transaction) {
    return std::make_unique<SqliteCursor>(conn, stmt, std::move(sql), in_transaction);
}

}  // namespace retort::sqlite
