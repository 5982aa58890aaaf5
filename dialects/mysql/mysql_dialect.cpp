#include "mysql_dialect.hpp"

#include "mysql_connection.hpp"
#include "mysql_types.hpp"
#include "retort/plugin/utf8.hpp"
#include "retort/sql/select.hpp"

namespace retort::mysql {

std::string MysqlDialect::driver_description() const {
    return std::string("MariaDB Connector/C ") + mysql_get_client_info();
}

plugin::ValueConverter MysqlDialect::result_converter(const SqlType& type) const { return mysql::result_converter(type); }

std::optional<std::string> MysqlDialect::unstorable_text(std::string_view text) const {
    if (auto bad = plugin::invalid_utf8_at(text))
        return "is not valid UTF-8 (at byte " + std::to_string(*bad) + "), which utf8mb4 text cannot store";
    return std::nullopt;
}

sql::Statement MysqlDialect::has_table_query(const sql::TableNode& t) const {
    auto q = sql::select(table_name_).where(table_name_ == t.name);
    if (t.schema.empty()) return q.where(table_schema_ == sql::func::call<std::string>("database"));
    return q.where(table_schema_ == t.schema);
}

std::vector<IsolationLevel> MysqlDialect::isolation_levels() const {
    return {IsolationLevel::read_uncommitted, IsolationLevel::read_committed, IsolationLevel::repeatable_read,
            IsolationLevel::serializable};
}

plugin::awaitable<std::unique_ptr<plugin::Connection>> MysqlDialect::connect(const Url& url,
                                                                         boost::asio::any_io_executor executor) const {
    co_return co_await MysqlConnection::open(url, executor);
}

std::shared_ptr<const plugin::Dialect> MysqlDialect::for_server(const plugin::Connection& first) const {
    auto server = parse_server_version(first.server_version());
    if (!server) return nullptr;  // an unknown form: keep MariaDB 10.6's (a server refuses what it lacks)
    auto caps = make_capabilities(*server);
    const auto& mine = capabilities();
    bool same = caps.insert_returning == mine.insert_returning && caps.delete_returning == mine.delete_returning &&
                caps.intersect_except == mine.intersect_except && caps.for_update_nowait == mine.for_update_nowait &&
                caps.for_update_skip_locked == mine.for_update_skip_locked &&
                caps.check_constraints_enforced == mine.check_constraints_enforced;
    return same ? nullptr : std::make_shared<MysqlDialect>(caps);
}

}  // namespace retort::mysql
