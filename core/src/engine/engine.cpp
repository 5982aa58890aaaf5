#include "retort/engine/engine.hpp"

#include <boost/asio/this_coro.hpp>

#include "engine_state.hpp"
#include "retort/error.hpp"
#include "retort/plugin/registry.hpp"

namespace retort {

AsyncEngine create_async_engine(std::string_view url, EngineOptions options) {
    return create_async_engine(Url::parse(url), std::move(options));
}

AsyncEngine create_async_engine(const Url& url, EngineOptions options) {
    auto dialect = plugin::load_dialect(url.dialect());
    auto s = std::make_shared<detail::EngineState>(url, std::move(options), std::move(dialect));
    return AsyncEngine(std::move(s));
}

awaitable<AsyncConnection> AsyncEngine::connect() {
    auto executor = co_await boost::asio::this_coro::executor;
    auto state = std::make_shared<detail::ConnectionState>();
    state->engine = s_;
    state->executor = executor;
    state->driver = co_await s_->dialect->connect(s_->url, executor);
    co_return AsyncConnection(std::move(state));
}

awaitable<void> AsyncEngine::dispose() { co_return; }

const Url& AsyncEngine::url() const { return s_->url; }
const plugin::Dialect& AsyncEngine::dialect() const { return *s_->dialect; }
const EngineOptions& AsyncEngine::options() const { return s_->options; }
AsyncEngine::CacheStats AsyncEngine::compiled_cache_stats() const { return s_->cache.stats(); }

}  // namespace retort
