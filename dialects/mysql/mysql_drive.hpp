// MysqlConnection::drive(), for every file of the driver that runs a call.
#pragma once

#include <openssl/err.h>

#include "mysql_connection.hpp"

namespace retort::mysql {

template <class Start, class Cont>
plugin::awaitable<void> MysqlConnection::drive(Start start, Cont cont) {
    // OpenSSL keeps its errors in a per-thread queue and SSL_get_error reads
    // it: an error left there by an earlier failure on *another* connection of
    // this thread turns a harmless "would block" in this one into a fatal
    // error (measured: a killed session's EPIPE made the next TLS read of a
    // healthy connection on the same loop fail). Each step of a TLS connection
    // starts clean, and leaves it clean for other TLS users of the thread. A
    // plain connection's calls never reach OpenSSL, so they need neither (the
    // clearing, a thread-local lookup each time, was 13% of a plain stream).
    if (tls_) ERR_clear_error();
    in_call_ = true;
    int status = start();
    while (status != 0) {
        int events = co_await io_.wait(m_, status);
        if (tls_) ERR_clear_error();
        status = cont(events);
    }
    in_call_ = false;
    if (tls_) ERR_clear_error();
    if (io_.expired == SocketWatcher::Expired::cancelled) cancelled();
}

}  // namespace retort::mysql
