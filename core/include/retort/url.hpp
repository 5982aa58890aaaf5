// Database URLs: `dialect[+driver]://user:password@host:port/database?key=value`.
//
//   sqlite://                      in-memory SQLite
//   sqlite:///app.db               relative path;  sqlite:////var/db/app.db  absolute path
//   postgresql://scott:tiger@localhost:5432/test?sslmode=disable
//   mysql://scott@127.0.0.1/test?unix_socket=/run/mysqld/mysqld.sock
//
// to_string() never shows the password, nor options named like one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace retort {

class Url {
public:
    /// Parses `text`; throws ArgumentError saying what is wrong (never echoing the password).
    static Url parse(std::string_view text);

    const std::string& dialect() const { return dialect_; }   ///< "postgresql" in "postgresql+libpq://..."
    const std::string& driver() const { return driver_; }     ///< "libpq" in "postgresql+libpq://..."; may be empty
    const std::string& username() const { return username_; }
    const std::string& password() const { return password_; }
    const std::string& host() const { return host_; }
    std::optional<int> port() const { return port_; }
    /// The path after the host, percent-decoded, without its leading '/' (for SQLite, the file).
    const std::string& database() const { return database_; }
    const std::map<std::string, std::string>& query() const { return query_; }
    /// A query option's value, if present.
    std::optional<std::string> option(std::string_view key) const;

    Url with_database(std::string db) const;
    /// The URL pointing at another server (a proxy, a replica): `host` as is, not percent-decoded.
    Url with_host(std::string host, std::optional<int> port) const;
    Url with_query_option(std::string key, std::string value) const;
    /// The URL with `password` (as is, not percent-decoded) in place of any it had:
    /// for a password kept out of the URL, e.g. in the environment.
    Url with_password(std::string password) const;

    /// The URL with the password (and any query option named like one, such as
    /// sslpassword) replaced by "***": safe for logs and messages.
    std::string to_string() const { return render(true); }
    /// The URL with the password, percent-encoded: for handing to another process, never for logs.
    std::string render(bool hide_password) const;

    // Out of line, so that an application does not compile the map's code.
    Url(const Url&);
    Url(Url&&) noexcept;
    Url& operator=(const Url&);
    Url& operator=(Url&&) noexcept;
    ~Url();

private:
    Url();
    std::string dialect_, driver_, username_, password_, host_, database_;
    std::optional<int> port_;
    std::map<std::string, std::string> query_;
    bool has_password_ = false;
};

}  // namespace retort
