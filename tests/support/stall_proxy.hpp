// A TCP proxy on 127.0.0.1 in front of a database server, on a thread of its
// own, that a test controls: it can stall the connections passing through it
// (bytes are held, as by a network that stops delivering), or accept and never
// answer (a server that hangs before its greeting).
#pragma once

#include <memory>
#include <string>

#include "retort/url.hpp"

namespace retort::test {

class StallProxy {
public:
    enum class Mode {
        forward,  ///< relay to the server until stall() is called
        silent,   ///< accept connections and never send or forward a byte
    };
    /// Listens on a free port of 127.0.0.1, relaying to `server`'s host and port.
    explicit StallProxy(const Url& server, Mode mode = Mode::forward);
    ~StallProxy();
    StallProxy(const StallProxy&) = delete;
    StallProxy& operator=(const StallProxy&) = delete;

    /// `server` with its host and port replaced by the proxy's.
    Url url() const;
    /// From now on, the connections open now deliver nothing either way; later ones still flow.
    void stall();
    /// While on, what the server sends is held back (and delivered, in order,
    /// once it is off again): a reply that has not arrived yet.
    void hold_replies(bool on);
    /// How many connections the proxy has accepted.
    int accepted() const;
    /// Round trips since the last reset_turns(). PostgreSQL: the requests the
    /// client waits on, read from the protocol (a Sync or a simple Query), so
    /// the connection must be plain text (sslmode=disable). Elsewhere: how many
    /// times the client spoke again after hearing from its server.
    int client_turns() const;
    void reset_turns();

    struct State;  // (its thread's, behind the scenes)

private:
    std::unique_ptr<State> state_;
};

}  // namespace retort::test
