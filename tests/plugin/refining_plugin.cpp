// A dialect that learns what its server can do on the first connection
// (Dialect::for_server), for the engine's tests: it opens SQLite connections
// through the sqlite plugin, claims INSERT ... RETURNING until it has seen the
// server, and then hands over a dialect without it.
#include "retort/plugin/dialect.hpp"
#include "retort/plugin/loader.hpp"

namespace {

retort::sql::Capabilities capabilities_with(bool returning) {
    retort::sql::Capabilities c;
    c.insert_returning = c.update_returning = c.delete_returning = returning;
    return c;
}

// Loaded on first use: the loader is busy creating this dialect when its
// constructor runs.
const retort::plugin::Dialect& sqlite() {
    static const auto dialect = retort::plugin::load_dialect("sqlite");
    return *dialect;
}

class RefiningDialect final : public retort::plugin::Dialect {
public:
    explicit RefiningDialect(bool refined = false) : refined_(refined), compiler_(capabilities_with(!refined)) {}
    std::string_view name() const override { return "refining"; }
    std::string_view version() const override { return "0.0.0"; }
    std::string driver_description() const override { return refined_ ? "refined" : "as loaded"; }
    const retort::sql::SqlCompiler& compiler() const override { return compiler_; }
    retort::plugin::ValueConverter result_converter(const retort::SqlType& type) const override {
        return sqlite().result_converter(type);
    }
    retort::sql::Statement has_table_query(const retort::sql::TableNode& t) const override {
        return sqlite().has_table_query(t);
    }
    std::vector<retort::IsolationLevel> isolation_levels() const override { return sqlite().isolation_levels(); }
    bool one_database_per_connection(const retort::Url&) const override { return true; }
    retort::plugin::awaitable<std::unique_ptr<retort::plugin::Connection>> connect(
        const retort::Url&, boost::asio::any_io_executor executor) const override {
        auto url = retort::Url::parse("sqlite://");  // outlives the connect
        co_return co_await sqlite().connect(url, executor);
    }
    std::shared_ptr<const Dialect> for_server(const retort::plugin::Connection& first) const override {
        if (first.server_version().rfind("SQLite ", 0) != 0) return nullptr;
        return std::make_shared<RefiningDialect>(true);
    }

private:
    bool refined_;
    retort::sql::SqlCompiler compiler_;
};

}  // namespace

RETORT_DIALECT_PLUGIN(RefiningDialect)
