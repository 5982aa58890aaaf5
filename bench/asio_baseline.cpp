// The baseline of bench/compile_time: a coroutine program of the seed
// example's shape (a coroutine awaiting others, a loop, output) using Asio alone.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>
namespace asio = boost::asio;
asio::awaitable<int> step(int i) {
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(0));
    co_await t.async_wait(asio::use_awaitable);
    co_return i * 2;
}
asio::awaitable<void> run() {
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) out.push_back(std::to_string(co_await step(i)));
    for (auto& s : out) std::cout << s << "\n";
}
int main() {
    asio::io_context io;
    asio::co_spawn(io, run(), asio::detached);
    io.run();
}
