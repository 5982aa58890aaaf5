#include "mysql_connection.hpp"

#include "retort/plugin/support/savepoint_sql.hpp"
#include "retort/plugin/support/buffered_cursor.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <fcntl.h>
#include <openssl/err.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <utility>

#include "mysql_errors.hpp"
#include "mysql_types.hpp"
#include "retort/error.hpp"
#include "retort/plugin/support/deadline.hpp"
#include "retort/plugin/support/resolve.hpp"
#include "retort/plugin/support/worker_thread.hpp"

namespace retort::mysql {

using plugin::support::savepoint_sql;
using plugin::support::SavepointOp;

namespace asio = boost::asio;
using plugin::awaitable;

// ---- socket watcher ----------------------------------------------------------------------

void SocketWatcher::assign(const asio::any_io_executor& executor, int fd) {
    release();
    sd_.emplace(executor, fd);
    fd_ = fd;
}

void SocketWatcher::release() noexcept {
    if (sd_) {
        // release(), not close(): the library owns the descriptor and closes it itself.
        sd_->release();
        sd_.reset();
    }
    fd_ = -1;
}

namespace {

// One wait on several things at once (read, write, a timer): the first to
// happen decides, the others are cancelled, and the awaiting coroutine resumes
// once every one of them has completed, so no stale completion is left behind
// to disturb the next wait.
template <class Handler>
struct MultiWait {
    MultiWait(Handler h, asio::posix::stream_descriptor& s, int fallback_events, SocketWatcher::Expired* expired_out,
              SocketWatcher::Expired why)
        : handler(std::move(h)), sd(s), fallback(fallback_events), expired(expired_out), reason(why) {}
    Handler handler;
    asio::posix::stream_descriptor& sd;
    std::optional<asio::steady_timer> timer;
    int pending = 0;
    int events = 0;
    int fallback;
    SocketWatcher::Expired* expired;
    SocketWatcher::Expired reason;  // what the timer stands for
};

template <class Handler>
void complete_one(const std::shared_ptr<MultiWait<Handler>>& w, int event, const boost::system::error_code& ec) {
    if (w->events == 0 && ec != asio::error::operation_aborted) {
        w->events = event;
        if (event == MYSQL_WAIT_TIMEOUT) {
            *w->expired = w->reason;
            // Connector/C gives up on MYSQL_WAIT_TIMEOUT on a plain socket, but
            // its TLS layer ignores the flag and reads again. Shutting the
            // socket down (shutdown(2): the descriptor stays open, and the
            // library's) makes every later read and write fail at once, so the
            // call ends with an error either way. The session is lost in any
            // case: an exchange cut short leaves the protocol out of step.
            ::shutdown(w->sd.native_handle(), SHUT_RDWR);
        }
        boost::system::error_code ignored;
        w->sd.cancel(ignored);
        if (w->timer) w->timer->cancel();
    }
    if (--w->pending == 0) {
        // Every sub-wait was bound to the handler's executor: we are on it.
        asio::get_associated_cancellation_slot(w->handler).clear();
        std::move(w->handler)(w->events ? w->events : w->fallback);
    }
}

}  // namespace

template <class Handler>
void SocketWatcher::start_wait(Handler handler, int status, std::optional<Clock::time_point> expiry, Expired reason) {
    using wait_type = asio::posix::descriptor_base::wait_type;
    if (!sd_) {
        throw InternalError(Diagnostics{0, "", "the MySQL connection has no socket watcher (not attached to an executor)", ""});
    }
    auto ex = asio::get_associated_executor(handler, sd_->get_executor());
    // A cancellation cuts the call short as a timeout does: the socket is shut
    // down, so that the library call fails at once whatever it waits for, and
    // every wait of this call (the timer too) ends.
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto on_cancel = [this, slot](asio::steady_timer* timer) mutable {
        if (!slot.is_connected()) return;
        slot.assign([this, timer](asio::cancellation_type) {
            if (!sd_) return;
            expired = Expired::cancelled;
            ::shutdown(sd_->native_handle(), SHUT_RDWR);
            boost::system::error_code ignored;
            sd_->cancel(ignored);
            if (timer) timer->cancel();
        });
    };
    bool read = status & MYSQL_WAIT_READ;
    bool write = status & MYSQL_WAIT_WRITE;
    // MYSQL_WAIT_EXCEPT needs no wait of its own: an error or hang-up on the
    // socket completes every wait on it.
    if (!read && !write && !expiry) read = true;

    if (!expiry && read != write) {
        // The common case, one direction and no timer: no shared state needed.
        int event = read ? MYSQL_WAIT_READ : MYSQL_WAIT_WRITE;
        on_cancel(nullptr);
        sd_->async_wait(read ? wait_type::wait_read : wait_type::wait_write,
                        asio::bind_executor(ex, [h = std::move(handler), event](const boost::system::error_code&) mutable {
                            // An error on the socket is for the library to find and report.
                            asio::get_associated_cancellation_slot(h).clear();
                            std::move(h)(event);
                        }));
        return;
    }

    int fallback = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
    auto w = std::make_shared<MultiWait<Handler>>(std::move(handler), *sd_, fallback ? fallback : MYSQL_WAIT_READ,
                                                  &expired, reason);
    if (read) {
        ++w->pending;
        sd_->async_wait(wait_type::wait_read, asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
                            complete_one(w, MYSQL_WAIT_READ, ec);
                        }));
    }
    if (write) {
        ++w->pending;
        sd_->async_wait(wait_type::wait_write, asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
                            complete_one(w, MYSQL_WAIT_WRITE, ec);
                        }));
    }
    if (expiry) w->timer.emplace(sd_->get_executor());
    on_cancel(w->timer ? &*w->timer : nullptr);  // (the slot is cleared before w goes)
    if (expiry) {
        ++w->pending;
        w->timer->expires_at(*expiry);
        w->timer->async_wait(asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
            complete_one(w, MYSQL_WAIT_TIMEOUT, ec);
        }));
    }
}

