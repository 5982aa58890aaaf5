// An operation bounded by a deadline, for drivers and the pool.
//
// Asio's `co_await (op || timer)` is not that: it waits for the first
// *success*, so an operation that fails waits for the timer anyway, and a
// caller cancelled meanwhile gets multiple_exceptions instead of
// operation_aborted. within() takes whichever completes first.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <type_traits>

namespace retort::plugin::support {

/// Awaits `op` until `deadline`. Returns its result (for a void `op`: true),
/// or nullopt (false) when the deadline came first; `op` is then cancelled and
/// awaited before this returns. What `op` throws is rethrown as it is; a
/// cancellation of the caller throws operation_aborted.
template <class T>
auto within(std::chrono::steady_clock::time_point deadline, boost::asio::awaitable<T> op)
    -> boost::asio::awaitable<std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>> {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, deadline);
    auto group = asio::experimental::make_parallel_group(asio::co_spawn(ex, std::move(op), asio::deferred),
                                                         timer.async_wait(asio::deferred));
    if constexpr (std::is_void_v<T>) {
        auto [order, error, timer_error] =
            co_await std::move(group).async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        if (order[0] == 0) {
            if (error) std::rethrow_exception(error);
            co_return true;
        }
        if (timer_error) throw boost::system::system_error(asio::error::operation_aborted);
        co_return false;
    } else {
        auto [order, error, result, timer_error] =
            co_await std::move(group).async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
        if (order[0] == 0) {
            if (error) std::rethrow_exception(error);
            co_return std::optional<T>(std::move(result));
        }
        if (timer_error) throw boost::system::system_error(asio::error::operation_aborted);
        co_return std::optional<T>();
    }
}

}  // namespace retort::plugin::support
