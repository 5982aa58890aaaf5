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
#include <span>
#include <string>
#include <string_view>

#include "retort/engine/connection.hpp"
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
    /// Called before each statement is sent (whether or not echo is on).
    std::function<void(const StatementEvent&)> on_statement;
    /// Compiled statements kept per engine (least recently used are dropped).
    std::size_t compiled_cache_size = 500;
    /// Rows fetched per round trip (or per worker-thread hop) by stream().
    std::size_t stream_batch_rows = 1000;
};

namespace detail {
struct EngineState;
}

class AsyncEngine {
public:
    explicit AsyncEngine(std::shared_ptr<detail::EngineState> s) : s_(std::move(s)) {}

    /// Opens a connection on the calling coroutine's executor.
    awaitable<AsyncConnection> connect();

    /// Connects, runs `body` in a transaction (commit on return, rollback on
    /// exception) and closes the connection: SQLAlchemy's `async with engine.begin()`.
    template <class F>
    awaitable<void> begin(F body) {
        auto conn = co_await connect();
        std::exception_ptr failure;
        try {
            co_await conn.transaction(std::move(body));
        } catch (...) {
            failure = std::current_exception();
        }
        co_await conn.close();
        if (failure) std::rethrow_exception(failure);
    }

    /// Closes idle pooled connections. Connections in use are unaffected.
    awaitable<void> dispose();

    const Url& url() const;
    const plugin::Dialect& dialect() const;
    const EngineOptions& options() const;

    struct CacheStats {
        std::uint64_t hits = 0, misses = 0;
        std::size_t size = 0;
    };
    /// How often statements were found compiled in the cache.
    CacheStats compiled_cache_stats() const;

private:
    std::shared_ptr<detail::EngineState> s_;
};

/// Creates an engine for `url`, loading its dialect plugin. Throws ArgumentError
/// for a malformed URL and PluginError when no plugin serves its dialect.
AsyncEngine create_async_engine(std::string_view url, EngineOptions options = {});
AsyncEngine create_async_engine(const Url& url, EngineOptions options = {});

}  // namespace retort
