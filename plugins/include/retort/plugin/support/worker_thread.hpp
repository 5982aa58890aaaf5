// WorkerThread: one thread of its own for a client library whose calls block
// (SQLite). A coroutine ships a whole unit of work to it and resumes on its own
// executor when the work is done; the event loop never waits.
//
// A hop costs about 20 point queries (async-drivers.md, measured), so callers
// should send a statement with all its rows, or a batch, per hop.
//
// Cancellation: run() honours Asio per-operation cancellation (`op || timer`, a
// cancellation_signal). Work not yet started is skipped; work running is asked
// to stop through the `interrupt` callable given to run() (sqlite3_interrupt),
// and the caller resumes with operation_aborted once it has returned.
//
// Teardown: an io_context destroyed while work it awaits runs never sees that
// work complete. Its shutdown interrupts the work, waits for it to return (the
// work may use the awaiting frame's data), then destroys the frame; nothing is
// ever posted to a dead io_context.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <condition_variable>
#include <exception>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <variant>
#include <unordered_map>

namespace retort::plugin::support {

namespace detail {

/// An operation on a worker thread, as the io_context awaiting it sees it.
class WorkerOp {
public:
    virtual ~WorkerOp();
    /// The io_context is being destroyed: stop the work (or let it run on, if
    /// it owns all it uses), and destroy the awaiting handler without running it.
    virtual void abandon() noexcept = 0;
};

/// The worker operations awaited on one io_context (an Asio service of it), so
/// that its shutdown abandons them instead of leaving them to complete on a
/// context that no longer exists.
class PendingWorkerOps : public boost::asio::execution_context::service {
public:
    static boost::asio::execution_context::id id;
    explicit PendingWorkerOps(boost::asio::execution_context& context);
    void add(const std::shared_ptr<WorkerOp>& op);
    void remove(const WorkerOp* op) noexcept;

private:
    void shutdown() override;
    std::mutex mutex_;
    std::unordered_map<const WorkerOp*, std::shared_ptr<WorkerOp>> ops_;
};

/// What an operation awaited from another thread keeps: the awaiting handler
/// (until the outcome, a cancellation or the io_context's teardown takes it),
/// its executor and outstanding work, and its place in PendingWorkerOps.
template <class Handler, class R>
class AwaitedOp : public WorkerOp {
protected:
    using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

    explicit AwaitedOp(Handler h)
        : executor_(boost::asio::get_associated_executor(h)), work_(executor_), handler_(std::move(h)) {}

    /// Registers with the awaiting io_context; once, before the work starts.
    void register_pending(std::shared_ptr<WorkerOp> self) {
        namespace asio = boost::asio;
        pending_ = &asio::use_service<PendingWorkerOps>(asio::query(executor_, asio::execution::context));
        pending_->add(self);
    }

    /// Hands the outcome to the awaiting handler, on its executor. The caller
    /// holds mutex_ and handler_ is set. Unregistered only once posted, under
    /// the lock: a teardown of the io_context that starts meanwhile waits in
    /// abandon() until the post is done, so the completion is queued on a
    /// context still alive.
    void complete_locked(std::exception_ptr error, Stored out) {
        auto handler = std::move(*handler_);
        handler_.reset();
        auto work = std::move(*work_);
        work_.reset();
        boost::asio::post(executor_, [handler = std::move(handler), work = std::move(work), error,
                                      out = std::move(out)]() mutable {
            boost::asio::get_associated_cancellation_slot(handler).clear();
            if constexpr (std::is_void_v<R>) std::move(handler)(error);
            else std::move(handler)(error, std::move(out));
        });
        pending_->remove(this);
    }

    /// Moves the handler into `out` without running it (abandoned). The caller
    /// holds mutex_, and lets `out` destroy the awaiting frame after releasing it.
    void take_handler_locked(std::optional<Handler>& out) {
        if (!handler_) return;
        boost::asio::get_associated_cancellation_slot(*handler_).clear();
        out.emplace(std::move(*handler_));
        handler_.reset();
        work_.reset();
    }

