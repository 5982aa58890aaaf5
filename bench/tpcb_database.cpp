// The database of a TPC-B check: created on the given server so that
// `pgbench -i` never replaces tables in a database someone else uses.
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <iostream>
#include <retort/retort.hpp>

#include "run_on.hpp"
#include "tpcb.hpp"

namespace retort::bench::tpcb {

namespace {

/// Runs `work` to its end on an io_context of its own.
template <class T>
T run_blocking(awaitable<T> work) {
    boost::asio::io_context io;
    return run_on(io, std::move(work));
}

// CREATE and DROP DATABASE refuse to run in a transaction: autocommit. They
// are raw text because Core has no statement for them (nor needs one).
awaitable<int> run_outside_transaction(Url url, std::string statement) {
    auto engine = create_async_engine(url, {.pool_size = 1, .max_overflow = 0});
    auto conn = co_await engine.connect();
    co_await conn.set_isolation_level(IsolationLevel::autocommit);
    co_await conn.execute(sql::text(statement));
    co_await conn.close();
    co_await engine.dispose();
    co_return 0;
}

awaitable<std::string> read_settings(Url url) {
    auto engine = create_async_engine(url, {.pool_size = 1, .max_overflow = 0});
    auto conn = co_await engine.connect();
    std::string out = conn.server_version();
    // SHOW has no Core form either; these two decide what a commit costs the server.
    static constexpr const char* settings[] = {"fsync", "synchronous_commit"};
    for (std::string setting : settings) {
        auto show = sql::text("SHOW " + setting);
        auto value = co_await conn.scalar<std::string>(show);
        out += ", " + setting + "=" + value;
    }
    // Both clients connect with the URL's options, so both encrypt or neither
    // does (libpq's default sslmode=prefer takes TLS whenever the server offers it).
    auto ssl = sql::text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    bool tls = co_await conn.scalar<bool>(ssl);
    out += std::string(", connections over TLS: ") + (tls ? "yes" : "no");
    co_await conn.close();
    co_await engine.dispose();
    co_return out;
}

/// `value` quoted for a libpq connection string.
std::string conninfo_quoted(const std::string& value) {
    std::string q = "'";
    for (char c : value) {
        if (c == '\\' || c == '\'') q += '\\';
        q += c;
    }
    return q + "'";
}

}  // namespace

BenchDatabase::BenchDatabase(const Url& server, bool in_place) : server_(server), url_(server) {
    if (in_place) return;
    // The pid keeps two runs on one server apart; a run killed before its
    // end leaves its database behind under this recognisable name.
    std::string name = "retort_tpcb_" + std::to_string(::getpid());
    try {
        run_blocking(run_outside_transaction(server_, "CREATE DATABASE " + name));
    } catch (const DBAPIError& e) {
        if (e.sqlstate() != "42501") throw;  // insufficient_privilege: there is another way
        throw std::runtime_error("cannot create the database " + name + " for pgbench's tables (" + e.what() +
                                 "); give the role CREATEDB, or pass --in-place to use the URL's own database");
    }
    created_ = true;
    url_ = server_.with_database(name);
}

BenchDatabase::~BenchDatabase() {
    if (!created_) return;
    try {
        // FORCE: a client of a failed run may still be connected.
        run_blocking(run_outside_transaction(server_, "DROP DATABASE IF EXISTS " + url_.database() + " WITH (FORCE)"));
    } catch (const std::exception& e) {
        std::cerr << "retort_bench_tpcb: warning: could not drop the database " << url_.database() << ": " << e.what()
                  << "\n";
    }
}

std::string BenchDatabase::conninfo() const {
    std::string out = "dbname=" + conninfo_quoted(url_.database());
    if (!url_.username().empty()) out += " user=" + conninfo_quoted(url_.username());
    if (!url_.host().empty()) out += " host=" + conninfo_quoted(url_.host());
    if (url_.port()) out += " port=" + std::to_string(*url_.port());
    for (const auto& [key, value] : url_.query()) {
        // Retort's one PostgreSQL option of its own: the socket file or its
        // directory. libpq wants the directory as host, and the port apart.
        if (key == "unix_socket") {
            auto slash = value.rfind('/');
            bool socket_file = slash != std::string::npos && value.compare(slash + 1, 9, ".s.PGSQL.") == 0;
            out += " host=" + conninfo_quoted(socket_file ? value.substr(0, slash) : value);
            if (socket_file && !url_.port()) out += " port=" + conninfo_quoted(value.substr(slash + 10));
        } else {
            out += " " + key + "=" + conninfo_quoted(value);  // a libpq keyword: Retort refuses any other
        }
    }
    return out;
}

std::string BenchDatabase::server_settings() const { return run_blocking(read_settings(url_)); }

}  // namespace retort::bench::tpcb