awaitable<int> SocketWatcher::wait(MYSQL* m, int status) {
    // The earliest of what applies: the library's own timeout, ours, the connect deadline.
    std::optional<Clock::time_point> expiry;
    Expired reason = Expired::none;
    auto consider = [&](Clock::time_point t, Expired why) {
        if (!expiry || t < *expiry) {
            expiry = t;
            reason = why;
        }
    };
    const auto now = Clock::now();
    const Expired direction = (status & MYSQL_WAIT_WRITE) ? Expired::write : Expired::read;
    if (status & MYSQL_WAIT_TIMEOUT) consider(now + std::chrono::milliseconds(mysql_get_timeout_value_ms(m)), direction);
    // Connector/C's TLS layer never asks for a timeout: apply ours ourselves.
    if ((status & MYSQL_WAIT_READ) && read_timeout) consider(now + *read_timeout, Expired::read);
    if ((status & MYSQL_WAIT_WRITE) && write_timeout) consider(now + *write_timeout, Expired::write);
    if (deadline) consider(*deadline, Expired::deadline);
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(int)>(
        [this, status, expiry, reason](auto handler) { start_wait(std::move(handler), status, expiry, reason); },
        asio::use_awaitable);
}

// ---- URL options ---------------------------------------------------------------------------

namespace {

constexpr const char* known_options =
    "unix_socket, connect_timeout, ssl_mode, ssl_ca, ssl_cert, ssl_key, charset, read_timeout, write_timeout, init_command";

enum class SslMode { disabled, preferred, required, verify_ca, verify_identity };

double seconds_option(const Url& url, const char* key) {
    auto v = url.option(key);
    double s = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
    if (ec != std::errc{} || p != v->data() + v->size() || !(s > 0) || s > 86400 * 365)
        throw ArgumentError(std::string("MySQL URL option ") + key + " must be a positive number of seconds, not '" + *v + "'");
    return s;
}

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

struct MysqlConnection::Options {
    std::string host, user, password, database, unix_socket, charset = "utf8mb4", init_command;
    unsigned port = 3306;
    std::optional<double> connect_timeout;
    std::string connect_timeout_text;  // as written in the URL, for messages
    std::optional<double> read_timeout, write_timeout;  // seconds
    // Off unless asked for, as in Connector/C 3.3 itself: its TLS handshake
    // blocks, so a TLS connection is opened on a helper thread (see open()).
    SslMode ssl = SslMode::disabled;
    std::string ssl_ca, ssl_cert, ssl_key;
    std::string safe_url;  // for messages: no password

