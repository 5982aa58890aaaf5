// WorkerThread: one thread of its own for a client library whose calls block
// (SQLite). A coroutine ships a whole unit of work to it and resumes on its own
// executor when the work is done; the event loop never waits.
//
// A hop costs about 20 point queries (async-drivers.md, measured), so callers
// should send a statement with all its rows, or a batch, per hop.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <thread>
#include <type_traits>

namespace retort::plugin {

class WorkerThread {
public:
    WorkerThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;
    /// Runs the work already queued, then joins. Never call it from the worker itself.
    ~WorkerThread() { stop(); }

    void stop() {
        guard_.reset();
        if (thread_.joinable()) thread_.join();
    }

    /// Queues `f()` on the worker thread without waiting for it (clean-up in destructors).
    template <class F>
    void post(F f) {
        boost::asio::post(io_, std::move(f));
    }

    /// Runs `f()` on the worker thread; the awaiting coroutine resumes on its own
    /// executor with f's result (void or default-constructible), or with the
    /// exception f threw.
    ///
    /// Not a coroutine: it returns async_initiate's awaitable directly, because
    /// GCC 12 destroys the temporaries of a `co_await async_initiate(...)`
    /// expression twice.
    template <class F>
    auto run(F f) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
        using R = std::invoke_result_t<F&>;
        namespace asio = boost::asio;
        if constexpr (std::is_void_v<R>) {
            return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr)>(
                [this](auto handler, F fn) {
                    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
                    asio::post(io_, [fn = std::move(fn), handler = std::move(handler), work = std::move(work)]() mutable {
                        std::exception_ptr ep;
                        try {
                            fn();
                        } catch (...) {
                            ep = std::current_exception();
                        }
                        auto ex = work.get_executor();
                        asio::post(ex, [handler = std::move(handler), ep]() mutable { std::move(handler)(ep); });
                    });
                },
                asio::use_awaitable, std::move(f));
        } else {
            static_assert(std::is_default_constructible_v<R>, "WorkerThread::run: the result type must be default-constructible");
            return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
                [this](auto handler, F fn) {
                    auto work = asio::make_work_guard(asio::get_associated_executor(handler));
                    asio::post(io_, [fn = std::move(fn), handler = std::move(handler), work = std::move(work)]() mutable {
                        std::exception_ptr ep;
                        R out{};
                        try {
                            out = fn();
                        } catch (...) {
                            ep = std::current_exception();
                        }
                        auto ex = work.get_executor();
                        asio::post(ex, [handler = std::move(handler), ep, out = std::move(out)]() mutable {
                            std::move(handler)(ep, std::move(out));
                        });
                    });
                },
                asio::use_awaitable, std::move(f));
        }
    }

private:
    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

}  // namespace retort::plugin
