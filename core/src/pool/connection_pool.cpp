#include "connection_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

#include "retort/error.hpp"
#include "retort/plugin/support/deadline.hpp"

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
      ping_timeout_(o.pool_pre_ping_timeout),
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

/// A slot of the pool counted as checked out (in total_ and checked_out_), and
/// the connection in it once there is one. Every way out of acquire() but a
/// successful return gives the slot back and discards the connection: an
/// exception, a cancellation (Asio throws operation_aborted at the next
/// co_await of a cancelled coroutine), or the frame destroyed with its io_context.
class ConnectionPool::Lease {
    ConnectionPool* pool_;

public:
    Lease(ConnectionPool& pool, std::unique_ptr<PooledConnection> c) : pool_(&pool), conn(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
        if (!pool_) return;
        if (conn) {
            pool_->discard(std::move(conn));  // possibly mid-protocol: never reused
        } else {
            std::lock_guard lock(pool_->mutex_);
            --pool_->checked_out_;
            pool_->free_slot_locked();
        }
    }
    std::unique_ptr<PooledConnection> hand_over() {
        pool_ = nullptr;
        return std::move(conn);
    }

    std::unique_ptr<PooledConnection> conn;
};

awaitable<std::unique_ptr<PooledConnection>> ConnectionPool::open(asio::any_io_executor ex) {
    auto c = std::make_unique<PooledConnection>();
    c->driver = co_await connect_(ex);
    c->created = Clock::now();
    std::lock_guard lock(mutex_);
    c->generation = generation_;
    co_return c;
}

awaitable<bool> ConnectionPool::answers_ping(plugin::Connection& driver) {
    auto ping = driver.ping();  // named: see docs/gcc12.md
    try {
        // false when the network stalled: the ping was cancelled mid-way.
        co_return co_await plugin::support::within(Clock::now() + ping_timeout_, std::move(ping));
    } catch (const DBAPIError&) {
        co_return false;  // dead: at once, not at the deadline
    }
}

awaitable<ConnectionPool::Settled> ConnectionPool::settles(plugin::Connection& driver) {
    auto settle = driver.settle();  // named: see docs/gcc12.md
    try {
        bool done = co_await plugin::support::within(Clock::now() + ping_timeout_, std::move(settle));
        co_return done ? Settled::yes : Settled::slow;
    } catch (const DBAPIError&) {
        co_return Settled::dead;
    }
}

awaitable<std::unique_ptr<PooledConnection>> ConnectionPool::acquire() {
    auto ex = co_await asio::this_coro::executor;
    std::unique_ptr<PooledConnection> idle;
    std::shared_ptr<Waiter> waiter;
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            if (lifo_) {
                idle = std::move(idle_.back());
                idle_.pop_back();
            } else {
                idle = std::move(idle_.front());
                idle_.pop_front();
            }
            ++checked_out_;
        } else if (total_ < max_total_) {
            ++total_;  // a slot to connect in
            ++checked_out_;
        } else {
            waiter = std::make_shared<Waiter>(ex);
            waiter->timer.expires_after(timeout_);
            waiters_.push_back(waiter);
        }
    }
    if (waiter) idle = co_await wait_for_slot(waiter);
    Lease lease(*this, std::move(idle));
    if (lease.conn) {
        bool keep;
        {
            std::lock_guard lock(mutex_);
            keep = usable(*lease.conn, Clock::now());
        }
        if (!keep) lease.conn.reset();  // replaced in the same slot
    }
    if (lease.conn) {
        lease.conn->driver->attach(ex);  // registers the socket: can fail (descriptor limits)
        if (pre_ping_) {
            // The last user's ROLLBACK first, under its own deadline: a slow one
            // costs this connection only, never passes for a dead server.
            const Settled settled = co_await settles(*lease.conn->driver);
            bool alive = false;
            if (settled == Settled::yes) alive = co_await answers_ping(*lease.conn->driver);
            if (!alive) {
                lease.conn->driver->detach();
                lease.conn.reset();
                // A dead connection: the others of its age are likely dead too (a server restart).
                if (settled != Settled::slow) invalidate_all();
            }
        }
    }
    if (!lease.conn) lease.conn = co_await open(ex);
    co_return lease.hand_over();
}

awaitable<std::unique_ptr<PooledConnection>> ConnectionPool::wait_for_slot(std::shared_ptr<Waiter> waiter) {
    // A frame destroyed while it waits (its io_context torn down) must leave
    // the queue, and give back what was handed to it meanwhile.
    struct Abandon {
        ConnectionPool* pool;
        std::shared_ptr<Waiter>* waiter;
        ~Abandon() {
            if (pool) pool->abandon(*waiter);
        }
    } abandon{this, &waiter};
    boost::system::error_code ec;
    co_await waiter->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
    {
        std::lock_guard lock(mutex_);
        if (waiter->conn || waiter->may_connect) {
            // Handed a connection or a slot: the caller owns the slot from here
            // (a cancellation ends its next co_await, and it gives the slot back).
            abandon.pool = nullptr;
            co_return std::move(waiter->conn);
        }
    }
    // Still queued: the caller cancelled the wait, or pool_timeout passed.
    // (abandon's destructor takes the waiter out of the queue.)
    if (cancelled) throw boost::system::system_error(asio::error::operation_aborted);
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", timeout_.count() / 1000.0);
    throw TimeoutError("the connection pool of " + description_ + " is exhausted: all " + std::to_string(pool_size_) +
                       " connections and " + std::to_string(max_total_ - pool_size_) +
                       " overflow are checked out, and none was returned within pool_timeout (" + seconds +
                       " s). Close connections when done, or raise pool_size / max_overflow");
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
        } else if (idle_.size() >= pool_size_) {
            // pool_size wait idle already (SQLAlchemy's QueuePool): under load
            // beyond pool_size a returned connection is kept for the next
            // checkout rather than closed and opened again.
            closing = std::move(c);
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
