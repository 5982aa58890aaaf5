#include "postgresql_dialect.hpp"

#include "postgresql_connection.hpp"
#include "retort/plugin/support/result_values.hpp"
#include "retort/plugin/utf8.hpp"
#include "retort/sql/select.hpp"

namespace retort::postgresql {

std::string PostgresqlDialect::driver_description() const {
    int v = PQlibVersion();
    return "libpq " + std::to_string(v / 10000) + "." + std::to_string(v % 10000);
}

// libpq's decoder gives integers, booleans, dates, times and bytes exactly as
// declared: no call per value for them. The other kinds may come in another
// form (numeric for an average, timestamptz for now(), text for a json).
plugin::ValueConverter PostgresqlDialect::result_converter(const SqlType& type) const {
    switch (type.kind) {
        case TypeKind::integer:
        case TypeKind::big_integer:
        case TypeKind::small_integer:
        case TypeKind::boolean:
        case TypeKind::date:
        case TypeKind::time:
        case TypeKind::large_binary: return nullptr;
        default: return plugin::support::standard_result_converter(type);
    }
}

std::optional<std::string> PostgresqlDialect::unstorable_text(std::string_view text) const {
    if (auto nul = text.find('\0'); nul != std::string_view::npos)
        return "holds a NUL byte (at byte " + std::to_string(nul) + "), which PostgreSQL text cannot store";
    if (auto bad = plugin::invalid_utf8_at(text))
        return "is not valid UTF-8 (at byte " + std::to_string(*bad) + "), which PostgreSQL text cannot store";
    return std::nullopt;
}

sql::Statement PostgresqlDialect::has_table_query(const sql::TableNode& t) const {
    auto q = sql::select(table_name_).where(table_name_ == t.name);
    if (t.schema.empty()) return q.where(table_schema_ == sql::func::call<std::string>("current_schema"));
    return q.where(table_schema_ == t.schema);
}

std::optional<sql::Statement> PostgresqlDialect::generated_key_query(const sql::TableNode& t, std::size_t column) const {
    std::string table = compiler().quote_identifier(t.name);
    if (!t.schema.empty()) table = compiler().quote_identifier(t.schema) + "." + table;
    auto sequence = sql::func::call<std::string>("pg_get_serial_sequence", sql::literal(table),
                                                 sql::literal(t.columns.at(column).name));
    return sql::Statement(sql::select(sql::func::call<std::int64_t>("currval", sequence)));
}

std::vector<IsolationLevel> PostgresqlDialect::isolation_levels() const {
    return {IsolationLevel::read_uncommitted, IsolationLevel::read_committed, IsolationLevel::repeatable_read,
            IsolationLevel::serializable};
}

plugin::awaitable<std::unique_ptr<plugin::Connection>> PostgresqlDialect::connect(const Url& url,
                                                                              boost::asio::any_io_executor ex) const {
    co_return co_await PgConnection::open(url, ex);
}

}  // namespace retort::postgresql
