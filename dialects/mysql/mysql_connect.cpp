// Connecting: the host resolved off the event loop, Connector/C's
// non-blocking connect under the connect_timeout deadline (a TLS connection
// on a helper thread: the library's handshake blocks), the session set up.

#include "mysql_connection.hpp"

#include <errmsg.h>
#include <fcntl.h>
#include <mysqld_error.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mysql_errors.hpp"
#include "mysql_options.hpp"
#include "retort/plugin/support/deadline.hpp"
#include "retort/plugin/support/resolve.hpp"
#include "retort/plugin/support/worker_thread.hpp"

namespace retort::mysql {

namespace asio = boost::asio;
using plugin::awaitable;

// ---- connecting ---------------------------------------------------------------------------

namespace {

// Every session gets the same ground rules, whatever the server's defaults:
// UTC (an instant is stored as its UTC date and time), strict mode (a value
// too long for its column is an error, not a silent truncation), no
// ANSI_QUOTES and no NO_BACKSLASH_ESCAPES (the compiler backquotes names and
// doubles backslashes in literals), NO_AUTO_VALUE_ON_ZERO (a key the program
// sets to 0 is stored as 0, as on the other backends, not replaced by the next
// AUTO_INCREMENT value behind the program's back), and autocommit off (a
// transaction opens with its first statement: begin() costs no round trip;
// see MysqlConnection::enter_statement).
// (MariaDB's max_recursive_iterations is left to the server's administrator:
// raising it here would also lift the guard against runaway recursion.)
constexpr const char* session_setup =
    "SET time_zone = '+00:00', autocommit = 0, sql_mode = "
    "'STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,"
    "NO_AUTO_VALUE_ON_ZERO'";

using Clock = std::chrono::steady_clock;

// Resolves `host` off the event loop (plugin/support/resolve.hpp): Connector/C would
// resolve it with a blocking call on it. Bounded by `deadline`.
awaitable<std::vector<std::string>> resolve(const std::string& host, unsigned port,
                                            std::optional<Clock::time_point> deadline, const std::string& safe_url,
                                            bool& timed_out) {
    boost::system::error_code ec;
    auto literal = asio::ip::make_address(host, ec);
    if (!ec) co_return std::vector<std::string>{literal.to_string()};
    // Named first: GCC 12 destroys temporaries made inside a co_await expression twice.
    auto lookup = plugin::support::resolve_host(host, std::to_string(port));
    auto found = co_await plugin::support::within(deadline.value_or(Clock::time_point::max()), std::move(lookup));
    if (!found) {
        timed_out = true;
        co_return std::vector<std::string>{};
    }
    auto& resolved = *found;
    if (resolved.addresses.empty())
        throw OperationalError(Diagnostics{CR_UNKNOWN_HOST, "", "unknown MySQL server host '" + host + "' (" +
                                                                    resolved.error + ") for " + safe_url,
                                           ""});
    co_return std::move(resolved.addresses);
}

// A network that stalls (a peer gone without a FIN, a dropped route) ends a
// statement in bounded time without read_timeout: TCP keepalives while the
// server is silent, and a bound on unacknowledged data. Neither limits how long
// a statement may legitimately run. (A unix socket ignores them.)
void keep_alive(int fd) {
    int on = 1, idle = 30, interval = 10, count = 3;
    unsigned int user_timeout_ms = 30000;
    ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
    ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

void set_option(MYSQL* m, mysql_option option, const void* value) {
    if (mysql_optionsv(m, option, value))
        throw InternalError(Diagnostics{static_cast<int>(mysql_errno(m)), "",
                                        std::string("Connector/C refused an option: ") + mysql_error(m), ""});
}

}  // namespace

awaitable<std::unique_ptr<plugin::Connection>> MysqlConnection::open(const Url& url, asio::any_io_executor executor) {
    Options o(url);
    std::unique_ptr<MysqlConnection> c(new MysqlConnection());
    std::optional<Clock::time_point> deadline;
    if (o.connect_timeout)
        deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*o.connect_timeout));
    c->io_.deadline = deadline;
    auto ms = [](double seconds) { return std::chrono::milliseconds(static_cast<long long>(std::ceil(seconds * 1000))); };
    if (o.read_timeout) c->io_.read_timeout = ms(*o.read_timeout);
    if (o.write_timeout) c->io_.write_timeout = ms(*o.write_timeout);

