// Statements: prepared (and cached) where the server can, by the text protocol
// where it cannot; results read whole, or streamed (mysql_cursor.cpp).

#include "mysql_connection.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <cctype>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "mysql_cursor.hpp"
#include "mysql_drive.hpp"
#include "mysql_errors.hpp"
#include "mysql_types.hpp"
#include "retort/plugin/support/buffered_cursor.hpp"

namespace retort::mysql {

namespace asio = boost::asio;
using plugin::awaitable;

namespace {

std::string first_keyword(const std::string& sql) {
    std::size_t i = 0;
    while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
    std::string word;
    while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i])))
        word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++])));
    return word;
}

// Statements worth keeping prepared: the ones an application runs again and
// again. DDL, SET, SHOW, KILL... run once and would only hold server memory.
bool worth_caching(const std::string& keyword) {
    return keyword == "SELECT" || keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" ||
           keyword == "REPLACE" || keyword == "WITH" || keyword == "VALUES" || keyword == "TABLE" || keyword == "CALL";
}

// A statement that reads and changes nothing may safely run twice.
bool read_only(const std::string& keyword) { return keyword == "SELECT" || keyword == "VALUES" || keyword == "TABLE"; }

bool is_dml(const std::string& keyword) {
    return keyword == "INSERT" || keyword == "UPDATE" || keyword == "DELETE" || keyword == "REPLACE";
}

// Replaces each `?` placeholder outside literals, quoted names and comments by
// the literal of the next parameter (the text protocol has no parameters).
std::string interpolate(MYSQL* m, const std::string& sql, std::span<const Value> params) {
    std::string out;
    std::size_t next = 0;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        char ch = sql[i];
        if (ch == '\'' || ch == '"' || ch == '`') {
            std::size_t j = i + 1;
            while (j < sql.size()) {
                if (sql[j] == '\\' && ch != '`') j += 2;
                else if (sql[j] == ch && j + 1 < sql.size() && sql[j + 1] == ch) j += 2;
                else if (sql[j] == ch) break;
                else ++j;
            }
            std::size_t end = std::min(j + 1, sql.size());
            out.append(sql, i, end - i);
            i = end - 1;
        } else if ((ch == '-' && i + 2 < sql.size() && sql[i + 1] == '-' && std::isspace(static_cast<unsigned char>(sql[i + 2]))) ||
                   ch == '#') {
            std::size_t end = sql.find('\n', i);
            end = end == std::string::npos ? sql.size() : end;
            out.append(sql, i, end - i);
            i = end - 1;
        } else if (ch == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
            std::size_t end = sql.find("*/", i + 2);
            end = end == std::string::npos ? sql.size() : end + 2;
            out.append(sql, i, end - i);
            i = end - 1;
        } else if (ch == '?') {
            if (next < params.size()) out += sql_literal(m, params[next]);
            ++next;
        } else {
            out += ch;
        }
    }
    if (next != params.size())
        throw ProgrammingError(Diagnostics{CR_PARAMS_NOT_BOUND, "",
                                           "the statement takes " + std::to_string(next) + " parameters, " +
                                               std::to_string(params.size()) + " were given",
                                           sql});
    return out;
}

}  // namespace

awaitable<void> MysqlConnection::begin_operation(const std::string& sql) {
    if (!m_) throw OperationalError(Diagnostics{CR_SERVER_GONE_ERROR, "", "the MySQL connection is closed", sql});
    if (lost_)
        throw OperationalError(Diagnostics{CR_SERVER_GONE_ERROR, "", "the connection to the MySQL server was lost", sql});
    if (!io_.attached()) io_.assign(co_await asio::this_coro::executor, static_cast<int>(mysql_get_socket(m_)));
    if (unfinished_) {
        // A dropped cursor's rows are still on the wire: read and discard them.
        MYSQL_STMT* s = unfinished_;
        unfinished_ = nullptr;
        my_bool err = 0;
        co_await drive([&] { return mysql_stmt_free_result_start(&err, s); },
                       [&](int ev) { return mysql_stmt_free_result_cont(&err, s, ev); });
        if (err) fail(statement_diagnostics(s, sql));
    }
    if (unread_rollback_) {
        unread_rollback_ = false;
        my_bool err = 0;
        co_await drive([&] { return mysql_read_query_result_start(&err, m_); },
                       [&](int ev) { return mysql_read_query_result_cont(&err, m_, ev); });
        if (err) fail(connection_diagnostics(m_, "ROLLBACK"));
    }
}

