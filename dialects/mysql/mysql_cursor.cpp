#include "mysql_cursor.hpp"

#include "mysql_drive.hpp"
#include "mysql_errors.hpp"
#include "mysql_types.hpp"

namespace retort::mysql {

using plugin::awaitable;

namespace {

// Rows read from the network a fetch at a time (unbuffered: the result is never
// all in memory). While it is open the connection runs nothing else.
class MysqlCursor : public plugin::Cursor {
public:
    MysqlCursor(MysqlConnection& conn, MYSQL_STMT* stmt, std::string sql)
        : conn_(conn), stmt_(stmt), sql_(std::move(sql)), reader_(stmt) {}
    // Dropped before its end, the connection discards the rest before its next
    // operation (begin_operation): nothing to do here, where no I/O is possible.
    ~MysqlCursor() override = default;

    const std::vector<std::string>& column_names() const override { return reader_.column_names(); }

    awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) override {
        std::size_t rows = 0;
        while (!done_ && rows < max_rows) {
            int rc = 0;
            MYSQL_STMT* s = stmt_;
            co_await conn_.drive([&] { return mysql_stmt_fetch_start(&rc, s); }, [&](int ev) { return mysql_stmt_fetch_cont(&rc, s, ev); });
            if (rc == MYSQL_NO_DATA) {
                // A CALL's rows are followed by more results (at least its status).
                std::exception_ptr error;
                try {
                    co_await conn_.drain_more_results(s, sql_);
                } catch (...) {
                    error = std::current_exception();
                }
                finish();
                if (error) std::rethrow_exception(error);
                break;
            }
            if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
                finish();
                conn_.fail(statement_diagnostics(s, sql_));
            }
            reader_.read_row(out);
            ++rows;
        }
        co_return rows;
    }

    awaitable<void> close() override {
        if (done_) co_return;
        finish();
        if (!conn_.is_open()) co_return;
        // Reads what is left of the result and drops it: the protocol has no way
        // to tell the server to stop sending.
        my_bool err = 0;
        MYSQL_STMT* s = stmt_;
        co_await conn_.drive([&] { return mysql_stmt_free_result_start(&err, s); },
                             [&](int ev) { return mysql_stmt_free_result_cont(&err, s, ev); });
        if (err) conn_.fail(statement_diagnostics(s, sql_));
        co_await conn_.drain_more_results(s, sql_);
    }

private:
    void finish() {
        done_ = true;
        conn_.stream_finished(stmt_);
    }

    MysqlConnection& conn_;
    MYSQL_STMT* stmt_;
    std::string sql_;
    RowReader reader_;
    bool done_ = false;
};

}  // namespace

std::unique_ptr<plugin::Cursor> make_stream_cursor(MysqlConnection& conn, MYSQL_STMT* stmt, std::string sql) {
    return std::make_unique<MysqlCursor>(conn, stmt, std::move(sql));
}

}  // namespace retort::mysql
