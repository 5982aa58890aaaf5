#include "connection_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "retort/error.hpp"

namespace retort::detail {

namespace asio = boost::asio;

/// A coroutine waiting for a connection. The releasing side fills `conn` (or
/// sets `may_connect`) under the pool's lock, removes the waiter from the queue,
/// and wakes it by cancelling its timer on the timer's own executor (Asio
/// timers are not thread-safe). A waiter whose timer expires while it is
/// still queued has timed out.
struct ConnectionPool::Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::unique_ptr<PooledConnection> conn;
    bool may_connect = false;
};

ConnectionPool::ConnectionPool(const EngineOptions& o, std::string description, Connector connect)
    : pool_size_(o.pool_size),
      max_total_(o.pool_size + o.max_overflow),
      timeout_(o.pool_timeout),
      recycle_(o.pool_recycle),
      pre_ping_(o.pool_pre_ping),
      lifo_(o.pool_use_lifo),
      description_(std::move(description)),
      connect_(std::move(connect)) {
    if (max_total_ == 0) throw ArgumentError("pool_size + max_overflow must allow at least one connection");
}

ConnectionPool::~ConnectionPool() {
    // Idle connections are detached: closing them here touches no io_context.
    idle_.clear();
}

bool ConnectionPool::usable(const PooledConnection& c, Clock::time_point now) const {
    if (c.generation != generation_ || c.created < invalidated_before_) return false;
    if (recycle_.count() > 0 && now - c.created > recycle_) return false;
    return c.driver && c.driver->is_open();
}

void ConnectionPool::free_slot_locked() {
    --total_;
    if (waiters_.empty()) return;
    auto w = std::move(waiters_.front());
    waiters_.pop_front();
    w->may_connect = true;
    ++total_;
    ++checked_out_;
    asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
}

awaitable<std::unique_ptr<PooledConnection>> ConnectionPool::open(asio::any_io_executor ex) {
    // The slot is already counted in total_ and checked_out_: give it back if
    // connecting fails, or if this frame is destroyed while it connects.
    struct Slot {
        ConnectionPool* pool;
        ~Slot() {
            if (!pool) return;
            std::lock_guard lock(pool->mutex_);
            --pool->checked_out_;
            pool->free_slot_locked();
        }
    } slot{this};
    auto c = std::make_unique<PooledConnection>();
    c->driver = co_await connect_(ex);
    c->created = Clock::now();
    {
        std::lock_guard lock(mutex_);
        c->generation = generation_;
    }
    slot.pool = nullptr;
    co_return c;
}