    explicit Options(const Url& url) {
        static const char* keys[] = {"unix_socket", "connect_timeout", "ssl_mode", "ssl_ca", "ssl_cert", "ssl_key",
                                     "charset", "read_timeout", "write_timeout", "init_command"};
        for (const auto& [key, value] : url.query()) {
            bool known = false;
            for (const char* k : keys) known |= key == k;
            if (!known) throw ArgumentError("unknown MySQL URL option '" + key + "'; known: " + known_options);
        }
        safe_url = url.to_string();
        host = url.host();
        user = url.username();
        password = url.password();
        database = url.database();
        if (url.port()) {
            if (*url.port() <= 0 || *url.port() > 65535) throw ArgumentError("MySQL URL port out of range in " + safe_url);
            port = static_cast<unsigned>(*url.port());
        }
        unix_socket = url.option("unix_socket").value_or("");
        if (auto c = url.option("charset")) {
            for (char ch : *c)
                if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
                    throw ArgumentError("MySQL URL option charset has an invalid value '" + *c + "'");
            charset = *c;
        }
        init_command = url.option("init_command").value_or("");
        if (url.option("connect_timeout")) {
            connect_timeout = seconds_option(url, "connect_timeout");
            connect_timeout_text = *url.option("connect_timeout");
        } else {
            // Without a bound, a server that accepts and stays silent holds a
            // connect (and the pool slot) for ever.
            connect_timeout = 30;
            connect_timeout_text = "30 (the default)";
        }
        if (url.option("read_timeout")) read_timeout = seconds_option(url, "read_timeout");
        if (url.option("write_timeout")) write_timeout = seconds_option(url, "write_timeout");
        ssl_ca = url.option("ssl_ca").value_or("");
        ssl_cert = url.option("ssl_cert").value_or("");
        ssl_key = url.option("ssl_key").value_or("");
        // As the mysql client: a CA given alone means "verify against it"; a
        // client certificate alone asks for TLS.
        if (!ssl_ca.empty()) ssl = SslMode::verify_ca;
        else if (!ssl_cert.empty() || !ssl_key.empty()) ssl = SslMode::required;
        if (auto m = url.option("ssl_mode")) {
            std::string mode;
            for (char ch : *m) mode += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            if (mode == "disabled") ssl = SslMode::disabled;
            else if (mode == "preferred") ssl = SslMode::preferred;
            else if (mode == "required") ssl = SslMode::required;
            else if (mode == "verify_ca") ssl = SslMode::verify_ca;
            else if (mode == "verify_identity") ssl = SslMode::verify_identity;
            else
                throw ArgumentError("MySQL URL option ssl_mode must be disabled, preferred, required, verify_ca or "
                                    "verify_identity, not '" + *m + "'");
        }
        if (ssl == SslMode::verify_ca && ssl_ca.empty())
            throw ArgumentError("MySQL URL option ssl_mode=verify_ca needs ssl_ca (the CA certificate file)");
        if (ssl == SslMode::disabled && (!ssl_ca.empty() || !ssl_cert.empty() || !ssl_key.empty()))
            throw ArgumentError("MySQL URL options ssl_ca, ssl_cert and ssl_key make no sense with ssl_mode=disabled");
    }
};

// ---- connecting ---------------------------------------------------------------------------

namespace {

// Every session gets the same ground rules, whatever the server's defaults:
// UTC (an instant is stored as its UTC date and time), strict mode (a value
// too long for its column is an error, not a silent truncation), no
// ANSI_QUOTES and no NO_BACKSLASH_ESCAPES (the compiler backquotes names and
// doubles backslashes in literals), NO_AUTO_VALUE_ON_ZERO (a key the program
// sets to 0 is stored as 0, as on the other backends, not replaced by the next
// AUTO_INCREMENT value behind the program's back), and autocommit (the core
// sends BEGIN).
// (MariaDB's max_recursive_iterations is left to the server's administrator:
// raising it here would also lift the guard against runaway recursion.)
constexpr const char* session_setup =
    "SET time_zone = '+00:00', autocommit = 1, sql_mode = "
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

template <class Start, class Cont>
awaitable<void> MysqlConnection::drive(Start start, Cont cont) {
    // OpenSSL keeps its errors in a per-thread queue and SSL_get_error reads
    // it: an error left there by an earlier failure on *another* connection of
    // this thread turns a harmless "would block" in this one into a fatal
    // error (measured: a killed session's EPIPE made the next TLS read of a
    // healthy connection on the same loop fail). Each step starts clean, and
    // leaves it clean for other TLS users of the thread.
    ERR_clear_error();
    in_call_ = true;
    int status = start();
    while (status != 0) {
        int events = co_await io_.wait(m_, status);
        ERR_clear_error();
        status = cont(events);
    }
    in_call_ = false;
    ERR_clear_error();
    if (io_.expired == SocketWatcher::Expired::cancelled) cancelled();
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

// ---- streaming ---------------------------------------------------------------------------

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

void MysqlConnection::stream_finished(MYSQL_STMT* stmt) noexcept {
    if (unfinished_ == stmt) unfinished_ = nullptr;
}

awaitable<std::unique_ptr<plugin::Cursor>> MysqlConnection::stream(const std::string& sql, std::span<const Value> params) {
    co_await begin_operation(sql);
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
        auto cursor = std::make_unique<MysqlCursor>(*this, p.stmt, sql);
        unfinished_ = p.stmt;
        co_return cursor;
    }
}

// ---- transactions and the rest ----------------------------------------------------------------


awaitable<void> MysqlConnection::begin() { co_await query("START TRANSACTION"); }
awaitable<void> MysqlConnection::commit() { co_await query("COMMIT"); }
awaitable<void> MysqlConnection::rollback() { co_await query("ROLLBACK"); }
awaitable<void> MysqlConnection::savepoint(const std::string& name) { co_await query(savepoint_sql(SavepointOp::create, name)); }
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
