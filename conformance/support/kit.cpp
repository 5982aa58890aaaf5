#include "support/kit.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>

namespace retort::test {

void run(std::function<boost::asio::awaitable<void>()> body) {
    boost::asio::io_context io;
    std::exception_ptr failure;
    bool finished = false;
    boost::asio::co_spawn(io, body(), [&](std::exception_ptr e) {
        failure = e;
        finished = true;
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    if (!finished) throw std::runtime_error("the test coroutine never finished");
}

namespace {
std::string backend_name() {
    const char* b = std::getenv("RETORT_TEST_BACKEND");
    return b && *b ? b : "sqlite";
}
std::string backend_variable(const std::string& name) {
    std::string var = "RETORT_TEST_";
    for (char ch : backend_name()) var += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return var + "_" + name;
}
}  // namespace

std::optional<std::string> backend_setting(const std::string& name) {
    const char* v = std::getenv(backend_variable(name).c_str());
    if (!v || !*v) return std::nullopt;
    return v;
}

std::optional<std::string> terminate_session_sql(std::int64_t session_id) {
    const char* templ = std::getenv("RETORT_TEST_TERMINATE_SESSION_SQL");
    if (!templ || !*templ) return std::nullopt;
    std::string sql = templ;
    for (auto at = sql.find("{id}"); at != std::string::npos; at = sql.find("{id}", at))
        sql.replace(at, 4, std::to_string(session_id));
    return sql;
}

std::string backend_url() {
    if (const char* url = std::getenv("RETORT_TEST_URL"); url && *url) return url;
    std::string backend = backend_name();
    std::string var = backend_variable("URL");
    if (auto url = backend_setting("URL")) return *url;
    if (backend != "sqlite") skip("no server for backend '" + backend + "': set " + var);
    static const std::string fallback = [] {
        auto path = std::filesystem::current_path() / ("retort-test-" + std::to_string(::getpid()) + ".db");
        std::filesystem::remove(path);
        std::atexit([] {
            auto p = std::filesystem::current_path() / ("retort-test-" + std::to_string(::getpid()) + ".db");
            std::error_code ec;
            for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix, ec);
        });
        return "sqlite:///" + path.string();  // an absolute path: four slashes in all
    }();
    return fallback;
}

boost::asio::awaitable<void> recreate_tables(AsyncEngine& engine, const MetaData& metadata) {
    co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([&](Connection& c) {
            metadata.drop_all(c);
            metadata.create_all(c);
        });
    });
}

boost::asio::awaitable<std::int64_t> count_rows(AsyncConnection& conn, const sql::Table& table) {
    co_return co_await conn.scalar<std::int64_t>(sql::select(sql::func::count()).select_from(table));
}

boost::asio::awaitable<std::int64_t> count_rows(AsyncEngine& engine, const sql::Table& table) {
    auto conn = co_await engine.connect();
    auto n = co_await count_rows(conn, table);
    co_await conn.close();
    co_return n;
}

AsyncEngine make_engine(EngineOptions options) { return create_async_engine(backend_url(), std::move(options)); }

void skip(const std::string& reason) {
    std::fprintf(stderr, "SKIPPED: %s\n", reason.c_str());
    std::fflush(stderr);
    std::_Exit(77);
}

boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
    boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
    co_await t.async_wait(boost::asio::use_awaitable);
}

}  // namespace retort::test
