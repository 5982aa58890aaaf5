// The parts of ORM queries built from relationships: joins along them and
// the EXISTS of any()/has().
#include "retort/orm/query.hpp"

#include "statement_building.hpp"

namespace retort::orm::detail {

namespace {

/// `left.columns[k] = right.columns[k]` for each k, over the FROM elements given.
sql::ExprPtr pairs_equal(const sql::FromPtr& left, const sql::TableNode& left_table, const std::vector<std::size_t>& lcols,
                         const sql::FromPtr& right, const sql::TableNode& right_table,
                         const std::vector<std::size_t>& rcols) {
    std::vector<sql::ExprPtr> terms;
    for (std::size_t k = 0; k < lcols.size(); ++k)
        terms.push_back(equal(column_of(left, left_table, lcols[k]), column_of(right, right_table, rcols[k])));
    return all_of(std::move(terms));
}

}  // namespace

sql::Select join_relationship(const sql::Select& stmt, const RelationshipProperty& rel, const sql::FromPtr& parent,
                              const sql::FromPtr& target, bool outer) {
    const auto& ptable = rel.parent->table_node();
    const auto& ttable = rel.target->table_node();
    sql::JoinOptions options{.isouter = outer};
    if (rel.direction != Direction::many_to_many) {
        auto on = pairs_equal(parent, ptable, rel.local_columns, target, ttable, rel.remote_columns);
        return stmt.join_from(sql::FromClause(parent), sql::FromClause(target), sql::TypedExpr<bool>(on), options);
    }
    sql::FromPtr secondary = rel.secondary;
    auto to_secondary = pairs_equal(parent, ptable, rel.local_columns, secondary, *rel.secondary, rel.secondary_local);
    auto to_target = pairs_equal(secondary, *rel.secondary, rel.secondary_remote, target, ttable, rel.remote_columns);
    return stmt
        .join_from(sql::FromClause(parent), sql::FromClause(secondary), sql::TypedExpr<bool>(to_secondary), options)
        .join_from(sql::FromClause(secondary), sql::FromClause(target), sql::TypedExpr<bool>(to_target), options);
}

sql::ExprPtr relationship_exists(const RelationshipProperty& rel, const sql::ExprPtr& condition) {
    const auto& ptable = rel.parent->table_node();
    const auto& ttable = rel.target->table_node();
    sql::FromPtr parent = rel.parent->table().from_node();
    // A self-referential relationship needs the inner table under another name,
    // or the subquery would correlate to itself.
    sql::FromPtr target = rel.target->table().from_node();
    if (rel.target == rel.parent) target = sql::FromClause(target).alias(ttable.name + "_related").from_node();
    auto select = std::make_shared<sql::SelectNode>();
    select->columns.push_back(std::make_shared<sql::LiteralNode>("1", types::Integer()));
    std::vector<sql::ExprPtr> where;
    if (rel.direction == Direction::many_to_many) {
        sql::FromPtr secondary = rel.secondary;
        auto to_target = pairs_equal(secondary, *rel.secondary, rel.secondary_remote, target, ttable, rel.remote_columns);
        select->froms.push_back(std::make_shared<sql::JoinNode>(secondary, target, to_target, false, false));
        where.push_back(pairs_equal(parent, ptable, rel.local_columns, secondary, *rel.secondary, rel.secondary_local));
    } else {
        select->froms.push_back(target);
        where.push_back(pairs_equal(parent, ptable, rel.local_columns, target, ttable, rel.remote_columns));
    }
    if (condition) where.push_back(condition);
    select->where = all_of(std::move(where));
    return std::make_shared<sql::ExistsNode>(select);
}

}  // namespace retort::orm::detail
