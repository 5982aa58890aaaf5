// AsyncEngine: the entry point to a database. It loads the dialect plugin the
// URL names, compiles statements (caching them by shape) and opens connections.
//
//   auto engine = retort::create_async_engine("sqlite:///app.db", {.echo = true});
//   co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
//       co_await conn.run_sync([&](Connection& c) { metadata.create_all(c); });
//   });
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "retort/engine/connection.hpp"
#include "retort/engine/isolation_level.hpp"
#include "retort/sql/capabilities.hpp"
#include "retort/url.hpp"

namespace retort {

namespace plugin {
class Dialect;
}

/// What the statement hook is told about each statement sent to the database.
struct StatementEvent {
    std::string_view sql;
    std::span<const Value> parameters;  ///< as bound; the hook decides what to show
    bool cached = false;                 ///< the compiled form came from the cache
};

struct EngineOptions {
    /// Log every statement and its parameters: to `on_statement` if set, else to stderr.
    bool echo = false;
    /// echo shows "[parameters hidden]" instead of the values. (Error messages
    /// never show parameters; the on_statement hook always gets them.)
    bool hide_parameters = false;
    /// Called before each statement is sent (whether or not echo is on).
    std::function<void(const StatementEvent&)> on_statement{};
    /// Compiled statements kept per engine (least recently used are dropped).
    std::size_t compiled_cache_size = 500;
    /// Rows fetched per round trip (or per worker-thread hop) by stream().
    std::size_t stream_batch_rows = 1000;

    // ---- the connection pool (SQLAlchemy's QueuePool, same names and defaults) ----
    /// Connections kept open while idle.
    std::size_t pool_size = 5;
    /// Connections opened beyond pool_size under load. A returned connection is
    /// closed when pool_size connections already wait idle, else kept.
    std::size_t max_overflow = 10;
    /// How long connect() waits for a connection when pool_size + max_overflow are
    /// all checked out, before it throws TimeoutError.
    std::chrono::milliseconds pool_timeout{30000};
    /// Connections older than this are closed and replaced at checkout; zero: never.
    std::chrono::seconds pool_recycle{0};
    /// Test each connection with a round trip at checkout, replacing it if dead.
    bool pool_pre_ping = false;
    /// How long that round trip may take: a connection that has not answered by
    /// then (a stalled network) is closed and a fresh one opened in its place.
    std::chrono::milliseconds pool_pre_ping_timeout{3000};
    /// Hand out the most recently returned connection first (fewer connections stay warm).
    bool pool_use_lifo = false;

    /// The isolation level of every connection; nullopt: the server's default.
    std::optional<IsolationLevel> isolation_level{};
};

namespace detail {
struct EngineState;
}

class AsyncEngine {
public:

    /// A connection from the engine's pool, used on the calling coroutine's executor.
    /// Close it (close()) to return it. Throws TimeoutError when the pool stays
    /// exhausted for pool_timeout, OperationalError when the database is unreachable.
    /// Cancellation ends the wait for a slot, the pre-ping or the connect at once
    /// (operation_aborted) and leaves the pool as it was.
    awaitable<AsyncConnection> connect();

    /// Connects, runs `body` in a transaction (commit on return, rollback on
    /// exception) and closes the connection: SQLAlchemy's `async with engine.begin()`.
    /// On GCC 12, a body that owns captures must be passed by name (see
    /// retort/coroutine_body.hpp).
    template <class F>
    awaitable<void> begin(F&& body) {
        RETORT_REQUIRE_SAFE_BODY(F, "AsyncEngine::begin(body)");
        static_assert(std::is_same_v<std::invoke_result_t<std::remove_cvref_t<F>&, AsyncConnection&>, awaitable<void>>,
                      "a transaction body must be a coroutine: [&](AsyncConnection& c) -> awaitable<void> { ... }");
        return begin_owned(AsyncConnection::Body(std::remove_cvref_t<F>(std::forward<F>(body))));
    }

    /// Closes the pool's idle connections; those checked out now are closed, not
    /// pooled, when they are returned. The engine stays usable: later connect()s
    /// open new connections (as after a fork, or to drop every session at once).
    awaitable<void> dispose();

    const Url& url() const;
    const EngineOptions& options() const;
    /// The dialect's name ("postgresql" for a postgres:// URL too).
    std::string_view dialect_name() const;
    /// What the database can do (retort/sql/capabilities.hpp), to choose a
    /// statement's form: `if (engine.capabilities().for_update_skip_locked) ...`.
    /// The dialect's claims until the engine's first connection; from then on,
    /// the server's (mysql:// reaches MySQL 8 or MariaDB, which differ).
    const sql::Capabilities& capabilities() const;
    /// The dialect plugin itself: include <retort/plugin/dialect.hpp> to use it
    /// (its compiler, converters, connect()), as tools and tests do.
    const plugin::Dialect& dialect() const;

    struct CacheStats {
        std::uint64_t hits = 0, misses = 0;
        std::size_t size = 0;
    };
    /// How often statements were found compiled in the cache.
    CacheStats compiled_cache_stats() const;

    struct PoolStatus {
        std::size_t pool_size = 0, max_overflow = 0;
        std::size_t open = 0;         ///< connections open (or opening), idle or checked out
        std::size_t idle = 0;         ///< open and waiting in the pool
        std::size_t checked_out = 0;  ///< in use by an AsyncConnection
        std::size_t waiting = 0;      ///< connect() calls waiting for a connection to free up
    };
    PoolStatus pool_status() const;

private:
    friend AsyncEngine create_async_engine(const Url& url, EngineOptions options);
    explicit AsyncEngine(std::shared_ptr<detail::EngineState> s) : s_(std::move(s)) {}
    awaitable<void> begin_owned(AsyncConnection::Body body);

    std::shared_ptr<detail::EngineState> s_;
};

/// Creates an engine for `url`, loading its dialect plugin. Throws ArgumentError
/// for a malformed URL and PluginError when no plugin serves its dialect. When
/// each connection to the URL is a database of its own (SQLite in memory), the
/// pool keeps one connection, whatever the options say.
AsyncEngine create_async_engine(std::string_view url, EngineOptions options = {});
AsyncEngine create_async_engine(const Url& url, EngineOptions options = {});

}  // namespace retort
