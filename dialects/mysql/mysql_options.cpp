#include "mysql_options.hpp"

#include <cctype>
#include <charconv>

#include "retort/error.hpp"

namespace retort::mysql {

namespace {

constexpr const char* known_options =
    "unix_socket, connect_timeout, ssl_mode, ssl_ca, ssl_cert, ssl_key, charset, read_timeout, write_timeout, init_command";

double seconds_option(const Url& url, const char* key) {
    auto v = url.option(key);
    double s = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), s);
    if (ec != std::errc{} || p != v->data() + v->size() || !(s > 0) || s > 86400 * 365)
        throw ArgumentError(std::string("MySQL URL option ") + key + " must be a positive number of seconds, not '" + *v + "'");
    return s;
}

}  // namespace

MysqlConnection::Options::Options(const Url& url) {
    static const char* keys[] = {"unix_socket", "connect_timeout", "ssl_mode", "ssl_ca", "ssl_cert", "ssl_key",
                                 "charset", "read_timeout", "write_timeout", "init_command"};
    for (const auto& [key, value] : url.query()) {
        bool known = false;
        for (const char* k : keys) known |= key == k;
        if (!known) throw ArgumentError("unknown MySQL URL option '" + key + "'; known: " + known_options);
    }
    safe_url = url.to_string();
    host = url.host();
    user = url.username();
    password = url.password();
    database = url.database();
    if (url.port()) {
        if (*url.port() <= 0 || *url.port() > 65535) throw ArgumentError("MySQL URL port out of range in " + safe_url);
        port = static_cast<unsigned>(*url.port());
    }
    unix_socket = url.option("unix_socket").value_or("");
    if (auto c = url.option("charset")) {
        for (char ch : *c)
            if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
                throw ArgumentError("MySQL URL option charset has an invalid value '" + *c + "'");
        charset = *c;
    }
    init_command = url.option("init_command").value_or("");
    if (url.option("connect_timeout")) {
        connect_timeout = seconds_option(url, "connect_timeout");
        connect_timeout_text = *url.option("connect_timeout");
    } else {
        // Without a bound, a server that accepts and stays silent holds a
        // connect (and the pool slot) for ever.
        connect_timeout = 30;
        connect_timeout_text = "30 (the default)";
    }
    if (url.option("read_timeout")) read_timeout = seconds_option(url, "read_timeout");
    if (url.option("write_timeout")) write_timeout = seconds_option(url, "write_timeout");
    ssl_ca = url.option("ssl_ca").value_or("");
    ssl_cert = url.option("ssl_cert").value_or("");
    ssl_key = url.option("ssl_key").value_or("");
    // As the mysql client: a CA given alone means "verify against it"; a
    // client certificate alone asks for TLS.
    if (!ssl_ca.empty()) ssl = SslMode::verify_ca;
    else if (!ssl_cert.empty() || !ssl_key.empty()) ssl = SslMode::required;
    if (auto m = url.option("ssl_mode")) {
        std::string mode;
        for (char ch : *m) mode += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (mode == "disabled") ssl = SslMode::disabled;
        else if (mode == "preferred") ssl = SslMode::preferred;
        else if (mode == "required") ssl = SslMode::required;
        else if (mode == "verify_ca") ssl = SslMode::verify_ca;
        else if (mode == "verify_identity") ssl = SslMode::verify_identity;
        else
            throw ArgumentError("MySQL URL option ssl_mode must be disabled, preferred, required, verify_ca or "
                                "verify_identity, not '" + *m + "'");
    }
    if (ssl == SslMode::verify_ca && ssl_ca.empty())
        throw ArgumentError("MySQL URL option ssl_mode=verify_ca needs ssl_ca (the CA certificate file)");
    if (ssl == SslMode::disabled && (!ssl_ca.empty() || !ssl_cert.empty() || !ssl_key.empty()))
        throw ArgumentError("MySQL URL options ssl_ca, ssl_cert and ssl_key make no sense with ssl_mode=disabled");
}

}  // namespace retort::mysql
