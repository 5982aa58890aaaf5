// Host name resolution for drivers, never blocking the event loop or a
// teardown: getaddrinfo runs on a thread of its own (run_detached), so a
// cancellation lets the caller go at once, and an io_context destroyed while a
// name is being resolved is not held up by it. (Asio's own resolver makes the
// io_context's destructor wait for getaddrinfo: up to the resolver's timeout,
// 5 s per DNS server, when one does not answer.)
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

namespace retort::plugin::support {

struct Resolved {
    std::vector<std::string> addresses;  ///< numeric, in getaddrinfo's order, without duplicates
    std::string error;                   ///< gai_strerror's words when none was found
};

/// The TCP addresses of `host` (a name or a numeric address) for `port`.
boost::asio::awaitable<Resolved> resolve_host(std::string host, std::string port);

}  // namespace retort::plugin::support
