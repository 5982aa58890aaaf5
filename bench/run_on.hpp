// Runs one coroutine to its end from plain code: the benchmarks drive Retort
// from a main() without an event loop of their own.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace retort::bench {

/// Runs `work` on a fresh turn of `io` and returns its value, or rethrows what it threw.
template <class T>
T run_on(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
    std::exception_ptr failure;
    std::optional<T> out;
    io.restart();
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) out.emplace(std::move(value));
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

inline void run_on(boost::asio::io_context& io, boost::asio::awaitable<void> work) {
    std::exception_ptr failure;
    io.restart();
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

}  // namespace retort::bench
