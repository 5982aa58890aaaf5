// A BEGIN that travels with the transaction's first request instead of costing
// a round trip (or a worker hop) of its own: what Connection::begin() asks of
// a driver.
//
//   begin():      begin_.request();                      // no I/O
//   a request:    if (begin_.take()) <send BEGIN first, in the same round trip>
//   commit():     if (begin_.drop()) co_return;          // nothing ran: nothing to end
//                 <send COMMIT>
#pragma once

#include <utility>

namespace retort::plugin::support {

class DeferredBegin {
public:
    /// begin() was called: the next request starts the transaction.
    void request() noexcept { pending_ = true; }
    /// Whether a BEGIN must precede the request about to be sent (it is then sent).
    bool take() noexcept { return std::exchange(pending_, false); }
    /// At commit or rollback: true when the BEGIN was never sent, so that the
    /// server has no transaction to end.
    bool drop() noexcept { return std::exchange(pending_, false); }
    bool pending() const noexcept { return pending_; }

private:
    bool pending_ = false;
};

}  // namespace retort::plugin::support
