// The MySQL/MariaDB dialect: MariaDB Connector/C's non-blocking API, the socket
// watched by Asio (mysql_connection.hpp).
#pragma once

#include "mysql_compiler.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/schema/metadata.hpp"

namespace retort::mysql {

class MysqlDialect : public plugin::Dialect {
public:
    MysqlDialect() = default;
    /// The dialect for a server whose capabilities differ from MariaDB 10.6's.
    explicit MysqlDialect(sql::Capabilities caps) : compiler_(caps) {}
    std::string_view name() const override { return "mysql"; }
    std::vector<std::string> aliases() const override { return {"mariadb"}; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override;
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override;
    /// Sessions talk utf8mb4: the server would refuse invalid UTF-8 in a column
    /// ("Incorrect string value") and, compared in a WHERE, quietly match nothing.
    std::optional<std::string> unstorable_text(std::string_view text) const override;
    sql::Statement has_table_query(const sql::TableNode& t) const override;
    std::vector<IsolationLevel> isolation_levels() const override;
    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url,
                                                                   boost::asio::any_io_executor executor) const override;
    /// MySQL, or a MariaDB older than 10.6: a dialect with that server's capabilities.
    std::shared_ptr<const plugin::Dialect> for_server(const plugin::Connection& first) const override;

private:
    MysqlCompiler compiler_;
    MetaData catalog_;
    Table tables_{catalog_, "tables", "information_schema"};
    Column<std::string> table_schema_ = tables_.column<std::string>("table_schema");
    Column<std::string> table_name_ = tables_.column<std::string>("table_name");
};

}  // namespace retort::mysql
