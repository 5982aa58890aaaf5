#include "postgresql_cursor.hpp"

#include "postgresql_errors.hpp"
#include "postgresql_types.hpp"

namespace retort::postgresql {

namespace {

// A result streamed in single-row mode: libpq hands over one row per PGresult
// as it arrives, so memory stays at one batch whatever the result's size.
class PgCursor : public plugin::Cursor {
public:
    PgCursor(PgConnection& conn, std::string sql, ResultPtr first, std::vector<std::string> names)
        : conn_(conn), sql_(std::move(sql)), pending_(std::move(first)), names_(std::move(names)) {}
    ~PgCursor() override {
        // Results are still on the wire and nobody will read them: the
        // connection cannot run anything else, so it must not be reused.
        if (!done_) conn_.mark_broken();
    }
    const std::vector<std::string>& column_names() const override { return names_; }

    plugin::awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) override {
        std::size_t rows = 0;
        while (!done_ && rows < max_rows) {
            // Plain statements, not `?:`: GCC 12 destroys the temporaries of a
            // co_await inside a conditional expression twice.
            ResultPtr r;
            if (pending_) r = std::move(pending_);
            else r = co_await conn_.next_result(sql_);
            if (!r) continue;
            switch (r.status()) {
                case PGRES_SINGLE_TUPLE: {
                    int width = PQnfields(r.r);
                    for (int c = 0; c < width; ++c) out.push_back(decode(r.r, 0, c));
                    ++rows;
                    break;
                }
                case PGRES_TUPLES_OK:  // the end of the rows
                case PGRES_COMMAND_OK:  // a statement without rows
                    done_ = true;
                    co_await conn_.finish_request(sql_);
                    break;
                default: {
                    // An error after some rows (rows can be followed by an error).
                    done_ = true;
                    std::exception_ptr error;
                    try {
                        raise_result_error(nullptr, r.r, sql_);
                    } catch (...) {
                        error = std::current_exception();
                    }
                    co_await conn_.finish_request(sql_, error);
                }
            }
        }
        co_return rows;
    }

    plugin::awaitable<void> close() override {
        if (done_) co_return;
        // Reading the rest is the only way back to a usable connection short of
        // a cancel request (which needs a second connection).
        done_ = true;
        pending_ = ResultPtr{};
        co_await conn_.finish_request(sql_);
    }

private:
    PgConnection& conn_;
    std::string sql_;
    ResultPtr pending_;
    std::vector<std::string> names_;
    bool done_ = false;
};

// A result read from a server-side cursor, a batch per FETCH: what a
// transaction's stream is. Closing it early is one CLOSE, where a single-row
// stream must read the rest of its rows off the wire.
class PgServerCursor : public plugin::Cursor {
public:
    PgServerCursor(PgConnection& conn, std::string name, std::vector<std::string> names, bool binary)
        : conn_(conn), name_(std::move(name)), names_(std::move(names)), binary_(binary) {}
    const std::vector<std::string>& column_names() const override { return names_; }
    // Each FETCH is a query of its own: the connection is free in between.
    bool allows_other_statements() const override { return true; }

    plugin::awaitable<std::size_t> fetch(std::vector<Value>& out, std::size_t max_rows) override {
        if (done_ || max_rows == 0) co_return 0;
        std::size_t before = out.size();
        co_await conn_.query_rows("FETCH FORWARD " + std::to_string(max_rows) + " FROM " + name_, binary_, out);
        std::size_t rows = names_.empty() ? 0 : (out.size() - before) / names_.size();
        if (rows < max_rows) done_ = true;  // the cursor is at its end (still open until close())
        co_return rows;
    }

    plugin::awaitable<void> close() override {
        if (closed_) co_return;
        closed_ = done_ = true;
        // A failed or ended transaction has closed it already.
        if (conn_.in_open_transaction()) co_await conn_.query_rows("CLOSE " + name_, false, discard_);
    }

private:
    PgConnection& conn_;
    std::string name_;
    std::vector<std::string> names_;
    bool binary_;
    bool done_ = false, closed_ = false;
    std::vector<Value> discard_;
};

}  // namespace

std::unique_ptr<plugin::Cursor> make_row_cursor(PgConnection& conn, std::string sql, ResultPtr first,
                                                std::vector<std::string> names) {
    return std::make_unique<PgCursor>(conn, std::move(sql), std::move(first), std::move(names));
}

std::unique_ptr<plugin::Cursor> make_server_cursor(PgConnection& conn, std::string name, std::vector<std::string> names,
                                                   bool binary) {
    return std::make_unique<PgServerCursor>(conn, std::move(name), std::move(names), binary);
}

}  // namespace retort::postgresql
