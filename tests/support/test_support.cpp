#include "support/test_support.hpp"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
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

std::string backend_url() {
    if (const char* url = std::getenv("RETORT_TEST_URL"); url && *url) return url;
    std::string backend = "sqlite";
    if (const char* b = std::getenv("RETORT_TEST_BACKEND"); b && *b) backend = b;
    std::string var = "RETORT_TEST_";
    for (char ch : backend) var += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    var += "_URL";
    if (const char* url = std::getenv(var.c_str()); url && *url) return url;
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

AsyncEngine make_engine(EngineOptions options) { return create_async_engine(backend_url(), std::move(options)); }

void skip(const std::string& reason) {
    std::fprintf(stderr, "SKIPPED: %s\n", reason.c_str());
    std::fflush(stderr);
    std::_Exit(77);
}

}  // namespace retort::test
