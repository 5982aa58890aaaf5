// PgConnection: the connection's life (its socket on the executor, cancel
// requests, the wire's waits) and its transactions. The statements and the
// pipeline that carries them are in postgresql_statements.cpp.
#include "postgresql_connection.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>

#include "postgresql_errors.hpp"
#include "retort/error.hpp"
#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/plugin/support/worker_thread.hpp"

namespace retort::postgresql {

using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using wait_type = asio::posix::descriptor_base::wait_type;

// ---- connection --------------------------------------------------------------------------

PgConnection::~PgConnection() {
    detach();
    // Destroyed mid-statement (its io_context torn down, a cancelled caller):
    // the server would run the statement to its end, commit included.
    // (Not for the reply of rollback_on_release's ROLLBACK: that one needs no cancel.)
    if (conn_ && PQtransactionStatus(conn_) == PQTRANS_ACTIVE && !unread_rollback_) request_cancel();
    if (conn_) PQfinish(conn_);  // non-blocking mode: sends Terminate without waiting
}

namespace {
// PQcancel blocks (it opens a connection of its own, bounded by the
// connection's tcp_user_timeout): cancel requests are sent from this thread.
plugin::support::WorkerThread& cancel_requests() {
    static plugin::support::WorkerThread thread;
    return thread;
}
}  // namespace

void PgConnection::request_cancel() noexcept {
    if (!conn_ || cancel_requested_) return;
    cancel_requested_ = true;
    PGcancel* cancel = PQgetCancel(conn_);
    if (!cancel) return;
    try {
        cancel_requests().post([cancel] {
            char error[256];
            PQcancel(cancel, error, sizeof error);
            PQfreeCancel(cancel);
        });
    } catch (...) {
        PQfreeCancel(cancel);
    }
}

void PgConnection::cancelled() {
    // The wait was cancelled by the caller mid-request: stop the statement on
    // the server, and never use this connection again (the core discards it).
    broken_ = true;
    request_cancel();
    throw boost::system::system_error(asio::error::operation_aborted);
}

void PgConnection::attach(asio::any_io_executor executor) {
    detach();
    if (!conn_) return;
    int fd = PQsocket(conn_);
    if (fd < 0) return;
    socket_.emplace(executor);
    socket_->assign(fd);
}

void PgConnection::detach() noexcept {
    if (!socket_) return;
    // Never close(): the descriptor belongs to libpq. release() deregisters it
    // and only throws if the reactor rejects that, which nothing can mend here.
    try {
        socket_->release();
    } catch (...) {
    }
    socket_.reset();
}

bool PgConnection::is_open() const noexcept { return conn_ && !broken_ && PQstatus(conn_) == CONNECTION_OK; }

std::string PgConnection::server_version() const {
    const char* v = conn_ ? PQparameterStatus(conn_, "server_version") : nullptr;
    std::string s = v ? v : "";
    return "PostgreSQL " + s.substr(0, s.find(' '));
}

std::optional<std::int64_t> PgConnection::session_id() const noexcept {
    if (!conn_) return std::nullopt;
    return PQbackendPID(conn_);
}

void PgConnection::fail(const std::string& sql) {
    broken_ = true;
    raise_connection_error(conn_, sql);
}

void PgConnection::check_usable(const std::string& sql) const {
    if (!is_open()) throw OperationalError(Diagnostics{0, "", "the connection is closed or was lost", sql});
}

plugin::awaitable<void> PgConnection::flush(const std::string& sql) {
    for (;;) {
        int r = PQflush(conn_);
        if (r == 0) co_return;
        if (r < 0) fail(sql);
        // Keep reading while waiting to write: the server may be blocked
        // sending us results (or notices) and not reading until we do.
        // A wait that ends in error (a cancelled operation) leaves a request half
        // sent: the connection is unusable, whatever the caller does next.
        boost::system::error_code write_ec, read_ec;
        auto which = co_await (socket_->async_wait(wait_type::wait_write, asio::redirect_error(asio::use_awaitable, write_ec)) ||
                               socket_->async_wait(wait_type::wait_read, asio::redirect_error(asio::use_awaitable, read_ec)));
        auto ec = which.index() == 0 ? write_ec : read_ec;
        if (ec == asio::error::operation_aborted) cancelled();
        if (ec) fail(sql);
        if (which.index() == 1 && !PQconsumeInput(conn_)) fail(sql);
    }
}

bool PgConnection::tls_bytes_pending() const noexcept {
    // libpq reads one TLS record per PQconsumeInput; a server or proxy sending
    // records larger than libpq's buffer leaves decrypted bytes inside OpenSSL
    // while the socket itself is quiet, and a wait for readability would hang.
    if (!PQsslInUse(conn_)) return false;
    auto* ssl = static_cast<SSL*>(PQsslStruct(conn_, "OpenSSL"));
    return ssl && SSL_pending(ssl) > 0;
}

plugin::awaitable<ResultPtr> PgConnection::next_result(const std::string& sql) {
    while (PQisBusy(conn_)) {
        if (!tls_bytes_pending()) {
            boost::system::error_code ec;
            co_await socket_->async_wait(wait_type::wait_read, asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted) cancelled();
            if (ec) fail(sql);
        }
        if (!PQconsumeInput(conn_)) fail(sql);
    }
    ResultPtr r(PQgetResult(conn_));
    if (!r && PQstatus(conn_) != CONNECTION_OK) fail(sql);
    co_return r;
}

bool PgConnection::in_open_transaction() const noexcept {
    return conn_ && PQtransactionStatus(conn_) == PQTRANS_INTRANS;
}

plugin::awaitable<void> PgConnection::settle() {
    if (!std::exchange(unread_rollback_, false)) co_return;
    co_await finish_request("ROLLBACK");
}

plugin::awaitable<void> PgConnection::begin() {
    begin_.request();  // sent with the transaction's first statement
    fresh_transaction_ = true;
    co_return;
}
plugin::awaitable<void> PgConnection::commit() {
    if (begin_.drop()) co_return;
    co_await run_simple("COMMIT");
}
plugin::awaitable<void> PgConnection::rollback() {
    if (begin_.drop()) co_return;
    co_await run_simple("ROLLBACK");
}
plugin::awaitable<void> PgConnection::rollback_on_release() {
    if (begin_.drop()) co_return;
    const std::string sql = "ROLLBACK";
    check_usable(sql);
    co_await settle();
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) || !PQpipelineSync(conn_)) fail(sql);
    co_await flush(sql);  // on the wire now: the server ends the transaction at once
    unread_rollback_ = true;
}
plugin::awaitable<void> PgConnection::savepoint(const std::string& name) { co_await run_simple(savepoint_sql(SavepointOp::create, name)); }
plugin::awaitable<void> PgConnection::release_savepoint(const std::string& name) {
    co_await run_simple(savepoint_sql(SavepointOp::release, name));
}
plugin::awaitable<void> PgConnection::rollback_to_savepoint(const std::string& name) {
    co_await run_simple(savepoint_sql(SavepointOp::rollback_to, name));
}
plugin::awaitable<void> PgConnection::set_isolation_level(IsolationLevel level) {
    // Before a deferred BEGIN: the transaction about to start takes the new level.
    co_await run_simple("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL " + std::string(to_string(level)), false);
}
plugin::awaitable<void> PgConnection::ping() { co_await run_simple("SELECT 1", false); }

plugin::awaitable<void> PgConnection::close() {
    detach();
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
    co_return;
}

}  // namespace retort::postgresql
