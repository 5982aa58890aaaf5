// The golden-SQL corpus: one schema and the statements every dialect must
// compile exactly as recorded, and every backend must then run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "retort/plugin/dialect.hpp"
#include "retort/retort.hpp"

namespace retort::test {

/// A schema exercising every column option and constraint kind, reserved-word
/// and mixed-case names, a composite key and a self-reference.
struct GoldenSchema {
    MetaData metadata;

    Table users{metadata, "users"};
    Column<std::int64_t> user_id = users.column<std::int64_t>("id", sql::primary_key());
    Column<std::string> user_name = users.column<std::string>("name", types::String(50), sql::unique());
    Column<std::optional<std::string>> fullname = users.column<std::optional<std::string>>("fullname", types::String(100));
    Column<std::optional<int>> age = users.column<std::optional<int>>("age");
    Column<bool> active = users.column<bool>("active", sql::server_default(true));
    Column<DateTime> created = users.column<DateTime>("created_at", sql::server_default(sql::func::now()));

    Table addresses{metadata, "addresses"};
    Column<std::int64_t> addr_id = addresses.column<std::int64_t>("id", sql::primary_key());
    Column<std::int64_t> addr_user_id = addresses.column<std::int64_t>(
        "user_id", sql::references(user_id, sql::ReferentialAction::cascade), sql::index());
    Column<std::string> email = addresses.column<std::string>("email", types::String(100));

    Table orders{metadata, "orders"};
    Column<std::int64_t> order_id = orders.column<std::int64_t>("id", sql::primary_key());
    Column<std::int64_t> order_user_id = orders.column<std::int64_t>("user_id", sql::references(user_id));
    Column<Decimal> amount = orders.column<Decimal>("amount", types::Numeric(10, 2));
    Column<std::string> status = orders.column<std::string>("status", types::String(20), sql::server_default("new"));
    Column<std::optional<Date>> placed_on = orders.column<std::optional<Date>>("placed_on");

    Table items{metadata, "items"};
    Column<std::int64_t> item_order_id = items.column<std::int64_t>("order_id");
    Column<int> item_line = items.column<int>("line");
    Column<int> quantity = items.column<int>("quantity");
    Column<std::string> sku = items.column<std::string>("sku", types::String(30));

    Table nodes{metadata, "nodes"};
    Column<std::int64_t> node_id = nodes.column<std::int64_t>("id", sql::primary_key());
    Column<std::optional<std::int64_t>> node_parent_id =
        nodes.column<std::optional<std::int64_t>>("parent_id", sql::references(node_id, sql::ReferentialAction::set_null));
    Column<std::string> node_name = nodes.column<std::string>("name", types::String(50));

    Table events{metadata, "events"};
    Column<std::int64_t> event_id = events.column<std::int64_t>("id", sql::primary_key());
    Column<std::string> kind = events.column<std::string>("kind", types::String(20), sql::default_value("generic"));
    Column<DateTime> happened = events.column<DateTime>("happened_at", sql::server_default(sql::func::now()));

    Table tickets{metadata, "tickets"};
    Column<std::int64_t> ticket_id = tickets.column<std::int64_t>("id", sql::primary_key());
    Column<DateTime> issued = tickets.column<DateTime>("issued_at", sql::server_default(sql::func::now()));

    Table archive{metadata, "address_archive"};
    Column<std::int64_t> arch_id = archive.column<std::int64_t>("id", sql::primary_key());
    Column<std::int64_t> arch_user_id = archive.column<std::int64_t>("user_id");
    Column<std::string> arch_email = archive.column<std::string>("email", types::String(100));

    // Names every backend reserves or folds: they must come out quoted.
    Table keywords{metadata, "order"};
    Column<std::int64_t> kw_id = keywords.column<std::int64_t>("id", sql::primary_key());
    Column<std::string> kw_select = keywords.column<std::string>("select", types::String(20));
    Column<std::optional<std::string>> kw_group = keywords.column<std::optional<std::string>>("Group", types::String(20));
    Column<std::optional<int>> kw_spaced = keywords.column<std::optional<int>>("user count");

    GoldenSchema() {
        items.primary_key({item_order_id, item_line});
        items.foreign_key({item_order_id}, {order_id}, sql::ReferentialAction::cascade);
        items.check(quantity > 0, "ck_items_quantity_positive");
        orders.index("ix_orders_user_status", {order_user_id, status});
    }
};

struct GoldenCase {
    std::string name;
    sql::Statement statement;
    /// Rows the statement returns on the seeded database; -1 when not checked.
    int expected_rows = -1;
    /// Values of its bindparam()s.
    Params params = {};
};

/// The recorded SQL of every case: name -> dialect -> SQL text, read from
/// tests/golden/expected_sql.txt. "!CompileError" records that a dialect must
/// refuse the statement. RETORT_GOLDEN_UPDATE=1 makes the golden test rewrite
/// the file from the current compilers (review its diff before committing).
using GoldenExpectations = std::map<std::string, std::map<std::string, std::string>>;
GoldenExpectations load_golden_file(const std::string& path);
void write_golden_file(const std::string& path, const GoldenExpectations& expected);

/// The statements (queries and DML) run against the seeded schema.
std::vector<GoldenCase> golden_statements(const GoldenSchema& s);
/// The DDL for the whole schema, in creation order; then the drops, in reverse.
std::vector<GoldenCase> golden_ddl(const GoldenSchema& s);
/// Statements filling the schema with the rows expected_rows assumes.
std::vector<sql::Statement> golden_seed(const GoldenSchema& s);

/// The SQL `dialect` compiles for `stmt`, as it is sent (an expanding IN list
/// rendered at its length), or "!CompileError" when the dialect refuses it.
std::string compiled_sql(const plugin::Dialect& dialect, const sql::Statement& stmt);

}  // namespace retort::test