awaitable<std::unique_ptr<PooledConnection>> ConnectionPool::acquire() {
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = Clock::now() + timeout_;
    for (;;) {
        std::unique_ptr<PooledConnection> c;
        std::shared_ptr<Waiter> waiter;
        bool open_new = false;
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                if (lifo_) {
                    c = std::move(idle_.back());
                    idle_.pop_back();
                } else {
                    c = std::move(idle_.front());
                    idle_.pop_front();
                }
                ++checked_out_;
            } else if (total_ < max_total_) {
                ++total_;
                ++checked_out_;
                open_new = true;
            } else {
                waiter = std::make_shared<Waiter>(ex);
                waiter->timer.expires_at(deadline);
                waiters_.push_back(waiter);
            }
        }
        if (waiter) {
            // A frame destroyed while it waits (its io_context torn down) must
            // leave the queue, and give back what was handed to it meanwhile.
            struct Abandon {
                ConnectionPool* pool;
                std::shared_ptr<Waiter>* waiter;
                ~Abandon() {
                    if (pool) pool->abandon(*waiter);
                }
            } abandon{this, &waiter};
            boost::system::error_code ec;
            co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            abandon.pool = nullptr;
            std::lock_guard lock(mutex_);
            if (waiter->conn) {
                c = std::move(waiter->conn);
            } else if (waiter->may_connect) {
                open_new = true;
            } else {
                std::erase(waiters_, waiter);
                char seconds[32];
                std::snprintf(seconds, sizeof seconds, "%.2f", timeout_.count() / 1000.0);
                throw TimeoutError("the connection pool of " + description_ + " is exhausted: all " +
                                   std::to_string(pool_size_) + " connections and " +
                                   std::to_string(max_total_ - pool_size_) + " overflow are checked out, and none was "
                                   "returned within pool_timeout (" + seconds + " s). Close connections when done, "
                                   "or raise pool_size / max_overflow");
            }
        }
        if (open_new) co_return co_await open(ex);

        bool keep;
        {
            std::lock_guard lock(mutex_);
            keep = usable(*c, Clock::now());
        }
        if (!keep) {
            // Replace it in the same slot: the slot stays counted.
            c.reset();
            co_return co_await open(ex);
        }
        try {
            c->driver->attach(ex);  // registers the socket: can fail (descriptor limits)
        } catch (...) {
            c.reset();
            std::lock_guard lock(mutex_);
            --checked_out_;
            free_slot_locked();
            throw;
        }
        if (!pre_ping_) co_return c;
        bool alive = true;
        try {
            co_await c->driver->ping();
        } catch (const DBAPIError&) {
            alive = false;
        }
        if (alive) co_return c;
        // A dead connection: the others of its age are likely dead too (a server restart).
        c->driver->detach();
        c.reset();
        invalidate_all();
        co_return co_await open(ex);
    }
}

void ConnectionPool::release(std::unique_ptr<PooledConnection> c) noexcept {
    c->driver->detach();
    std::unique_ptr<PooledConnection> closing;
    {
        std::lock_guard lock(mutex_);
        --checked_out_;
        if (!usable(*c, Clock::now())) {
            closing = std::move(c);
            free_slot_locked();
        } else if (!waiters_.empty()) {
            auto w = std::move(waiters_.front());
            waiters_.pop_front();
            w->conn = std::move(c);
            ++checked_out_;
            asio::post(w->timer.get_executor(), [w] { w->timer.cancel(); });
        } else if (total_ > pool_size_) {
            closing = std::move(c);  // an overflow connection, no longer needed
            --total_;
        } else {
            idle_.push_back(std::move(c));
        }
    }
    // Closed outside the lock: it may take a round trip's worth of time.
}

void ConnectionPool::discard(std::unique_ptr<PooledConnection> c) noexcept {
    c->driver->detach();
    {
        std::lock_guard lock(mutex_);
        --checked_out_;
        free_slot_locked();
    }
    c.reset();
}

void ConnectionPool::abandon(const std::shared_ptr<Waiter>& w) noexcept {
    std::unique_ptr<PooledConnection> handed;
    {
        std::lock_guard lock(mutex_);
        if (std::erase(waiters_, w) > 0) return;  // still queued: nothing was given to it
        handed = std::move(w->conn);
        if (!handed && w->may_connect) {
            --checked_out_;
            free_slot_locked();
        }
    }
    if (handed) release(std::move(handed));
}

void ConnectionPool::invalidate_all() noexcept {
    std::lock_guard lock(mutex_);
    invalidated_before_ = Clock::now();
}

awaitable<void> ConnectionPool::dispose() {
    std::deque<std::unique_ptr<PooledConnection>> closing;
    {
        std::lock_guard lock(mutex_);
        ++generation_;
        closing.swap(idle_);
        total_ -= closing.size();
    }
    closing.clear();
    co_return;
}

AsyncEngine::PoolStatus ConnectionPool::status() const {
    std::lock_guard lock(mutex_);
    AsyncEngine::PoolStatus s;
    s.pool_size = pool_size_;
    s.max_overflow = max_total_ - pool_size_;
    s.open = total_;
    s.idle = idle_.size();
    s.checked_out = checked_out_;
    s.waiting = waiters_.size();
    return s;
}

}  // namespace retort::detail
