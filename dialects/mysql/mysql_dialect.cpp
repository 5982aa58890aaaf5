// The MySQL/MariaDB dialect plugin's entry point: the SQL compiler, the type
// converters and the MariaDB Connector/C driver.
#include "mysql_compiler.hpp"
#include "mysql_connection.hpp"
#include "mysql_types.hpp"
#include "retort/error.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/plugin/utf8.hpp"
#include "retort/schema/metadata.hpp"
#include "retort/sql/select.hpp"

namespace retort::mysql {

class MysqlDialect : public plugin::Dialect {
public:
    std::string_view name() const override { return "mysql"; }
    std::vector<std::string> aliases() const override { return {"mariadb"}; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override { return std::string("MariaDB Connector/C ") + mysql_get_client_info(); }
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override { return mysql::result_converter(type); }

    // Sessions talk utf8mb4: the server would refuse invalid UTF-8 in a column
    // ("Incorrect string value") and, compared in a WHERE, quietly match nothing.
    std::optional<std::string> unstorable_text(std::string_view text) const override {
        if (auto bad = plugin::invalid_utf8_at(text))
            return "is not valid UTF-8 (at byte " + std::to_string(*bad) + "), which utf8mb4 text cannot store";
        return std::nullopt;
    }

    sql::Statement has_table_query(const sql::TableNode& t) const override {
        auto q = sql::select(table_name_).where(table_name_ == t.name);
        if (t.schema.empty()) return q.where(table_schema_ == sql::func::call<std::string>("database"));
        return q.where(table_schema_ == t.schema);
    }

    std::vector<IsolationLevel> isolation_levels() const override {
        return {IsolationLevel::read_uncommitted, IsolationLevel::read_committed, IsolationLevel::repeatable_read,
                IsolationLevel::serializable};
    }

    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url,
                                                                   boost::asio::any_io_executor executor) const override {
        co_return co_await MysqlConnection::open(url, executor);
    }

private:
    MysqlCompiler compiler_;
    MetaData catalog_;
    Table tables_{catalog_, "tables", "information_schema"};
    Column<std::string> table_schema_ = tables_.column<std::string>("table_schema");
    Column<std::string> table_name_ = tables_.column<std::string>("table_name");
};

}  // namespace retort::mysql

RETORT_DIALECT_PLUGIN(retort::mysql::MysqlDialect)
