// The dialect half of the plugin contract: what a database's SQL looks like,
// how its values travel, what it can do, and how to connect to it.
//
// A plugin (libretort_dialect_NAME.so) is a Dialect subclass, its Connection
// and Cursor (driver.hpp), and one RETORT_DIALECT_PLUGIN(Class) line (abi.hpp).
// Build it with retort_add_dialect_plugin() (find_package(Retort)), prove it
// with `retort conformance URL`, and start from `retort new-dialect NAME DIR`
// (examples/dialect-plugin is that template, with a tutorial).
//
// What to implement: every pure virtual below. What may be overridden: the
// virtuals with a default (aliases, result_converter, unstorable_text,
// generated_key_query, one_database_per_connection), and any hook of the
// compiler (sql/compiler.hpp); what each capability flag switches is in
// sql/capabilities.hpp.
//
// A dialect MUST:
//  - be default-constructible and thread-safe once built (the core shares one
//    instance between every engine of the process, on every thread);
//  - report its capabilities truthfully: the core, the ORM and the conformance
//    kit decide by them;
//  - keep its compiler free of per-execution state (it is called concurrently);
//  - throw from its constructor (not crash) when it cannot work here, an old
//    client library say: the loader reports the message as a PluginError
//    naming the file, and the other plugins still load.
// A dialect MAY override any SqlCompiler hook; it MUST NOT change the order in
// which the generic compiler renders parameters other than through those hooks.
//
// Lifetime: the loader keeps the plugin file mapped while any object it made
// lives (the Dialect, its Connections and Cursors); the core destroys them all
// before unloading it. Errors: see driver.hpp (the DBAPIError family, with the
// native code and SQLSTATE). Versions: see abi.hpp (the interface version and
// toolchain fingerprint, checked before the file is mapped).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/plugin/abi.hpp"
#include "retort/plugin/driver.hpp"
#include "retort/sql/table.hpp"
#include "retort/sql/compiler.hpp"
#include "retort/sql/statement.hpp"
#include "retort/url.hpp"

namespace retort::plugin {

/// Converts one result value in place, from the form the driver read to the
/// application's. A plain function pointer, chosen once per statement and
/// column: the hot loop makes no virtual call into the plugin.
using ValueConverter = void (*)(Value& v, const SqlType& type);

class Dialect {
public:
    virtual ~Dialect();

    /// The dialect's name, which is also its plugin file's: "sqlite" for libretort_dialect_sqlite.so.
    virtual std::string_view name() const = 0;
    /// Further URL schemes it serves ("mariadb" for mysql, "postgres" for postgresql).
    virtual std::vector<std::string> aliases() const { return {}; }
    /// The plugin's own version, "0.1.0".
    virtual std::string_view version() const = 0;
    /// The client library it drives, "libpq 15.18".
    virtual std::string driver_description() const = 0;

    virtual const sql::SqlCompiler& compiler() const = 0;
    const sql::Capabilities& capabilities() const { return compiler().capabilities(); }

    /// The converter for a raw result value of a column of `type`; null when none is needed.
    virtual ValueConverter result_converter(const SqlType& /*type*/) const { return nullptr; }
    /// Why `text`, bound as a string (TEXT, VARCHAR, JSON), cannot be stored and
    /// read back byte for byte here, or nullopt. The core refuses such a value
    /// with a DataError naming its column before the statement is sent: a value
    /// is never altered or cut. (PostgreSQL: a NUL byte or invalid UTF-8;
    /// MySQL's utf8mb4: invalid UTF-8.)
    virtual std::optional<std::string> unstorable_text(std::string_view /*text*/) const { return std::nullopt; }

    /// A statement returning a row when `table` exists (for create_all(checkfirst)).
    virtual sql::Statement has_table_query(const sql::TableNode& table) const = 0;

    /// For a driver that reports no last insert id (RawResult::last_insert_id): a
    /// statement that, run on the same connection right after an INSERT into
    /// `table`, returns the value the database generated for its column `column`.
    /// The ORM uses it when it inserts without RETURNING. nullopt: the driver
    /// reports the id itself.
    virtual std::optional<sql::Statement> generated_key_query(const sql::TableNode& /*table*/,
                                                             std::size_t /*column*/) const {
        return std::nullopt;
    }

    /// True when every connection to `url` is a database of its own (SQLite's
    /// in-memory databases): the engine then keeps a single connection, which
    /// its coroutines take turns on, so that they all see one database.
    virtual bool one_database_per_connection(const Url& /*url*/) const { return false; }

    /// The isolation levels Connection::set_isolation_level accepts (autocommit
    /// is always available: the core provides it).
    virtual std::vector<IsolationLevel> isolation_levels() const = 0;

    /// Opens a connection; completes on `executor`. Throws OperationalError
    /// (unreachable, refused, bad credentials) or ArgumentError (bad URL options).
    virtual awaitable<std::unique_ptr<Connection>> connect(const Url& url, boost::asio::any_io_executor executor) const = 0;

    /// The dialect that fits the server behind `first`, the first connection an
    /// engine opens (SQLAlchemy's initialize()), or null to keep this one. One URL
    /// scheme can reach servers that differ: mysql:// serves MySQL 8, which has no
    /// INSERT ... RETURNING, and MariaDB, which has it. The engine compiles with
    /// the dialect returned from then on (its connections still come from this
    /// one) and keeps it alive as long as itself. Called once per engine, on the
    /// thread that completed the connect; it must not block.
    virtual std::shared_ptr<const Dialect> for_server(const Connection& /*first*/) const { return nullptr; }
};

}  // namespace retort::plugin
