#include "sqlite_dialect.hpp"

#include <sqlite3.h>

#include <stdexcept>

#include "retort/plugin/support/result_values.hpp"
#include "retort/sql/select.hpp"
#include "sqlite_connection.hpp"

namespace retort::sqlite {

SqliteDialect::SqliteDialect() {
    if (sqlite3_libversion_number() < 3035000)
        throw std::runtime_error(std::string("SQLite 3.35 or newer is needed (RETURNING); this is ") + sqlite3_libversion());
}

std::string SqliteDialect::driver_description() const { return std::string("sqlite3 ") + sqlite3_libversion(); }

plugin::ValueConverter SqliteDialect::result_converter(const SqlType& type) const {
    return plugin::support::standard_result_converter(type);
}

sql::Statement SqliteDialect::has_table_query(const sql::TableNode& t) const {
    return sql::select(master_name_).where(master_type_ == "table" && master_name_ == t.name);
}

bool SqliteDialect::one_database_per_connection(const Url& url) const {
    const auto& db = url.database();
    return db.empty() || db == ":memory:";
}

std::vector<IsolationLevel> SqliteDialect::isolation_levels() const {
    return {IsolationLevel::read_uncommitted, IsolationLevel::serializable};
}

plugin::awaitable<std::unique_ptr<plugin::Connection>> SqliteDialect::connect(const Url& url,
                                                                          boost::asio::any_io_executor) const {
    co_return co_await SqliteConnection::open(url);
}

}  // namespace retort::sqlite