    if (o.ssl != SslMode::disabled) {
        co_await c->connect_on_thread(o, executor);
        co_return c;
    }

    std::vector<std::string> addresses;
    if (!o.unix_socket.empty()) {
        addresses = {""};  // the unix socket
    } else if (o.host.empty()) {
        addresses = {"localhost"};  // no host: the library's default unix socket, as the mysql client does
    } else {
        bool timed_out = false;
        addresses = co_await resolve(o.host, o.port, deadline, o.safe_url, timed_out);
        if (timed_out)
            throw OperationalError(Diagnostics{CR_UNKNOWN_HOST, "", "could not resolve '" + o.host + "' within connect_timeout=" +
                                                                        o.connect_timeout_text + " s for " + o.safe_url,
                                               ""});
    }
    // Try each address in turn, as the library would with getaddrinfo's list;
    // only a failure to reach the server moves on to the next one.
    std::exception_ptr failure;
    for (const auto& address : addresses) {
        failure = nullptr;
        try {
            co_await c->connect_nonblocking(o, address, executor);
        } catch (const OperationalError& e) {
            failure = std::current_exception();
            int code = e.native_code();
            bool unreachable = code == CR_CONNECTION_ERROR || code == CR_CONN_HOST_ERROR || code == CR_IPSOCK_ERROR;
            if (unreachable && c->io_.expired == SocketWatcher::Expired::none) continue;
        }
        break;
    }
    if (failure) std::rethrow_exception(failure);
    co_return c;
}

void MysqlConnection::follow_socket(const asio::any_io_executor& executor) {
    int fd = static_cast<int>(mysql_get_socket(m_));
    if (io_.attached() && io_.fd() == fd) return;
    io_.release();
    if (fd >= 0) io_.assign(executor, fd);
}

