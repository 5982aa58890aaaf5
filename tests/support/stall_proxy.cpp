#include "support/stall_proxy.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace retort::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
struct Pair {
    explicit Pair(asio::io_context& io) : client(io), server(io) {}
    tcp::socket client, server;
    std::atomic<bool> stalled{false};
    // PostgreSQL's client messages as they pass (see count_pg_requests).
    std::string pg_pending;
    bool pg_started = false;
};

/// PostgreSQL: a round trip is a request the client waits on, which the
/// protocol marks: a Sync ('S', the end of a pipeline) or a simple Query ('Q').
/// Counted from the message framing, so that a pipeline the server starts
/// answering while the client still sends it counts once. (The connection
/// must not use TLS: see StallProxy::client_turns.)
int count_pg_requests(Pair& p, const char* data, std::size_t n) {
    p.pg_pending.append(data, n);
    int requests = 0;
    std::size_t at = 0;
    auto length_at = [&](std::size_t i) {
        const auto* b = reinterpret_cast<const unsigned char*>(p.pg_pending.data() + i);
        return (std::size_t(b[0]) << 24) | (std::size_t(b[1]) << 16) | (std::size_t(b[2]) << 8) | std::size_t(b[3]);
    };
    for (;;) {
        if (!p.pg_started) {
            // The untyped first messages: an SSLRequest or GSSENCRequest (8 bytes, refused
            // in plain text), then the startup message.
            if (p.pg_pending.size() - at < 8) break;
            std::size_t len = length_at(at);
            if (p.pg_pending.size() - at < len) break;
            bool negotiation = len == 8;
            at += len;
            if (!negotiation) p.pg_started = true;
            continue;
        }
        if (p.pg_pending.size() - at < 5) break;
        std::size_t len = length_at(at + 1);
        if (p.pg_pending.size() - at < len + 1) break;
        char type = p.pg_pending[at];
        if (type == 'S' || type == 'Q') ++requests;
        at += len + 1;
    }
    p.pg_pending.erase(0, at);
    return requests;
}
}  // namespace

struct StallProxy::State {
    Url server;
    Mode mode;
    asio::io_context io;
    tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    std::mutex mutex;
    std::list<std::shared_ptr<Pair>> pairs;
    std::atomic<int> accepted{0};
    std::atomic<int> turns{0};
    std::atomic<bool> server_spoke{true};  // the quiet state between exchanges
    std::atomic<bool> holding_replies{false};
    std::thread thread;
    State(Url s, Mode m) : server(std::move(s)), mode(m) {}
};

namespace {

asio::awaitable<void> pump(StallProxy::State* s, std::shared_ptr<Pair> pair, tcp::socket& from, tcp::socket& to,
                           bool from_client) {
    std::vector<char> buffer(64 * 1024);
    asio::steady_timer pause(from.get_executor());
    for (;;) {
        boost::system::error_code ec;
        std::size_t n = co_await from.async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
        // Held for ever once stalled: the bytes were "lost in the network".
        while (pair->stalled || (!from_client && s->holding_replies)) {
            pause.expires_after(std::chrono::milliseconds(20));
            co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec || n == 0) break;
        if (from_client && s->server.dialect() == "postgresql") s->turns += count_pg_requests(*pair, buffer.data(), n);
        else if (!from_client) s->server_spoke = true;
        else if (s->server_spoke.exchange(false)) ++s->turns;
        co_await asio::async_write(to, asio::buffer(buffer.data(), n), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
    }
    boost::system::error_code ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
}

// `s` outlives the coroutine: the proxy stops and joins the thread before it goes.
asio::awaitable<void> serve(StallProxy::State* s) {
    tcp::resolver resolver(s->io);
    auto host = s->server.host().empty() ? std::string("127.0.0.1") : s->server.host();
    auto port = std::to_string(s->server.port().value_or(0));
    for (;;) {
        auto pair = std::make_shared<Pair>(s->io);
        boost::system::error_code ec;
        co_await s->acceptor.async_accept(pair->client, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        ++s->accepted;
        {
            std::lock_guard lock(s->mutex);
            s->pairs.push_back(pair);
        }
        if (s->mode == StallProxy::Mode::silent) continue;  // held open, never answered
        auto endpoints = co_await resolver.async_resolve(host, port, asio::redirect_error(asio::use_awaitable, ec));
        if (!ec) co_await asio::async_connect(pair->server, endpoints, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            pair->client.close(ec);
            continue;
        }
        asio::co_spawn(s->io, pump(s, pair, pair->client, pair->server, true), asio::detached);
        asio::co_spawn(s->io, pump(s, pair, pair->server, pair->client, false), asio::detached);
    }
}

}  // namespace

StallProxy::StallProxy(const Url& server, Mode mode) : state_(std::make_unique<State>(server, mode)) {
    if (!server.port()) throw std::invalid_argument("StallProxy: the server URL needs a port");
    asio::co_spawn(state_->io, serve(state_.get()), asio::detached);
    state_->thread = std::thread([s = state_.get()] { s->io.run(); });
}

StallProxy::~StallProxy() {
    state_->io.stop();
    state_->thread.join();
}

Url StallProxy::url() const { return state_->server.with_host("127.0.0.1", state_->acceptor.local_endpoint().port()); }

void StallProxy::stall() {
    std::lock_guard lock(state_->mutex);
    for (auto& p : state_->pairs) p->stalled = true;
}

void StallProxy::hold_replies(bool on) { state_->holding_replies = on; }

int StallProxy::accepted() const { return state_->accepted; }

int StallProxy::client_turns() const { return state_->turns; }

void StallProxy::reset_turns() {
    state_->turns = 0;
    state_->server_spoke = true;
}

}  // namespace retort::test
