// Connecting without blocking: URL options to libpq keywords, the host
// resolved off the event loop, libpq's connect steps driven by socket
// readiness under the connect_timeout deadline.
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdio>
#include <set>

#include "postgresql_connection.hpp"
#include "postgresql_errors.hpp"
#include "retort/error.hpp"
#include "retort/plugin/support/deadline.hpp"
#include "retort/plugin/support/resolve.hpp"

namespace retort::postgresql {

namespace asio = boost::asio;
using wait_type = asio::posix::descriptor_base::wait_type;

namespace {

struct ConnectParams {
    std::vector<std::string> keys, values;
    std::chrono::milliseconds timeout{30000};
    std::string host, port;  // for messages
    void add(std::string k, std::string v) {
        keys.push_back(std::move(k));
        values.push_back(std::move(v));
    }
};

// Options libpq knows, from its own table: any of them passes through from the URL.
const std::set<std::string>& libpq_keywords() {
    static const std::set<std::string> keywords = [] {
        std::set<std::string> k;
        if (PQconninfoOption* opts = PQconndefaults()) {
            for (auto* o = opts; o->keyword; ++o) k.insert(o->keyword);
            PQconninfoFree(opts);
        }
        return k;
    }();
    return keywords;
}

ConnectParams connect_params(const Url& url) {
    ConnectParams p;
    // Handled here rather than passed through: user, password and database come
    // from the URL itself; connect_timeout is ignored by PQconnectPoll.
    static const std::set<std::string> reserved = {"host", "hostaddr", "port", "user", "password", "dbname",
                                                   "client_encoding", "connect_timeout"};
    std::string options = "-c TimeZone=UTC -c DateStyle=ISO,YMD";  // what the decoders expect
    std::string socket_port;
    bool application_name = false;
    for (const auto& [key, value] : url.query()) {
        if (key == "connect_timeout") {
            double seconds = 0;
            auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (ec != std::errc{} || ptr != value.data() + value.size() || !(seconds > 0) || seconds > 1e6)
                throw ArgumentError("PostgreSQL URL option connect_timeout must be a positive number of seconds, not '" + value + "'");
            p.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
        } else if (key == "unix_socket") {
            // The socket file (/run/postgresql/.s.PGSQL.5432, which names the
            // port too), or libpq's own convention, the directory holding it.
            if (value.empty() || value[0] != '/')
                throw ArgumentError("PostgreSQL URL option unix_socket must be an absolute path (the socket or its directory)");
            auto slash = value.rfind('/');
            std::string file = value.substr(slash + 1);
            if (file.rfind(".s.PGSQL.", 0) == 0) {
                p.host = slash == 0 ? "/" : value.substr(0, slash);
                socket_port = file.substr(9);
            } else {
                p.host = value;
            }
        } else if (key == "options") {
            options += " " + value;
        } else if (reserved.count(key) || !libpq_keywords().count(key)) {
            std::string known = "connect_timeout, unix_socket";
            for (const auto& k : libpq_keywords())
                if (!reserved.count(k) && k != "password" && k != "passfile") known += ", " + k;
            throw ArgumentError("unknown PostgreSQL URL option '" + key + "'; known: " + known);
        } else {
            if (key == "application_name") application_name = true;
            p.add(key, value);
        }
    }
    if (p.host.empty()) p.host = url.host();
    if (url.port()) p.port = std::to_string(*url.port());
    if (!socket_port.empty()) p.port = socket_port;
    if (!url.username().empty()) p.add("user", url.username());
    if (!url.password().empty()) p.add("password", url.password());
    if (!url.database().empty()) p.add("dbname", url.database());
    if (!p.port.empty()) p.add("port", p.port);
    p.add("client_encoding", "UTF8");
    p.add("options", options);
    if (!application_name) p.add("application_name", "retort");
    // A network that stalls (a peer gone without a FIN, a dropped route) must
    // end a statement, and a cancel request, in bounded time: TCP keepalives on
    // an idle connection and a bound on unacknowledged data, unless the URL says
    // otherwise. (Neither limits how long a statement may legitimately run.)
    for (auto [key, value] : {std::pair{"keepalives", "1"}, {"keepalives_idle", "30"}, {"keepalives_interval", "10"},
                              {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"}})
        if (!url.option(key)) p.add(key, value);
    return p;
}

std::string where(const ConnectParams& p) {
    std::string h = p.host.empty() ? "the default socket" : p.host;
    return p.port.empty() ? h : h + ":" + p.port;
}

}  // namespace

plugin::awaitable<std::unique_ptr<plugin::Connection>> PgConnection::open(const Url& url, asio::any_io_executor ex) {
    ConnectParams p = connect_params(url);
    const auto deadline = std::chrono::steady_clock::now() + p.timeout;
    // libpq resolves names with a blocking getaddrinfo: resolve here, without
    // blocking, and give it the addresses (host stays for TLS and .pgpass).
    if (!p.host.empty() && p.host[0] != '/') {
        boost::system::error_code ec;
        asio::ip::make_address(p.host, ec);
        if (ec) {
            // Named first: GCC 12 destroys temporaries made inside a co_await expression twice.
            const std::string service = p.port.empty() ? "5432" : p.port;
            auto lookup = plugin::support::resolve_host(p.host, service);
            auto found = co_await plugin::support::within(deadline, std::move(lookup));
            if (!found)
                throw OperationalError(Diagnostics{0, "", "resolving host '" + p.host + "' timed out (connect_timeout)", ""});
            const auto& resolved = *found;
            if (resolved.addresses.empty())
                throw OperationalError(Diagnostics{0, "", "cannot resolve host '" + p.host + "': " + resolved.error, ""});
            std::string hosts, addrs;
            for (const auto& address : resolved.addresses) {
                hosts += (hosts.empty() ? "" : ",") + p.host;
                addrs += (addrs.empty() ? "" : ",") + address;
            }
            p.add("host", hosts);
            p.add("hostaddr", addrs);
        } else {
            p.add("host", p.host);
        }
    } else if (!p.host.empty()) {
        p.add("host", p.host);
    }

    std::vector<const char*> keys, values;
    for (std::size_t i = 0; i < p.keys.size(); ++i) {
        keys.push_back(p.keys[i].c_str());
        values.push_back(p.values[i].c_str());
    }
    keys.push_back(nullptr);
    values.push_back(nullptr);
    PGconn* raw = PQconnectStartParams(keys.data(), values.data(), 0);
    if (!raw) throw OperationalError(Diagnostics{0, "", "out of memory starting a PostgreSQL connection", ""});
    std::unique_ptr<PgConnection> c(new PgConnection(raw));
    if (PQstatus(raw) == CONNECTION_BAD) raise_connection_error(raw, "");
    // libpq prints NOTICEs ("table ... does not exist, skipping") to stderr by
    // default; a library must not write to the application's stderr.
    PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);

    // "Behave as if PQconnectPoll last returned PGRES_POLLING_WRITING."
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
        // libpq may switch sockets between steps (another address, an SSL
        // retry), and the new one may even reuse the old number: always rebind.
        c->detach();
        c->attach(ex);
        if (!c->socket_) raise_connection_error(raw, "");
        auto wait = st == PGRES_POLLING_READING ? wait_type::wait_read : wait_type::wait_write;
        auto ready = c->socket_->async_wait(wait, asio::use_awaitable);
        if (!co_await plugin::support::within(deadline, std::move(ready))) {
            char seconds[32];
            std::snprintf(seconds, sizeof seconds, "%.1f", p.timeout.count() / 1000.0);
            throw OperationalError(Diagnostics{0, "", "connecting to PostgreSQL at " + where(p) + " timed out after " +
                                                          seconds + " s (connect_timeout)", ""});
        }
        st = PQconnectPoll(raw);
        if (st == PGRES_POLLING_OK) break;
        if (st == PGRES_POLLING_FAILED) raise_connection_error(raw, "");
    }
    c->detach();
    c->attach(ex);
    if (PQsetnonblocking(raw, 1) != 0 || PQenterPipelineMode(raw) != 1) raise_connection_error(raw, "");
    co_return c;
}

}  // namespace retort::postgresql