awaitable<void> MysqlConnection::enter_statement() {
    if (begin_.take()) co_return;  // this statement opens the transaction
    if (!in_transaction_ && !server_autocommit_) {
        co_await execute_text("SET autocommit = 1", {});
        server_autocommit_ = true;
    }
}

awaitable<void> MysqlConnection::discard_statement(MYSQL_STMT* stmt) {
    if (!stmt) co_return;  // a text-protocol entry of the cache
    if (lost_ || !io_.attached()) {
        orphans_.push_back(stmt);  // freed after mysql_close, without a word to the server
        co_return;
    }
    my_bool err = 0;
    co_await drive([&] { return mysql_stmt_close_start(&err, stmt); }, [&](int ev) { return mysql_stmt_close_cont(&err, stmt, ev); });
}

awaitable<MysqlConnection::Prepared> MysqlConnection::prepared(const std::string& sql, bool cache) {
    if (auto hit = cache_.find(sql)) co_return Prepared{*hit, true};
    MYSQL_STMT* stmt = mysql_stmt_init(m_);
    if (!stmt) fail(connection_diagnostics(m_, sql));
    int rc = 0;
    try {
        co_await drive([&] { return mysql_stmt_prepare_start(&rc, stmt, sql.data(), static_cast<unsigned long>(sql.size())); },
                       [&](int ev) { return mysql_stmt_prepare_cont(&rc, stmt, ev); });
    } catch (...) {
        orphans_.push_back(stmt);  // cancelled mid-prepare: freed with the handle (found by LeakSanitizer)
        throw;
    }
    if (rc) {
        Diagnostics d = statement_diagnostics(stmt, sql);
        if (!lost_ && (is_connection_lost(static_cast<unsigned>(d.native_code), mariadb_) || static_cast<int>(mysql_get_socket(m_)) < 0))
            mark_lost();
        co_await discard_statement(stmt);
        if (d.native_code == ER_UNSUPPORTED_PS) {
            // Some statements exist only in the text protocol: remember it.
            for (MYSQL_STMT* s : cache_.put(sql, nullptr)) co_await discard_statement(s);
            co_return Prepared{nullptr, true};
        }
        fail(std::move(d));
    }
    if (!cache) co_return Prepared{stmt, false};
    for (MYSQL_STMT* s : cache_.put(sql, stmt)) co_await discard_statement(s);
    co_return Prepared{stmt, true};
}

awaitable<bool> MysqlConnection::run(MYSQL_STMT* stmt, const std::string& sql, std::span<const Value> params) {
    unsigned long expected = mysql_stmt_param_count(stmt);
    if (expected != params.size()) {
        Diagnostics d{CR_PARAMS_NOT_BOUND, "",
                      "the statement takes " + std::to_string(expected) + " parameters, " + std::to_string(params.size()) +
                          " were given",
                      sql};
        throw ProgrammingError(std::move(d));
    }
    ParamBinds binds(params);
    if (binds.size() && mysql_stmt_bind_param(stmt, binds.data())) fail(statement_diagnostics(stmt, sql));
    int rc = 0;
    co_await drive([&] { return mysql_stmt_execute_start(&rc, stmt); }, [&](int ev) { return mysql_stmt_execute_cont(&rc, stmt, ev); });
    if (rc) {
        if (mysql_stmt_errno(stmt) == CR_NEW_STMT_METADATA) co_return false;
        fail(statement_diagnostics(stmt, sql));
    }
    co_return true;
}

