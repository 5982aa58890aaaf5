// The dialect: its name (the URL scheme), what it can do, how its SQL looks
// (the compiler) and how to connect. One instance serves the whole process.
#pragma once

#include <retort/plugin/dialect.hpp>
#include <retort/schema/metadata.hpp>

#include "minisql_compiler.hpp"

namespace minisql {

class MinisqlDialect : public retort::plugin::Dialect {
public:
    MinisqlDialect();
    std::string_view name() const override { return "minisql"; }
    std::string_view version() const override { return MINISQL_VERSION; }
    std::string driver_description() const override;
    const retort::sql::SqlCompiler& compiler() const override { return compiler_; }
    retort::plugin::ValueConverter result_converter(const retort::SqlType& type) const override;
    retort::sql::Statement has_table_query(const retort::sql::TableNode& table) const override;
    bool one_database_per_connection(const retort::Url& url) const override;
    std::vector<retort::IsolationLevel> isolation_levels() const override;
    retort::plugin::awaitable<std::unique_ptr<retort::plugin::Connection>> connect(
        const retort::Url& url, boost::asio::any_io_executor executor) const override;

private:
    MinisqlCompiler compiler_;
    // The catalog table has_table_query() reads, described as any table is.
    retort::MetaData catalog_;
    retort::Table master_{catalog_, "sqlite_master"};
    retort::Column<std::string> master_type_ = master_.column<std::string>("type");
    retort::Column<std::string> master_name_ = master_.column<std::string>("name");
};

}  // namespace minisql
