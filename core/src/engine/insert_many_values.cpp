// SQLAlchemy's "insertmanyvalues": execute_many() of a one-row INSERT ...
// VALUES becomes multi-row INSERTs, where the dialect says that is its fastest
// bulk path (Capabilities::insert_many_values): a server runs one statement of
// a thousand rows far faster than a thousand statements of one.
#include <algorithm>

#include "engine_state.hpp"
#include "retort/error.hpp"

namespace retort::detail {

namespace {

/// The one-row INSERT ... VALUES that can be rewritten, or nullptr: no
/// RETURNING (its rows would have to be matched back to parameter sets), no
/// upsert, and each value a bindparam, a bound value or SQL text, so that a
/// row is made by putting values in (an expression holding a bindparam, say
/// `bindparam("x") * 2`, runs once per set as it is).
const sql::InsertNode* rewritable(const sql::StatementNode& stmt) {
    if (stmt.kind != sql::NodeKind::insert) return nullptr;
    const auto& insert = static_cast<const sql::InsertNode&>(stmt);
    if (insert.columns.empty() || insert.rows.size() != 1 || insert.from_select || !insert.returning.empty() || insert.upsert)
        return nullptr;
    for (const auto& e : insert.rows.front()) {
        if (!e) return nullptr;
        if (e->kind == sql::NodeKind::literal) continue;
        if (e->kind != sql::NodeKind::bind || static_cast<const sql::BindNode&>(*e).expanding) return nullptr;
    }
    return &insert;
}

/// Row `values` of `insert` for `params`: each bindparam replaced by its value,
/// each bound value by a node of its own (a node shared between rows would
/// make the statement uncacheable: see Compiled::shares_binds).
std::vector<sql::ExprPtr> row_for(const sql::InsertNode& insert, const Params& params, sql::BindBlock& binds) {
    const auto& template_row = insert.rows.front();
    std::vector<sql::ExprPtr> row;
    row.reserve(template_row.size());
    for (const auto& e : template_row) {
        if (e->kind != sql::NodeKind::bind) {
            row.push_back(e);  // SQL text: no parameter in it
            continue;
        }
        const auto& bind = static_cast<const sql::BindNode&>(*e);
        const Value* v = bind.key.empty() ? &bind.value : params.find(bind.key);
        row.push_back(binds.add(*v, bind.type));
    }
    return row;
}

}  // namespace

std::size_t insert_many_values(const sql::Capabilities& caps, const sql::StatementNode& stmt,
                               const std::vector<Params>& sets, std::size_t params_per_row) {
    if (!caps.insert_many_values || !caps.multi_row_values || sets.size() < 2) return 0;
    const sql::InsertNode* insert = rewritable(stmt);
    if (!insert) return 0;
    // Every set's values are there before anything is sent, as when the
    // statement runs once per set.
    for (const auto& e : insert->rows.front()) {
        if (e->kind != sql::NodeKind::bind) continue;
        const auto& key = static_cast<const sql::BindNode&>(*e).key;
        if (key.empty()) continue;
        for (const auto& params : sets)
            if (!params.find(key)) throw ArgumentError("the statement needs a value for parameter '" + key + "'");
    }
    return std::max<std::size_t>(1, std::min(caps.max_rows_per_insert, caps.max_parameters / std::max<std::size_t>(1, params_per_row)));
}

sql::Statement insert_rows(const sql::StatementNode& stmt, std::span<const Params> sets) {
    const auto& insert = static_cast<const sql::InsertNode&>(stmt);
    auto rows = std::make_shared<sql::InsertNode>();
    rows->table = insert.table;
    rows->columns = insert.columns;
    rows->rows.reserve(sets.size());
    sql::BindBlock binds(sets.size() * insert.rows.front().size());
    for (const auto& params : sets) rows->rows.push_back(row_for(insert, params, binds));
    return sql::Statement(std::move(rows));
}

}  // namespace retort::detail