void MysqlConnection::configure(const Options& o) {
    m_ = mysql_init(nullptr);
    if (!m_) throw OperationalError(Diagnostics{CR_OUT_OF_MEMORY, "", "mysql_init failed: out of memory", ""});
    // Before any _start call: the library then runs its calls on a coroutine
    // stack of its own (null: the default size).
    set_option(m_, MYSQL_OPT_NONBLOCK, static_cast<const std::size_t*>(nullptr));
    // The pool reconnects; a reconnect inside a _cont call would swap the socket under the watcher.
    my_bool off = 0;
    set_option(m_, MYSQL_OPT_RECONNECT, &off);
    unsigned int no_local_infile = 0;
    set_option(m_, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
    set_option(m_, MYSQL_SET_CHARSET_NAME, o.charset.c_str());
    // Connector/C counts these in whole seconds; the watcher applies the exact
    // values (and is what enforces them on TLS, where the library does not).
    auto whole = [](double seconds) { return static_cast<unsigned int>(std::ceil(seconds)); };
    unsigned int read_seconds = o.read_timeout ? whole(*o.read_timeout) : 0;
    unsigned int write_seconds = o.write_timeout ? whole(*o.write_timeout) : 0;
    if (o.read_timeout) set_option(m_, MYSQL_OPT_READ_TIMEOUT, &read_seconds);
    if (o.write_timeout) set_option(m_, MYSQL_OPT_WRITE_TIMEOUT, &write_seconds);
    // Init commands run in order inside the connect: ours first, so that the
    // application's own init_command can still change what it sets.
    set_option(m_, MYSQL_INIT_COMMAND, session_setup);
    if (!o.init_command.empty()) set_option(m_, MYSQL_INIT_COMMAND, o.init_command.c_str());
    apply_tls_options(m_, o);
}

void MysqlConnection::apply_tls_options(MYSQL* m, const Options& o) {
    if (o.ssl == SslMode::disabled) return;
    my_bool on = 1;
    // In Connector/C 3.3, SSL_ENFORCE means "use TLS when the server offers it";
    // `required` and stronger are checked once connected (see connected()).
    set_option(m, MYSQL_OPT_SSL_ENFORCE, &on);
    if (!o.ssl_ca.empty()) set_option(m, MYSQL_OPT_SSL_CA, o.ssl_ca.c_str());
    if (!o.ssl_cert.empty()) set_option(m, MYSQL_OPT_SSL_CERT, o.ssl_cert.c_str());
    if (!o.ssl_key.empty()) set_option(m, MYSQL_OPT_SSL_KEY, o.ssl_key.c_str());
    // With a CA file the library verifies the chain; VERIFY_SERVER_CERT adds the host name.
    if (o.ssl == SslMode::verify_identity) set_option(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &on);
}

awaitable<void> MysqlConnection::connect_nonblocking(const Options& o, const std::string& address, asio::any_io_executor executor) {
    configure(o);
    io_.expired = SocketWatcher::Expired::none;
    unsigned int protocol = address.empty() || address == "localhost" ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
    set_option(m_, MYSQL_OPT_PROTOCOL, &protocol);
    const char* host = address.empty() || address == "localhost" ? "localhost" : address.c_str();  // an IP literal: no DNS
    const char* unix_socket = o.unix_socket.empty() ? nullptr : o.unix_socket.c_str();
    const char* db = o.database.empty() ? nullptr : o.database.c_str();
    // CLIENT_FOUND_ROWS: an UPDATE reports the rows it matched, not only those it
    // changed, as every other backend does (the ORM's stale-row checks rely on it).
    MYSQL* ret = nullptr;
    ERR_clear_error();  // see drive()
    int status = mysql_real_connect_start(&ret, m_, host, o.user.c_str(), o.password.c_str(), db, o.port, unix_socket,
                                          CLIENT_FOUND_ROWS);
    while (status) {
        // The descriptor exists once _start has returned; follow it should it change.
        follow_socket(executor);
        int events = co_await io_.wait(m_, status);
        ERR_clear_error();  // see drive()
        status = mysql_real_connect_cont(&ret, m_, events);
    }
    ERR_clear_error();
    // Left set for open(): an attempt cut short by a timeout ends the walk
    // through the addresses (the next connect_nonblocking resets it).
    auto why = io_.expired;
    if (!ret || why != SocketWatcher::Expired::none)
        connect_failed(o, connection_diagnostics(m_, ""), address.empty() ? "unix socket " + o.unix_socket : address, why);
    connected(o, executor);
}

// Connector/C 3.3 does not keep its promise for TLS: measured with strace, its
// non-blocking connect runs the whole TLS handshake with blocking read(2)s
// (the socket is left in blocking mode after the TCP connect, and the
// handshake waits with poll(2)), never yielding to the caller. A connection
// that may use TLS is therefore opened with the blocking API on a thread of
// its own, which may also resolve the host name itself and check the server's
// certificate against that name (Connector/C 3.3 checks it against the host it
// connects to, and has no option to name it otherwise). The connection then
// lives on the non-blocking API like any other (see connected()).
awaitable<void> MysqlConnection::connect_on_thread(const Options& o, asio::any_io_executor executor) {
    configure(o);
    io_.expired = SocketWatcher::Expired::none;
    unsigned int protocol = o.unix_socket.empty() && !o.host.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
    set_option(m_, MYSQL_OPT_PROTOCOL, &protocol);
    if (o.connect_timeout) {
        // Bounds each step on the thread (connect, handshake reads); our timer bounds the whole.
        unsigned int whole_seconds = static_cast<unsigned>(std::ceil(*o.connect_timeout));
        set_option(m_, MYSQL_OPT_CONNECT_TIMEOUT, &whole_seconds);
    }
    // The handle is the thread's until the connect returns (the library's own
    // connect timeout bounds how long). It closes itself if nobody takes it: the
    // deadline or a cancellation came first, or the outcome lost a race with either.
    struct Close {
        void operator()(MYSQL* m) const {
            mysql_close(m);
            ERR_clear_error();
        }
    };
    struct Outcome {
        std::unique_ptr<MYSQL, Close> handle;
        bool connected = false;
    };
    auto connect = [m = std::exchange(m_, nullptr), host = protocol == MYSQL_PROTOCOL_TCP ? o.host : std::string("localhost"),
                    user = o.user, password = o.password, db = o.database, unix_socket = o.unix_socket,
                    port = o.port]() -> Outcome {
        bool ok = mysql_real_connect(m, host.empty() ? nullptr : host.c_str(), user.c_str(), password.c_str(),
                                     db.empty() ? nullptr : db.c_str(), port,
                                     unix_socket.empty() ? nullptr : unix_socket.c_str(), CLIENT_FOUND_ROWS) != nullptr;
        return {std::unique_ptr<MYSQL, Close>(m), ok};
    };
    auto attempt = plugin::support::run_detached(std::move(connect));
    auto done = co_await plugin::support::within(*io_.deadline, std::move(attempt));
    const std::string where = o.unix_socket.empty() ? o.host : "unix socket " + o.unix_socket;
    if (!done) connect_failed(o, Diagnostics{CR_SERVER_LOST, "", "no answer", ""}, where, SocketWatcher::Expired::deadline);
    Outcome outcome = std::move(*done);
    m_ = outcome.handle.release();
    if (!outcome.connected) {
        bool timed_out = Clock::now() >= *io_.deadline;
        connect_failed(o, connection_diagnostics(m_, ""), where,
                       timed_out ? SocketWatcher::Expired::deadline : SocketWatcher::Expired::none);
    }
    // The handshake left the socket in blocking mode, where the non-blocking
    // API's TLS reads (SSL_read on the descriptor) would block: switch it.
    // Plain reads use MSG_DONTWAIT and do not care.
    int fd = static_cast<int>(mysql_get_socket(m_));
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        Diagnostics d{CR_UNKNOWN_ERROR, "", std::string("cannot make the MySQL socket non-blocking: ") + std::strerror(errno), ""};
        close_handle();
        throw OperationalError(std::move(d));
    }
    connected(o, executor);
}