awaitable<void> MysqlConnection::drain_more_results(MYSQL_STMT* stmt, const std::string& sql) {
    // CALL returns its result sets and then a status: read them all, or the
    // connection would be out of step with the server.
    while (mysql_stmt_more_results(stmt)) {
        int rc = 0;
        co_await drive([&] { return mysql_stmt_next_result_start(&rc, stmt); },
                       [&](int ev) { return mysql_stmt_next_result_cont(&rc, stmt, ev); });
        if (rc > 0) fail(statement_diagnostics(stmt, sql));
        if (rc < 0) break;
        my_bool err = 0;
        co_await drive([&] { return mysql_stmt_free_result_start(&err, stmt); },
                       [&](int ev) { return mysql_stmt_free_result_cont(&err, stmt, ev); });
    }
}

// ---- statements ---------------------------------------------------------------------------

namespace {
InternalError stale_columns(const std::string& sql) {
    return InternalError(Diagnostics{CR_NEW_STMT_METADATA, "",
                                     "the columns of this statement's result changed since it was prepared (a table was "
                                     "altered by another session); it ran, but its rows could not be read",
                                     sql});
}
}  // namespace

awaitable<plugin::RawResult> MysqlConnection::execute(const std::string& sql, std::span<const Value> params) {
    co_await begin_operation(sql);
    co_await enter_statement();
    const std::string keyword = first_keyword(sql);
    for (int attempt = 0;; ++attempt) {
        Prepared p = co_await prepared(sql, worth_caching(keyword));
        if (!p.stmt) co_return co_await execute_text(sql, params);
        std::optional<plugin::RawResult> r;
        std::exception_ptr failure;
        try {
            r = co_await run_and_read(p.stmt, sql, params, keyword);
        } catch (...) {
            failure = std::current_exception();
        }
        // A statement run once is closed, whatever happened (no co_await in a catch block).
        if (!p.cached) co_await discard_statement(p.stmt);
        if (failure) std::rethrow_exception(failure);
        if (r) co_return std::move(*r);
        // Another session altered a table this statement reads, so its result has
        // other columns than when it was prepared. Prepare it again; a statement
        // that changes data has run, though, and must not run twice.
        if (p.cached) {
            auto stale = cache_.take(sql);
            if (stale) co_await discard_statement(*stale);
        }
        if (attempt > 0 || !read_only(keyword)) throw stale_columns(sql);
    }
}

awaitable<std::optional<plugin::RawResult>> MysqlConnection::run_and_read(MYSQL_STMT* stmt, const std::string& sql,
                                                                         std::span<const Value> params,
                                                                         const std::string& keyword) {
    bool ok = co_await run(stmt, sql, params);
    if (!ok) co_return std::nullopt;
    plugin::RawResult r;
    unsigned width = mysql_stmt_field_count(stmt);  // known only now for INSERT ... RETURNING (MDEV-27013)
    if (width > 0) {
        RowReader reader(stmt);
        r.column_names = reader.column_names();
        int rc = 0;
        co_await drive([&] { return mysql_stmt_store_result_start(&rc, stmt); },
                       [&](int ev) { return mysql_stmt_store_result_cont(&rc, stmt, ev); });
        if (rc) fail(statement_diagnostics(stmt, sql));
        // The rows are in client memory now: mysql_stmt_fetch does no I/O.
        std::size_t rows = 0;
        for (;;) {
            int f = mysql_stmt_fetch(stmt);
            if (f == MYSQL_NO_DATA) break;
            if (f != 0 && f != MYSQL_DATA_TRUNCATED) fail(statement_diagnostics(stmt, sql));
            reader.read_row(r.values);
            ++rows;
        }
        my_bool err = 0;
        co_await drive([&] { return mysql_stmt_free_result_start(&err, stmt); },
                       [&](int ev) { return mysql_stmt_free_result_cont(&err, stmt, ev); });
        if (is_dml(keyword)) r.rows_affected = static_cast<std::int64_t>(rows);  // ... RETURNING
    } else {
        r.rows_affected = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt));
    }
    if (auto id = mysql_stmt_insert_id(stmt); id != 0) r.last_insert_id = static_cast<std::int64_t>(id);
    co_await drain_more_results(stmt, sql);
    co_return r;
}

