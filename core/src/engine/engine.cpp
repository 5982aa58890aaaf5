#include "retort/engine/engine.hpp"

#include <boost/asio/this_coro.hpp>

#include "engine_state.hpp"
#include "retort/error.hpp"
#include "retort/plugin/loader.hpp"

namespace retort {

namespace detail {

void check_isolation_level(const plugin::Dialect& dialect, IsolationLevel level) {
    if (level == IsolationLevel::autocommit) return;
    auto levels = dialect.isolation_levels();
    if (std::find(levels.begin(), levels.end(), level) != levels.end()) return;
    std::string known = "AUTOCOMMIT";
    for (auto l : levels) known += ", " + std::string(to_string(l));
    throw ArgumentError("isolation level " + std::string(to_string(level)) + " is not offered by the " +
                        std::string(dialect.name()) + " dialect; it offers: " + known);
}

namespace {
ConnectionPool::Connector make_connector(EngineState& e) {
    return [&e](boost::asio::any_io_executor ex) -> awaitable<std::unique_ptr<plugin::Connection>> {
        auto driver = co_await e.plugin_dialect->connect(e.url, ex);
        e.adopt_server(*driver);
        if (auto level = e.options.isolation_level; level && *level != IsolationLevel::autocommit)
            co_await driver->set_isolation_level(*level);
        co_return driver;
    };
}
}  // namespace

EngineState::EngineState(Url u, EngineOptions o, std::shared_ptr<const plugin::Dialect> d)
    : url(std::move(u)),
      options(std::move(o)),
      plugin_dialect(std::move(d)),
      current_(plugin_dialect.get()),
      cache(options.compiled_cache_size),
      pool(options, url.to_string(), make_connector(*this)) {}

void EngineState::adopt_server(const plugin::Connection& connection) {
    // Statements are compiled only on a connection that went through here, so
    // none is compiled for the plugin's dialect once the server's is known.
    std::call_once(refined_, [&] {
        server_dialect = plugin_dialect->for_server(connection);
        if (server_dialect) current_.store(server_dialect.get(), std::memory_order_release);
    });
}

}  // namespace detail

AsyncEngine create_async_engine(std::string_view url, EngineOptions options) {
    return create_async_engine(Url::parse(url), std::move(options));
}

AsyncEngine create_async_engine(const Url& url, EngineOptions options) {
    auto dialect = plugin::load_dialect(url.dialect());
    if (options.isolation_level) detail::check_isolation_level(*dialect, *options.isolation_level);
    if (dialect->one_database_per_connection(url)) {
        // A second connection would be a second, empty database; recycling the
        // one would throw its data away.
        options.pool_size = 1;
        options.max_overflow = 0;
        options.pool_recycle = std::chrono::seconds{0};
    }
    auto s = std::make_shared<detail::EngineState>(url, std::move(options), std::move(dialect));
    return AsyncEngine(std::move(s));
}

awaitable<AsyncConnection> AsyncEngine::connect() {
    auto state = std::make_shared<detail::ConnectionState>();
    state->engine = s_;
    state->executor = co_await boost::asio::this_coro::executor;
    state->pooled = co_await s_->pool.acquire();
    state->driver = state->pooled->driver.get();
    state->autocommit = s_->options.isolation_level == IsolationLevel::autocommit;
    co_return AsyncConnection(std::move(state));
}

awaitable<void> AsyncEngine::dispose() { co_await s_->pool.dispose(); }

awaitable<void> AsyncEngine::begin_owned(AsyncConnection::Body body) {
    auto conn = co_await connect();
    std::exception_ptr failure;
    try {
        co_await conn.run_transaction(std::move(body));
    } catch (...) {
        failure = std::current_exception();
    }
    co_await conn.close();
    if (failure) std::rethrow_exception(failure);
}

const Url& AsyncEngine::url() const { return s_->url; }
const plugin::Dialect& AsyncEngine::dialect() const { return s_->dialect(); }
std::string_view AsyncEngine::dialect_name() const { return s_->dialect().name(); }
const sql::Capabilities& AsyncEngine::capabilities() const { return s_->dialect().capabilities(); }
const EngineOptions& AsyncEngine::options() const { return s_->options; }
AsyncEngine::CacheStats AsyncEngine::compiled_cache_stats() const { return s_->cache.stats(); }
AsyncEngine::PoolStatus AsyncEngine::pool_status() const { return s_->pool.status(); }

}  // namespace retort
