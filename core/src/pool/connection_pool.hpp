// The connection pool of one engine, in the manner of SQLAlchemy's QueuePool:
// up to pool_size connections stay open while idle, up to max_overflow more
// are opened under load, and a checkout beyond that waits up to pool_timeout.
//
// Thread-safe: coroutines on any executor (any thread) share one pool. An idle
// connection is detached from every executor and attached to the caller's at
// checkout, so the pool never keeps an io_context's objects alive past it.
//
// Invalidation: when a connection is found dead (the server went away, the
// session was killed), every connection opened before that moment is assumed
// suspect and replaced at its next checkout instead of failing the caller's
// first statement. That is SQLAlchemy's pool invalidation, and it is what makes
// a server restart cost one failed statement rather than pool_size of them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "retort/engine/engine.hpp"
#include "retort/plugin/driver.hpp"

namespace retort::detail {

using Clock = std::chrono::steady_clock;

/// A driver connection as the pool tracks it.
struct PooledConnection {
    std::unique_ptr<plugin::Connection> driver;
    Clock::time_point created;
    std::uint64_t generation = 0;
    /// Its isolation level differs from the engine's (set per connection): reset on return.
    bool isolation_changed = false;
};

class ConnectionPool {
public:
    /// Opens a new driver connection attached to the executor, ready for use
    /// (the engine's isolation level already applied).
    using Connector = std::function<awaitable<std::unique_ptr<plugin::Connection>>(boost::asio::any_io_executor)>;

    ConnectionPool(const EngineOptions& options, std::string description, Connector connect);
    ~ConnectionPool();

    /// A connection attached to the calling coroutine's executor. Throws
    /// TimeoutError when none frees up within pool_timeout, or what connecting throws.
    /// Cancellation: ends the wait, the pre-ping or the connect at once (throwing
    /// operation_aborted) and leaves the pool as it was: no slot is kept.
    awaitable<std::unique_ptr<PooledConnection>> acquire();
    /// Takes back a connection whose transaction is ended; it idles or goes to a waiter.
    void release(std::unique_ptr<PooledConnection> c) noexcept;
    /// Takes back a connection that must not be reused (dead, or its reset failed).
    void discard(std::unique_ptr<PooledConnection> c) noexcept;
    /// Marks every connection opened until now for replacement at its next checkout.
    void invalidate_all() noexcept;
    /// Closes the idle connections; those checked out are closed when returned.
    awaitable<void> dispose();

    AsyncEngine::PoolStatus status() const;

private:
    struct Waiter;
    class Lease;
    /// Queues `waiter` until a connection or a slot is handed to it; throws
    /// TimeoutError after pool_timeout, operation_aborted when cancelled.
    awaitable<std::unique_ptr<PooledConnection>> wait_for_slot(std::shared_ptr<Waiter> waiter);
    /// Pings within pool_pre_ping_timeout: false if the connection is dead or stalled.
    awaitable<bool> answers_ping(plugin::Connection& driver);
    /// Before a pre-ping: what the last user left the connection to finish.
    enum class Settled { yes, slow, dead };
    awaitable<Settled> settles(plugin::Connection& driver);
    bool usable(const PooledConnection& c, Clock::time_point now) const;
    /// A waiting coroutine went away: unqueue it, or take back what it was handed.
    void abandon(const std::shared_ptr<Waiter>& w) noexcept;
    // Frees one slot of the pool (the caller holds the lock): a waiter, if any, may connect in it.
    void free_slot_locked();
    awaitable<std::unique_ptr<PooledConnection>> open(boost::asio::any_io_executor ex);

    const std::size_t pool_size_, max_total_;
    const std::chrono::milliseconds timeout_;
    const std::chrono::seconds recycle_;
    const bool pre_ping_;
    const std::chrono::milliseconds ping_timeout_;
    const bool lifo_;
    const std::string description_;
    Connector connect_;

    mutable std::mutex mutex_;
    std::deque<std::unique_ptr<PooledConnection>> idle_;
    std::deque<std::shared_ptr<Waiter>> waiters_;
    std::size_t total_ = 0;        ///< open or opening, idle or checked out
    std::size_t checked_out_ = 0;  ///< handed to callers (or reserved for a waiter)
    std::uint64_t generation_ = 0; ///< bumped by dispose()
    Clock::time_point invalidated_before_{};
};

}  // namespace retort::detail