    static std::exception_ptr aborted() {
        return std::make_exception_ptr(boost::system::system_error(boost::asio::error::operation_aborted));
    }

private:
    boost::asio::any_io_executor executor_;
    std::optional<boost::asio::executor_work_guard<boost::asio::any_io_executor>> work_;
    PendingWorkerOps* pending_ = nullptr;

protected:
    std::mutex mutex_;
    std::optional<Handler> handler_;
};

/// WorkerThread::run(): `fn` runs on the worker and may use the awaiting
/// frame's data, so nothing lets the caller go before it has returned.
template <class Handler, class F, class R>
class WorkerRun : public AwaitedOp<Handler, R>, public std::enable_shared_from_this<WorkerRun<Handler, F, R>> {
    using Base = AwaitedOp<Handler, R>;
    using typename Base::Stored;

public:
    WorkerRun(Handler h, F fn, std::function<void()> interrupt)
        : Base(std::move(h)), fn_(std::move(fn)), interrupt_(std::move(interrupt)) {}

    void start(boost::asio::io_context& worker) {
        namespace asio = boost::asio;
        this->register_pending(this->shared_from_this());
        auto slot = asio::get_associated_cancellation_slot(*this->handler_);
        if (slot.is_connected()) {
            std::weak_ptr<WorkerRun> weak = this->shared_from_this();
            slot.assign([weak](asio::cancellation_type) {
                if (auto op = weak.lock()) op->cancel();
            });
        }
        asio::post(worker, [op = this->shared_from_this()] { op->work(); });
    }

    void abandon() noexcept override {
        std::optional<Handler> dying;
        {
            std::unique_lock lock(this->mutex_);
            if (!this->handler_) return;
            abandoned_ = true;
            if (running_ && interrupt_) interrupt_();
            finished_.wait(lock, [&] { return !running_; });
            this->take_handler_locked(dying);
        }
        // `dying` destroys the awaiting frame here, outside the lock.
    }

private:
    void cancel() {
        std::lock_guard lock(this->mutex_);
        if (!this->handler_ || cancelled_) return;
        cancelled_ = true;
        if (running_ && interrupt_) interrupt_();
    }

    // On the worker thread.
    void work() {
        bool run_it;
        {
            std::lock_guard lock(this->mutex_);
            if (abandoned_) return;
            run_it = running_ = !cancelled_;
        }
        std::exception_ptr error;
        Stored out{};
        if (run_it) {
            try {
                if constexpr (std::is_void_v<R>) fn_();
                else out = fn_();
            } catch (...) {
                error = std::current_exception();
            }
        }
        std::lock_guard lock(this->mutex_);
        running_ = false;
        if (abandoned_) {
            finished_.notify_all();
            return;
        }
        // Cancelled work that failed (interrupted) or never ran is reported as
        // the cancellation it is; work that finished anyway keeps its result.
        if (cancelled_ && (error || !run_it)) error = Base::aborted();
        this->complete_locked(error, std::move(out));
    }

    F fn_;
    std::function<void()> interrupt_;
    std::condition_variable finished_;
    bool running_ = false, cancelled_ = false, abandoned_ = false;
};

/// run_detached(): `fn` owns all it uses, so a cancellation or a teardown lets
/// the caller go at once; a result that comes too late is destroyed on the
/// work's thread, and its destructor disposes of what it holds.
template <class Handler, class F, class R>
class DetachedRun : public AwaitedOp<Handler, R>, public std::enable_shared_from_this<DetachedRun<Handler, F, R>> {
    using Base = AwaitedOp<Handler, R>;

public:
    DetachedRun(Handler h, F fn) : Base(std::move(h)), fn_(std::move(fn)) {}

    void start() {
        namespace asio = boost::asio;
        this->register_pending(this->shared_from_this());
        auto slot = asio::get_associated_cancellation_slot(*this->handler_);
        if (slot.is_connected()) {
            std::weak_ptr<DetachedRun> weak = this->shared_from_this();
            slot.assign([weak](asio::cancellation_type) {
                R none{};
                if (auto op = weak.lock()) op->complete(Base::aborted(), none);
            });
        }
        std::thread([op = this->shared_from_this()] { op->work(); }).detach();
    }

