// The socket watcher: Asio waits for what Connector/C's non-blocking calls ask.
#include "mysql_connection.hpp"

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "retort/plugin/support/deadline.hpp"

namespace retort::mysql {

namespace asio = boost::asio;
using plugin::awaitable;

// ---- socket watcher ----------------------------------------------------------------------

void SocketWatcher::assign(const asio::any_io_executor& executor, int fd) {
    release();
    sd_.emplace(executor, fd);
    fd_ = fd;
}

void SocketWatcher::release() noexcept {
    if (sd_) {
        // release(), not close(): the library owns the descriptor and closes it itself.
        sd_->release();
        sd_.reset();
    }
    fd_ = -1;
}

namespace {

// One wait on several things at once (read, write, a timer): the first to
// happen decides, the others are cancelled, and the awaiting coroutine resumes
// once every one of them has completed, so no stale completion is left behind
// to disturb the next wait.
template <class Handler>
struct MultiWait {
    MultiWait(Handler h, asio::posix::stream_descriptor& s, int fallback_events, SocketWatcher::Expired* expired_out,
              SocketWatcher::Expired why)
        : handler(std::move(h)), sd(s), fallback(fallback_events), expired(expired_out), reason(why) {}
    Handler handler;
    asio::posix::stream_descriptor& sd;
    std::optional<asio::steady_timer> timer;
    int pending = 0;
    int events = 0;
    int fallback;
    SocketWatcher::Expired* expired;
    SocketWatcher::Expired reason;  // what the timer stands for
};

template <class Handler>
void complete_one(const std::shared_ptr<MultiWait<Handler>>& w, int event, const boost::system::error_code& ec) {
    if (w->events == 0 && ec != asio::error::operation_aborted) {
        w->events = event;
        if (event == MYSQL_WAIT_TIMEOUT) {
            *w->expired = w->reason;
            // Connector/C gives up on MYSQL_WAIT_TIMEOUT on a plain socket, but
            // its TLS layer ignores the flag and reads again. Shutting the
            // socket down (shutdown(2): the descriptor stays open, and the
            // library's) makes every later read and write fail at once, so the
            // call ends with an error either way. The session is lost in any
            // case: an exchange cut short leaves the protocol out of step.
            ::shutdown(w->sd.native_handle(), SHUT_RDWR);
        }
        boost::system::error_code ignored;
        w->sd.cancel(ignored);
        if (w->timer) w->timer->cancel();
    }
    if (--w->pending == 0) {
        // Every sub-wait was bound to the handler's executor: we are on it.
        asio::get_associated_cancellation_slot(w->handler).clear();
        std::move(w->handler)(w->events ? w->events : w->fallback);
    }
}

}  // namespace

template <class Handler>
void SocketWatcher::start_wait(Handler handler, int status, std::optional<Clock::time_point> expiry, Expired reason) {
    using wait_type = asio::posix::descriptor_base::wait_type;
    if (!sd_) {
        throw InternalError(Diagnostics{0, "", "the MySQL connection has no socket watcher (not attached to an executor)", ""});
    }
    auto ex = asio::get_associated_executor(handler, sd_->get_executor());
    // A cancellation cuts the call short as a timeout does: the socket is shut
    // down, so that the library call fails at once whatever it waits for, and
    // every wait of this call (the timer too) ends.
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto on_cancel = [this, slot](asio::steady_timer* timer) mutable {
        if (!slot.is_connected()) return;
        slot.assign([this, timer](asio::cancellation_type) {
            if (!sd_) return;
            expired = Expired::cancelled;
            ::shutdown(sd_->native_handle(), SHUT_RDWR);
            boost::system::error_code ignored;
            sd_->cancel(ignored);
            if (timer) timer->cancel();
        });
    };
    bool read = status & MYSQL_WAIT_READ;
    bool write = status & MYSQL_WAIT_WRITE;
    // MYSQL_WAIT_EXCEPT needs no wait of its own: an error or hang-up on the
    // socket completes every wait on it.
    if (!read && !write && !expiry) read = true;

    if (!expiry && read != write) {
        // The common case, one direction and no timer: no shared state needed.
        int event = read ? MYSQL_WAIT_READ : MYSQL_WAIT_WRITE;
        on_cancel(nullptr);
        sd_->async_wait(read ? wait_type::wait_read : wait_type::wait_write,
                        asio::bind_executor(ex, [h = std::move(handler), event](const boost::system::error_code&) mutable {
                            // An error on the socket is for the library to find and report.
                            asio::get_associated_cancellation_slot(h).clear();
                            std::move(h)(event);
                        }));
        return;
    }

    int fallback = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
    auto w = std::make_shared<MultiWait<Handler>>(std::move(handler), *sd_, fallback ? fallback : MYSQL_WAIT_READ,
                                                  &expired, reason);
    if (read) {
        ++w->pending;
        sd_->async_wait(wait_type::wait_read, asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
                            complete_one(w, MYSQL_WAIT_READ, ec);
                        }));
    }
    if (write) {
        ++w->pending;
        sd_->async_wait(wait_type::wait_write, asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
                            complete_one(w, MYSQL_WAIT_WRITE, ec);
                        }));
    }
    if (expiry) w->timer.emplace(sd_->get_executor());
    on_cancel(w->timer ? &*w->timer : nullptr);  // (the slot is cleared before w goes)
    if (expiry) {
        ++w->pending;
        w->timer->expires_at(*expiry);
        w->timer->async_wait(asio::bind_executor(ex, [w](const boost::system::error_code& ec) {
            complete_one(w, MYSQL_WAIT_TIMEOUT, ec);
        }));
    }
}

awaitable<int> SocketWatcher::wait(MYSQL* m, int status) {
    // The earliest of what applies: the library's own timeout, ours, the connect deadline.
    std::optional<Clock::time_point> expiry;
    Expired reason = Expired::none;
    auto consider = [&](Clock::time_point t, Expired why) {
        if (!expiry || t < *expiry) {
            expiry = t;
            reason = why;
        }
    };
    const auto now = Clock::now();
    const Expired direction = (status & MYSQL_WAIT_WRITE) ? Expired::write : Expired::read;
    if (status & MYSQL_WAIT_TIMEOUT) consider(now + std::chrono::milliseconds(mysql_get_timeout_value_ms(m)), direction);
    // Connector/C's TLS layer never asks for a timeout: apply ours ourselves.
    if ((status & MYSQL_WAIT_READ) && read_timeout) consider(now + *read_timeout, Expired::read);
    if ((status & MYSQL_WAIT_WRITE) && write_timeout) consider(now + *write_timeout, Expired::write);
    if (deadline) consider(*deadline, Expired::deadline);
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(int)>(
        [this, status, expiry, reason](auto handler) { start_wait(std::move(handler), status, expiry, reason); },
        asio::use_awaitable);
}

}  // namespace retort::mysql