void MysqlConnection::connect_failed(const Options& o, Diagnostics d, const std::string& where, SocketWatcher::Expired why) {
    io_.release();
    if (m_) {
        mysql_close(m_);  // the failed connect left the socket closed: this frees memory only
        m_ = nullptr;
    }
    using Expired = SocketWatcher::Expired;
    if (why == Expired::cancelled) throw boost::system::system_error(asio::error::operation_aborted);
    if (why != Expired::none) {
        std::string limit = why == Expired::deadline ? "connect_timeout=" + o.connect_timeout_text + " s"
                            : why == Expired::read   ? "read_timeout"
                                                     : "write_timeout";
        d.message = "could not connect within " + limit + " to " + o.safe_url + " (" + where + "): " + d.message;
        throw OperationalError(std::move(d));
    }
    d.message += " (connecting to " + o.safe_url + ")";
    ErrorKind kind = classify(static_cast<unsigned>(d.native_code), d.sqlstate);
    throw_dbapi_error(kind == ErrorKind::generic ? ErrorKind::operational : kind, std::move(d));
}

void MysqlConnection::connected(const Options& o, const asio::any_io_executor& executor) {
    io_.deadline.reset();
    follow_socket(executor);
    mariadb_ = mariadb_connection(m_);
    tls_ = mysql_get_ssl_cipher(m_) != nullptr;
    // Connector/C 3.3 falls back to a plain connection when the server offers no TLS.
    if (o.ssl >= SslMode::required && !mysql_get_ssl_cipher(m_)) {
        close_handle();
        throw OperationalError(Diagnostics{CR_SSL_CONNECTION_ERROR, "",
                                           "ssl_mode requires TLS but the server at " + o.safe_url + " does not offer it", ""});
    }
    unsigned long v = mysql_get_server_version(m_);
    server_version_ = std::string(mariadb_ ? "MariaDB " : "MySQL ") + std::to_string(v / 10000) + "." +
                      std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
    thread_id_ = static_cast<std::int64_t>(mysql_thread_id(m_));
    options_ = std::make_shared<const Options>(o);
    keep_alive(static_cast<int>(mysql_get_socket(m_)));
}

}  // namespace retort::mysql
