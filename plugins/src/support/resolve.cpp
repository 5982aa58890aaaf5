#include "retort/plugin/support/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "retort/plugin/support/worker_thread.hpp"

namespace retort::plugin::support {

namespace {
Resolved lookup(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    Resolved out;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &list); rc != 0) {
        out.error = ::gai_strerror(rc);
        return out;
    }
    for (addrinfo* a = list; a; a = a->ai_next) {
        char text[NI_MAXHOST];
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0) continue;
        if (std::find(out.addresses.begin(), out.addresses.end(), text) == out.addresses.end())
            out.addresses.emplace_back(text);
    }
    ::freeaddrinfo(list);
    if (out.addresses.empty()) out.error = "no address";
    return out;
}
}  // namespace

boost::asio::awaitable<Resolved> resolve_host(std::string host, std::string port) {
    auto work = [host = std::move(host), port = std::move(port)] { return lookup(host, port); };
    co_return co_await run_detached(std::move(work));
}

}  // namespace retort::plugin::support
