// The SQLite dialect: each connection on a worker thread of its own
// (sqlite_connection.hpp), SQL for SQLite 3.35+.
#pragma once

#include "retort/plugin/dialect.hpp"
#include "retort/schema/metadata.hpp"
#include "sqlite_compiler.hpp"

namespace retort::sqlite {

class SqliteDialect : public plugin::Dialect {
public:
    /// Refuses an SQLite older than 3.35 (RETURNING).
    SqliteDialect();
    std::string_view name() const override { return "sqlite"; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override;
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override;
    sql::Statement has_table_query(const sql::TableNode& t) const override;
    /// An in-memory database is private to its connection.
    bool one_database_per_connection(const Url& url) const override;
    std::vector<IsolationLevel> isolation_levels() const override;
    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url,
                                                                   boost::asio::any_io_executor) const override;

private:
    SqliteCompiler compiler_;
    MetaData catalog_;
    Table master_{catalog_, "sqlite_master"};
    Column<std::string> master_type_ = master_.column<std::string>("type");
    Column<std::string> master_name_ = master_.column<std::string>("name");
};

}  // namespace retort::sqlite
