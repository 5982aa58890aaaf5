// The PostgreSQL dialect: libpq's asynchronous API in pipeline mode, the
// socket watched by Asio (postgresql_connection.hpp).
#pragma once

#include "postgresql_compiler.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/schema/metadata.hpp"

namespace retort::postgresql {

class PostgresqlDialect : public plugin::Dialect {
public:
    std::string_view name() const override { return "postgresql"; }
    std::vector<std::string> aliases() const override { return {"postgres"}; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override;
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override;
    /// A NUL byte or invalid UTF-8: PostgreSQL's text stores neither.
    std::optional<std::string> unstorable_text(std::string_view text) const override;
    sql::Statement has_table_query(const sql::TableNode& t) const override;
    /// libpq reports no last insert id: the session's currval() of the column's
    /// sequence (identity columns have one too) is the value its last INSERT took.
    std::optional<sql::Statement> generated_key_query(const sql::TableNode& t, std::size_t column) const override;
    std::vector<IsolationLevel> isolation_levels() const override;
    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url,
                                                                   boost::asio::any_io_executor ex) const override;

private:
    PostgresqlCompiler compiler_;
    MetaData catalog_;
    Table tables_{catalog_, "tables", "information_schema"};
    Column<std::string> table_schema_ = tables_.column<std::string>("table_schema");
    Column<std::string> table_name_ = tables_.column<std::string>("table_name");
};

}  // namespace retort::postgresql