    void abandon() noexcept override {
        std::optional<Handler> dying;
        {
            std::lock_guard lock(this->mutex_);
            this->take_handler_locked(dying);
        }
        // The awaiting frame goes now; the work finishes on its own thread.
    }

private:
    void work() {
        std::exception_ptr error;
        R out{};
        try {
            out = fn_();
        } catch (...) {
            error = std::current_exception();
        }
        complete(error, out);  // if nobody waits any more, `out` is destroyed here
    }

    // Hands the outcome (moved from `out`) to the awaiting handler if it still waits.
    void complete(std::exception_ptr error, R& out) {
        std::lock_guard lock(this->mutex_);
        if (this->handler_) this->complete_locked(error, std::move(out));
    }

    F fn_;
};

}  // namespace detail

class WorkerThread {
public:
    WorkerThread() : guard_(io_.get_executor()), thread_([this] { serve(); }) {}
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
    /// exception f threw. When the caller cancels, `interrupt()` is called (from
    /// the canceller's thread, only while f runs) and the caller resumes with
    /// operation_aborted when f returns; f is skipped if it had not started.
    ///
    /// Not a coroutine: it returns async_initiate's awaitable directly, because
    /// GCC 12 destroys the temporaries of a `co_await async_initiate(...)`
    /// expression twice.
    template <class F>
    auto run(F f, std::function<void()> interrupt = {}) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
        using R = std::invoke_result_t<F&>;
        using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;
        static_assert(std::is_default_constructible_v<Stored>, "WorkerThread::run: the result type must be default-constructible");
        namespace asio = boost::asio;
        using Signature = std::conditional_t<std::is_void_v<R>, void(std::exception_ptr), void(std::exception_ptr, Stored)>;
        return asio::async_initiate<decltype(asio::use_awaitable), Signature>(
            [this](auto handler, F fn, std::function<void()> interrupt) {
                using Handler = decltype(handler);
                auto op = std::make_shared<detail::WorkerRun<Handler, F, R>>(std::move(handler), std::move(fn),
                                                                             std::move(interrupt));
                op->start(io_);
            },
            asio::use_awaitable, std::move(f), std::move(interrupt));
    }

private:
    // After each piece of work the thread looks for the next one for a short
    // while before it sleeps: a program's next statement usually follows within
    // microseconds, and waking a sleeping thread on another CPU costs tens of
    // them on a virtual machine (measured: a SQLite get in a fresh session
    // three times faster). It yields while it looks, so a busy CPU loses little.
    void serve() {
        using clock = std::chrono::steady_clock;
        for (;;) {
            if (io_.poll_one()) continue;
            const auto until = clock::now() + spin_before_sleep;
            bool ran = false;
            while (!ran && clock::now() < until) {
                std::this_thread::yield();
                ran = io_.poll_one() != 0;
            }
            if (!ran && io_.run_one() == 0) return;  // stopped: no work and no guard
        }
    }
    static constexpr std::chrono::microseconds spin_before_sleep{50};


    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
    std::thread thread_;
};

/// Runs `f()` on a thread of its own, for one blocking call that nothing can
/// interrupt (a blocking connect, getaddrinfo), and resumes the caller with its
/// result or exception. `f` must own everything it uses: a cancellation, or the
/// teardown of the awaiting io_context, lets the caller go at once
/// (operation_aborted) while `f` runs on to its end. A result nobody takes any
/// more is destroyed, on that thread or wherever it is dropped: make its
/// destructor dispose of what it holds (close the handle it opened).
///
/// Not a coroutine, for the reason WorkerThread::run is not.
template <class F>
auto run_detached(F f) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    static_assert(!std::is_void_v<R> && std::is_default_constructible_v<R> && std::is_move_constructible_v<R>,
                  "run_detached: f must return a default-constructible, movable value");
    namespace asio = boost::asio;
    return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
        [](auto handler, F fn) {
            using Handler = decltype(handler);
            auto op = std::make_shared<detail::DetachedRun<Handler, F, R>>(std::move(handler), std::move(fn));
            op->start();
        },
        asio::use_awaitable, std::move(f));
}

}  // namespace retort::plugin::support
