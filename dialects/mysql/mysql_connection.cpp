// The connection's lifetime, cancellation, transactions and the rest; the
// statements are in mysql_statements.cpp, connecting in mysql_connect.cpp.

#include "mysql_connection.hpp"

#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/system/system_error.hpp>
#include <string>
#include <utility>

#include "mysql_drive.hpp"
#include "mysql_errors.hpp"
#include "mysql_options.hpp"
#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/plugin/support/worker_thread.hpp"

namespace retort::mysql {

namespace asio = boost::asio;
using plugin::awaitable;

using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

// ---- lifetime ----------------------------------------------------------------------------

MysqlConnection::~MysqlConnection() {
    // Destroyed mid-call (its io_context torn down): the server would run the
    // statement to its end, commit included.
    if (in_call_ && !lost_) request_kill();
    close_handle();
}

void MysqlConnection::close_handle() noexcept {
    // The watcher first: it must not outlive the descriptor it watches.
    io_.release();
    if (m_) {
        // The blocking mysql_close is safe here, on any thread: it writes one
        // COM_QUIT packet of five bytes into the socket's empty send buffer (the
        // connection is idle, no operation runs while a connection is closed or
        // destroyed) and reads nothing, so it cannot wait on the network.
        // It also detaches the statements, so freeing them afterwards sends nothing.
        mysql_close(m_);
        m_ = nullptr;
        ERR_clear_error();  // a dead peer's EPIPE must not fail another connection (see drive())
    }
    for (MYSQL_STMT* s : cache_.take_all())
        if (s) mysql_stmt_close(s);
    for (MYSQL_STMT* s : orphans_) mysql_stmt_close(s);
    orphans_.clear();
    unfinished_ = nullptr;
}

void MysqlConnection::attach(asio::any_io_executor executor) {
    if (is_open()) io_.assign(executor, static_cast<int>(mysql_get_socket(m_)));
}

void MysqlConnection::detach() noexcept { io_.release(); }

void MysqlConnection::mark_lost() noexcept {
    lost_ = true;
    // The library may already have closed the descriptor: stop watching it now,
    // before its number can be reused by another connection's socket.
    io_.release();
}

void MysqlConnection::fail(Diagnostics d) {
    unsigned code = static_cast<unsigned>(d.native_code);
    if (io_.expired != SocketWatcher::Expired::none) {
        // Our timer cut the exchange short (and shut the socket down).
        d.message = std::string("the server did not answer within ") +
                    (io_.expired == SocketWatcher::Expired::write ? "write_timeout" : "read_timeout") + ": " + d.message;
        io_.expired = SocketWatcher::Expired::none;
        mark_lost();
        throw OperationalError(std::move(d));
    }
    if (m_ && (is_connection_lost(code, mariadb_) || static_cast<int>(mysql_get_socket(m_)) < 0)) mark_lost();
    ErrorKind kind = classify(code, d.sqlstate);  // before d is moved: argument order is unspecified
    throw_dbapi_error(kind, std::move(d));
}

void MysqlConnection::cancelled() {
    io_.expired = SocketWatcher::Expired::none;
    request_kill();
    mark_lost();
    throw boost::system::system_error(asio::error::operation_aborted);
}

namespace {
// KILL QUERY needs a connection of its own, opened with the blocking API:
// side connections are made from this thread.
plugin::support::WorkerThread& kill_requests() {
    static plugin::support::WorkerThread thread;
    return thread;
}
}  // namespace

void MysqlConnection::request_kill() noexcept {
    if (kill_requested_ || !thread_id_ || !options_) return;
    kill_requested_ = true;
    try {
        kill_requests().post([o = options_, id = *thread_id_] {
            MYSQL* k = mysql_init(nullptr);
            if (!k) return;
            try {
            // Bounded: a server that does not answer the side connection is given up on.
            // The way the session itself came: TCP to a host, else a unix socket (the given one or the default).
            unsigned int seconds = 5,
                         protocol = o->unix_socket.empty() && !o->host.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
            mysql_optionsv(k, MYSQL_OPT_CONNECT_TIMEOUT, &seconds);
            mysql_optionsv(k, MYSQL_OPT_READ_TIMEOUT, &seconds);
            mysql_optionsv(k, MYSQL_OPT_WRITE_TIMEOUT, &seconds);
            mysql_optionsv(k, MYSQL_OPT_PROTOCOL, &protocol);
            apply_tls_options(k, *o);
            if (mysql_real_connect(k, o->host.empty() ? nullptr : o->host.c_str(), o->user.c_str(), o->password.c_str(),
                                   nullptr, o->port, o->unix_socket.empty() ? nullptr : o->unix_socket.c_str(), 0)) {
                std::string kill = "KILL QUERY " + std::to_string(id);
                mysql_real_query(k, kill.data(), kill.size());
            }
            } catch (...) {
                // An option refused: nothing more can be done for that statement.
            }
            mysql_close(k);
            ERR_clear_error();
        });
    } catch (...) {
    }
}

// ---- transactions and the rest ----------------------------------------------------------------


awaitable<void> MysqlConnection::begin() {
    if (server_autocommit_) {  // statements ran outside a transaction since the last one
        co_await query("SET autocommit = 0");
        server_autocommit_ = false;
    }
    begin_.request();  // the next statement opens the transaction
    in_transaction_ = true;
}
awaitable<void> MysqlConnection::commit() {
    in_transaction_ = false;
    if (begin_.drop()) co_return;
    co_await query("COMMIT");
}
awaitable<void> MysqlConnection::rollback() {
    in_transaction_ = false;
    if (begin_.drop()) co_return;
    co_await query("ROLLBACK");
}
awaitable<void> MysqlConnection::rollback_on_release() {
    in_transaction_ = false;
    if (begin_.drop()) co_return;
    static constexpr std::string_view sql = "ROLLBACK";
    co_await begin_operation(std::string(sql));
    int err = 0;
    co_await drive([&] { return mysql_send_query_start(&err, m_, sql.data(), static_cast<unsigned long>(sql.size())); },
                   [&](int ev) { return mysql_send_query_cont(&err, m_, ev); });
    if (err) fail(connection_diagnostics(m_, std::string(sql)));
    unread_rollback_ = true;  // read by the next operation's begin_operation()
}
awaitable<void> MysqlConnection::settle() {
    if (unread_rollback_) co_await begin_operation("ROLLBACK");
}
awaitable<void> MysqlConnection::savepoint(const std::string& name) {
    begin_.take();  // (with autocommit off a transaction is always open: SAVEPOINT opens it)
    co_await query(savepoint_sql(SavepointOp::create, name));
}
awaitable<void> MysqlConnection::release_savepoint(const std::string& name) {
    co_await query(savepoint_sql(SavepointOp::release, name));
}
awaitable<void> MysqlConnection::rollback_to_savepoint(const std::string& name) {
    co_await query(savepoint_sql(SavepointOp::rollback_to, name));
}

awaitable<void> MysqlConnection::set_isolation_level(IsolationLevel level) {
    const char* name = nullptr;
    switch (level) {
        case IsolationLevel::read_uncommitted: name = "READ UNCOMMITTED"; break;
        case IsolationLevel::read_committed: name = "READ COMMITTED"; break;
        case IsolationLevel::repeatable_read: name = "REPEATABLE READ"; break;
        case IsolationLevel::serializable: name = "SERIALIZABLE"; break;
        case IsolationLevel::autocommit:
            throw ArgumentError("the MySQL driver is never asked for AUTOCOMMIT: the core provides it");
    }
    co_await query(std::string("SET SESSION TRANSACTION ISOLATION LEVEL ") + name);
}

awaitable<void> MysqlConnection::ping() {
    co_await begin_operation("");
    int err = 0;
    co_await drive([&] { return mysql_ping_start(&err, m_); }, [&](int ev) { return mysql_ping_cont(&err, m_, ev); });
    if (err) fail(connection_diagnostics(m_, ""));
}

awaitable<void> MysqlConnection::close() {
    close_handle();
    co_return;
}

}  // namespace retort::mysql
