#include "minisql_dialect.hpp"

#include <sqlite3.h>

#include <retort/plugin/support/result_values.hpp>
#include <retort/sql/select.hpp>
#include <stdexcept>

#include "minisql_connection.hpp"

namespace minisql {

using namespace retort;

// Thrown here, the message reaches the user as a PluginError naming the file.
MinisqlDialect::MinisqlDialect() {
    if (sqlite3_libversion_number() < 3035000)
        throw std::runtime_error(std::string("minisql needs SQLite 3.35 or newer (RETURNING); this is ") +
                                 sqlite3_libversion());
}

std::string MinisqlDialect::driver_description() const { return std::string("sqlite3 ") + sqlite3_libversion(); }

// SQLite gives back INTEGER, REAL, TEXT or BLOB: the toolkit's standard
// converter makes each into the type the statement declared.
plugin::ValueConverter MinisqlDialect::result_converter(const SqlType& type) const {
    return plugin::support::standard_result_converter(type);
}

sql::Statement MinisqlDialect::has_table_query(const sql::TableNode& t) const {
    return sql::select(master_name_).where(master_type_ == "table" && master_name_ == t.name);
}

// minisql:// (no path, or :memory:) is a private in-memory database per
// connection: the engine then keeps one connection that all its coroutines share.
bool MinisqlDialect::one_database_per_connection(const Url& url) const {
    return url.database().empty() || url.database() == ":memory:";
}

// SQLite's transactions are serializable; no other level exists.
std::vector<IsolationLevel> MinisqlDialect::isolation_levels() const { return {IsolationLevel::serializable}; }

plugin::awaitable<std::unique_ptr<plugin::Connection>> MinisqlDialect::connect(const Url& url,
                                                                            boost::asio::any_io_executor) const {
    co_return co_await MinisqlConnection::open(url);
}

}  // namespace minisql
