#include "retort/url.hpp"

#include <cctype>

#include "retort/error.hpp"

namespace retort {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string decode(std::string_view s, std::string_view what) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%') {
            int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
            if (i + 2 >= s.size() || hi < 0 || lo < 0)
                throw ArgumentError("invalid database URL: bad percent-escape in the " + std::string(what));
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string encode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace

Url::Url() = default;
Url::Url(const Url&) = default;
Url::Url(Url&&) noexcept = default;
Url& Url::operator=(const Url&) = default;
Url& Url::operator=(Url&&) noexcept = default;
Url::~Url() = default;

Url Url::parse(std::string_view text) {
    Url u;
    auto sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0)
        throw ArgumentError("invalid database URL: expected 'dialect://...', as in 'sqlite:///app.db' or "
                            "'postgresql://user:password@host/db'");
    std::string_view scheme = text.substr(0, sep);
    for (char c : scheme)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '_' || c == '-'))
            throw ArgumentError("invalid database URL: bad character in the scheme '" + std::string(scheme) + "'");
    if (auto plus = scheme.find('+'); plus != std::string_view::npos) {
        u.dialect_ = std::string(scheme.substr(0, plus));
        u.driver_ = std::string(scheme.substr(plus + 1));
        if (u.driver_.empty() || u.dialect_.empty())
            throw ArgumentError("invalid database URL: scheme '" + std::string(scheme) + "' should be 'dialect+driver'");
    } else {
        u.dialect_ = std::string(scheme);
    }
    for (auto& c : u.dialect_) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

    std::string_view rest = text.substr(sep + 3);
    std::string_view query;
    if (auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    std::string_view authority = rest, path;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        authority = rest.substr(0, slash);
        path = rest.substr(slash + 1);
    }
    // The password may contain '@' only percent-encoded; the last '@' ends the credentials.
    if (auto at = authority.rfind('@'); at != std::string_view::npos) {
        std::string_view cred = authority.substr(0, at);
        authority = authority.substr(at + 1);
        if (auto colon = cred.find(':'); colon != std::string_view::npos) {
            u.username_ = decode(cred.substr(0, colon), "user name");
            u.password_ = decode(cred.substr(colon + 1), "password");
            u.has_password_ = true;
        } else {
            u.username_ = decode(cred, "user name");
        }
    }
    std::string_view host = authority, port;
    bool port_given = false;
    const bool bracketed = !authority.empty() && authority[0] == '[';
    if (bracketed) {
        auto close = authority.find(']');
        if (close == std::string_view::npos) throw ArgumentError("invalid database URL: unclosed '[' in the host");
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') throw ArgumentError("invalid database URL: unexpected text after the IPv6 host");
            port = after.substr(1);
            port_given = true;
        }
    } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        port_given = true;
    }
    u.host_ = decode(host, "host");
    // A ':' left in the host outside brackets is almost always a password whose
    // '@' went missing ("user:secret:host:5432"): refuse it, repeating nothing
    // (an error naming the host would print the password).
    if (!bracketed && u.host_.find(':') != std::string::npos)
        throw ArgumentError("invalid database URL: the host contains ':' (is the '@' between the password and the "
                            "host missing? An IPv6 address goes in brackets: [::1]:5432)");
    if (port_given) {
        int p = 0;
        // The text is not echoed: in "user:secret/db" (the '@host' forgotten)
        // what reads as the port is the password.
        const char* bad_port = "invalid database URL: the port must be a number from 1 to 65535 (is the '@' "
                               "before the host missing?)";
        if (port.empty() || port.size() > 5) throw ArgumentError(bad_port);
        for (char c : port) {
            if (!std::isdigit(static_cast<unsigned char>(c))) throw ArgumentError(bad_port);
            p = p * 10 + (c - '0');
        }
        if (p < 1 || p > 65535) throw ArgumentError(bad_port);
        u.port_ = p;
    }
    u.database_ = decode(path, "database");
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        auto eq = pair.find('=');
        std::string key = decode(pair.substr(0, eq), "query");
        std::string value = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1), "query");
        if (key.empty()) throw ArgumentError("invalid database URL: empty option name in the query");
        u.query_[key] = value;
    }
    return u;
}

std::optional<std::string> Url::option(std::string_view key) const {
    auto it = query_.find(std::string(key));
    if (it == query_.end()) return std::nullopt;
    return it->second;
}

Url Url::with_database(std::string db) const {
    Url u = *this;
    u.database_ = std::move(db);
    return u;
}

Url Url::with_host(std::string host, std::optional<int> port) const {
    Url u = *this;
    u.host_ = std::move(host);
    u.port_ = port;
    return u;
}

Url Url::with_query_option(std::string key, std::string value) const {
    Url u = *this;
    u.query_[std::move(key)] = std::move(value);
    return u;
}

Url Url::with_password(std::string password) const {
    Url u = *this;
    u.password_ = std::move(password);
    u.has_password_ = true;
    return u;
}

std::string Url::render(bool hide_password) const {
    std::string s = dialect_;
    if (!driver_.empty()) s += "+" + driver_;
    s += "://";
    if (!username_.empty() || has_password_) {
        s += encode(username_);
        if (has_password_) s += ":" + (hide_password ? std::string("***") : encode(password_));
        s += "@";
    }
    if (host_.find(':') != std::string::npos) {
        // An IPv6 address, in brackets: its colons as they are, the rest (a zone's
        // '%', say) percent-encoded, so that parse() reads back the same host.
        s += '[';
        for (char c : host_) s += c == ':' ? std::string(1, c) : encode(std::string_view(&c, 1));
        s += ']';
    } else {
        s += encode(host_);
    }
    if (port_) s += ":" + std::to_string(*port_);
    if (!database_.empty() || !query_.empty()) s += "/";
    for (char c : database_) {
        // Keep path separators readable: SQLite paths are paths.
        if (c == '/') s += c;
        else s += encode(std::string_view(&c, 1));
    }
    char sep = '?';
    for (const auto& [k, v] : query_) {
        s += sep;
        // Options can hold secrets too (libpq's sslpassword...): any whose name
        // says password is masked like the password itself.
        std::string key = k;
        for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        bool secret = hide_password && key.find("password") != std::string::npos;
        s += encode(k) + "=" + (secret ? std::string("***") : encode(v));
        sep = '&';
    }
    return s;
}

}  // namespace retort
