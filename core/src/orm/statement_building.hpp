// Statement trees the ORM builds directly from node types (its columns are
// known by index, not by C++ type): shared by the loaders and the unit of work.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "retort/sql/table.hpp"
#include "retort/sql/expression.hpp"

namespace retort::orm::detail {

/// Column `i` of `table`, as seen through `from` (the table itself or an alias of it).
inline std::shared_ptr<const sql::ColumnNode> column_of(const sql::FromPtr& from, const sql::TableNode& table,
                                                        std::size_t i) {
    return std::make_shared<sql::ColumnNode>(from, i, table.columns[i].name, table.columns[i].type);
}

inline sql::ExprPtr equal(sql::ExprPtr a, sql::ExprPtr b) {
    return sql::make_binary(sql::BinaryOp::eq, std::move(a), std::move(b), types::Boolean());
}

inline sql::ExprPtr all_of(std::vector<sql::ExprPtr> terms) {
    return terms.size() == 1 ? terms.front() : sql::make_list(sql::ListOp::and_, std::move(terms));
}

/// A bindparam whose value each execution of an execute_many supplies.
inline sql::ExprPtr named_param(const std::string& name, const SqlType& type) {
    return std::make_shared<sql::BindNode>(name, type, false);
}

/// `columns IN keys`: one IN list for a single column; for a composite key,
/// a disjunction of conjunctions, which every backend plans as an index lookup.
inline sql::ExprPtr key_in(const std::vector<sql::ExprPtr>& columns, const std::vector<std::vector<Value>>& keys) {
    if (columns.size() == 1) {
        std::vector<Value> flat;
        flat.reserve(keys.size());
        for (const auto& k : keys) flat.push_back(k.front());
        return sql::make_in(columns.front(), std::move(flat), false);
    }
    std::vector<sql::ExprPtr> alternatives;
    alternatives.reserve(keys.size());
    for (const auto& k : keys) {
        std::vector<sql::ExprPtr> terms;
        for (std::size_t i = 0; i < columns.size(); ++i)
            terms.push_back(equal(columns[i], std::make_shared<sql::BindNode>(k[i], columns[i]->type)));
        alternatives.push_back(all_of(std::move(terms)));
    }
    return alternatives.size() == 1 ? alternatives.front() : sql::make_list(sql::ListOp::or_, std::move(alternatives));
}

}  // namespace retort::orm::detail
