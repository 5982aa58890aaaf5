// The URL options of a MySQL connection, parsed and checked once.
#pragma once

#include <optional>
#include <string>

#include "mysql_connection.hpp"

namespace retort::mysql {

enum class SslMode { disabled, preferred, required, verify_ca, verify_identity };

struct MysqlConnection::Options {
    std::string host, user, password, database, unix_socket, charset = "utf8mb4", init_command;
    unsigned port = 3306;
    std::optional<double> connect_timeout;
    std::string connect_timeout_text;  // as written in the URL, for messages
    std::optional<double> read_timeout, write_timeout;  // seconds
    // Off unless asked for, as in Connector/C 3.3 itself: its TLS handshake
    // blocks, so a TLS connection is opened on a helper thread (see open()).
    SslMode ssl = SslMode::disabled;
    std::string ssl_ca, ssl_cert, ssl_key;
    std::string safe_url;  // for messages: no password
    /// Parses `url`'s options; throws ArgumentError naming a bad or unknown one.
    explicit Options(const Url& url);
};

}  // namespace retort::mysql
