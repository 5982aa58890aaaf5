// The PostgreSQL dialect plugin's entry point.
#include "postgresql_compiler.hpp"
#include "postgresql_connection.hpp"
#include "postgresql_types.hpp"
#include "retort/error.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/plugin/support/result_values.hpp"
#include "retort/plugin/utf8.hpp"
#include "retort/schema/metadata.hpp"
#include "retort/sql/select.hpp"

namespace retort::postgresql {

class PostgresqlDialect : public plugin::Dialect {
public:
    std::string_view name() const override { return "postgresql"; }
    std::vector<std::string> aliases() const override { return {"postgres"}; }
    std::string_view version() const override { return "0.1.0"; }
    std::string driver_description() const override {
        int v = PQlibVersion();
        return "libpq " + std::to_string(v / 10000) + "." + std::to_string(v % 10000);
    }
    const sql::SqlCompiler& compiler() const override { return compiler_; }
    plugin::ValueConverter result_converter(const SqlType& type) const override {
        return plugin::support::standard_result_converter(type);
    }

    std::optional<std::string> unstorable_text(std::string_view text) const override {
        if (auto nul = text.find('\0'); nul != std::string_view::npos)
            return "holds a NUL byte (at byte " + std::to_string(nul) + "), which PostgreSQL text cannot store";
        if (auto bad = plugin::invalid_utf8_at(text))
            return "is not valid UTF-8 (at byte " + std::to_string(*bad) + "), which PostgreSQL text cannot store";
        return std::nullopt;
    }

    sql::Statement has_table_query(const sql::TableNode& t) const override {
        auto q = sql::select(table_name_).where(table_name_ == t.name);
        if (t.schema.empty()) return q.where(table_schema_ == sql::func::call<std::string>("current_schema"));
        return q.where(table_schema_ == t.schema);
    }

    // libpq reports no last insert id; the session's currval() of the column's
    // sequence (identity columns have one too) is the value its last INSERT took.
    std::optional<sql::Statement> generated_key_query(const sql::TableNode& t, std::size_t column) const override {
        std::string table = compiler().quote_identifier(t.name);
        if (!t.schema.empty()) table = compiler().quote_identifier(t.schema) + "." + table;
        auto sequence = sql::func::call<std::string>("pg_get_serial_sequence", sql::literal(table),
                                                     sql::literal(t.columns.at(column).name));
        return sql::Statement(sql::select(sql::func::call<std::int64_t>("currval", sequence)));
    }

    std::vector<IsolationLevel> isolation_levels() const override {
        return {IsolationLevel::read_uncommitted, IsolationLevel::read_committed, IsolationLevel::repeatable_read,
                IsolationLevel::serializable};
    }

    plugin::awaitable<std::unique_ptr<plugin::Connection>> connect(const Url& url, boost::asio::any_io_executor ex) const override {
        co_return co_await PgConnection::open(url, ex);
    }

private:
    PostgresqlCompiler compiler_;
    MetaData catalog_;
    Table tables_{catalog_, "tables", "information_schema"};
    Column<std::string> table_schema_ = tables_.column<std::string>("table_schema");
    Column<std::string> table_name_ = tables_.column<std::string>("table_name");
};

}  // namespace retort::postgresql

RETORT_DIALECT_PLUGIN(retort::postgresql::PostgresqlDialect)