awaitable<plugin::RawResult> MysqlConnection::execute_text(const std::string& sql, std::span<const Value> params) {
    std::string text = params.empty() ? sql : interpolate(m_, sql, params);
    int err = 0;
    co_await drive([&] { return mysql_real_query_start(&err, m_, text.data(), static_cast<unsigned long>(text.size())); },
                   [&](int ev) { return mysql_real_query_cont(&err, m_, ev); });
    if (err) fail(connection_diagnostics(m_, sql));
    plugin::RawResult r;
    for (bool first = true;; first = false) {
        if (mysql_field_count(m_) > 0) {
            MYSQL_RES* res = nullptr;
            co_await drive([&] { return mysql_store_result_start(&res, m_); },
                           [&](int ev) { return mysql_store_result_cont(&res, m_, ev); });
            if (!res) fail(connection_diagnostics(m_, sql));
            std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> guard(res, mysql_free_result);
            if (first) {
                unsigned n = mysql_num_fields(res);
                MYSQL_FIELD* fields = mysql_fetch_fields(res);
                for (unsigned i = 0; i < n; ++i) r.column_names.emplace_back(fields[i].name, fields[i].name_length);
                // A stored result: fetching does no I/O.
                while (MYSQL_ROW row = mysql_fetch_row(res)) {
                    unsigned long* lengths = mysql_fetch_lengths(res);
                    for (unsigned i = 0; i < n; ++i) r.values.push_back(text_value(fields[i], row[i], lengths[i]));
                }
            }
        } else if (first) {
            r.rows_affected = static_cast<std::int64_t>(mysql_affected_rows(m_));
            if (auto id = mysql_insert_id(m_); id != 0) r.last_insert_id = static_cast<std::int64_t>(id);
        }
        if (!mysql_more_results(m_)) break;
        int status = 0;
        co_await drive([&] { return mysql_next_result_start(&status, m_); }, [&](int ev) { return mysql_next_result_cont(&status, m_, ev); });
        if (status > 0) fail(connection_diagnostics(m_, sql));
        if (status < 0) break;
    }
    co_return r;
}

awaitable<void> MysqlConnection::query(const std::string& sql) {
    co_await begin_operation(sql);
    co_await execute_text(sql, {});
}

void MysqlConnection::stream_finished(MYSQL_STMT* stmt) noexcept {
    if (unfinished_ == stmt) unfinished_ = nullptr;
}

awaitable<std::unique_ptr<plugin::Cursor>> MysqlConnection::stream(const std::string& sql, std::span<const Value> params) {
    co_await begin_operation(sql);
    co_await enter_statement();
    const std::string keyword = first_keyword(sql);
    for (int attempt = 0;; ++attempt) {
        // Always cached, whatever it is: the cursor's statement must outlive
        // this call, and the cache frees it in due course.
        Prepared p = co_await prepared(sql, true);
        if (!p.stmt) {
            auto whole = co_await execute_text(sql, params);
            co_return std::make_unique<plugin::support::BufferedCursor>(std::move(whole));
        }
        bool ok = co_await run(p.stmt, sql, params);
        if (!ok) {
            auto stale = cache_.take(sql);
            if (stale) co_await discard_statement(*stale);
            if (attempt > 0 || !read_only(keyword)) throw stale_columns(sql);
            continue;
        }
        if (mysql_stmt_field_count(p.stmt) == 0) {
            co_await drain_more_results(p.stmt, sql);
            co_return std::make_unique<plugin::support::BufferedCursor>(plugin::RawResult{});
        }
        // No store_result: rows stay on the wire until fetched.
        auto cursor = make_stream_cursor(*this, p.stmt, sql);
        unfinished_ = p.stmt;
        co_return cursor;
    }
}

}  // namespace retort::mysql
