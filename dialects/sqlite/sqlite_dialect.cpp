// The SQLite dialect plugin's entry point.
#include "retort/plugin/dialect.hpp"
#include "retort/plugin/support/result_values.hpp"
#include "retort/schema/metadata.hpp"
#include "retort/sql/select.hpp"
#include "sqlite_compiler.hpp"
#include "sqlite_connection.hpp"
#include "sqlite_types.hpp"

namespace retort::sqlite {

class SqliteDialect : public plugin::Dialect {
public:
    SqliteDialect() {
        if (sqlite3_libversion_number() < 3035000)
            throw std::runtime_error(std::string("SQLite 3.35 or newer is needed (RETURNING); this is ") +
                                     sqlite3_libversion());
    }
    std::string_view name() const override { return "sqlite"; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override { return std::string("sqlite3 ") + sqlite3_libversion(); }
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override {
        return plugin::support::standard_result_converter(type);
    }

    sql::Statement has_table_query(const sql::TableNode& t) const override {
        return sql::select(master_name_).where(master_type_ == "table" && master_name_ == t.name);
    }

    bool one_database_per_connection(const Url& url) const override {
        const auto& db = url.database();
        return db.empty() || db == ":memory:";
    }

    std::vector<IsolationLevel> isolation_levels() const override {
        return {IsolationLevel::read_uncommitted, IsolationLevel::serializable};
    }

    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url, boost::asio::any_io_executor) const override {
        co_return co_await SqliteConnection::open(url);
    }

private:
    SqliteCompiler compiler_;
    MetaData catalog_;
    Table master_{catalog_, "sqlite_master"};
    Column<std::string> master_type_ = master_.column<std::string>("type");
    Column<std::string> master_name_ = master_.column<std::string>("name");
};

}  // namespace retort::sqlite

RETORT_DIALECT_PLUGIN(retort::sqlite::SqliteDialect)
