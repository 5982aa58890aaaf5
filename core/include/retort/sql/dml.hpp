// INSERT, UPDATE and DELETE, with RETURNING and upserts.
//
//   insert(users).values({{users_name, "ed"}, {users_age, 30}}).returning(users_id)
//   insert(users).rows({{{users_name, "a"}}, {{users_name, "b"}}})
//   insert(users).values({{users_name, "ed"}})
//       .on_conflict_do_update({users_name}, {{users_age, excluded(users_age)}})
//   update(users).values({{users_age, users_age + 1}}).where(users_id == 5)
//   delete_(users).where(users_name.like("tmp%")).returning(users_id)
#pragma once

#include <initializer_list>
#include <vector>

#include "retort/sql/select.hpp"

namespace retort::sql {

/// `column = value` in VALUES or SET; the value must compare with the column's type.
struct Assignment {
    template <class T, class U>
        requires Comparable<TypedExpr<T>, U>
    Assignment(const Column<T>& c, const U& v) : column(c.column_node()), value(to_node(v, c.type())) {}
    std::shared_ptr<const ColumnNode> column;
    ExprPtr value;
};

namespace detail {
std::vector<ExprPtr> returning_items(std::initializer_list<Expr> items);
}

class Insert {
public:
    explicit Insert(std::shared_ptr<const InsertNode> n) : node_(std::move(n)) {}
    StatementPtr statement_node() const { return node_; }
    const InsertNode& node() const { return *node_; }

    /// The values of one row. Columns left out get their client default, server default or NULL.
    Insert values(std::initializer_list<Assignment> row) const;
    /// Several rows in one statement (multi-row VALUES); every row names the same columns.
    Insert rows(std::initializer_list<std::initializer_list<Assignment>> rows) const;
    Insert rows(const std::vector<std::vector<Assignment>>& rows) const;
    /// INSERT INTO t (columns) SELECT ...
    Insert from_select(std::initializer_list<Expr> columns, const Select& select) const;
    /// RETURNING these expressions (dialects with Capabilities::insert_returning).
    template <class... C>
    Insert returning(const C&... items) const {
        auto n = std::make_shared<InsertNode>(*node_);
        (detail::add_select_items(n->returning, items), ...);
        return Insert(std::move(n));
    }
    /// Upsert that ignores a row clashing on the unique key `conflict_columns`.
    /// On MySQL the clash is on any unique key (it has no conflict target).
    Insert on_conflict_do_nothing(std::initializer_list<Expr> conflict_columns) const;
    /// Upsert that updates the existing row; use excluded(col) for the proposed value.
    Insert on_conflict_do_update(std::initializer_list<Expr> conflict_columns, std::initializer_list<Assignment> set) const;

private:
    std::shared_ptr<const InsertNode> node_;
};

class Update {
public:
    explicit Update(std::shared_ptr<const UpdateNode> n) : node_(std::move(n)) {}
    StatementPtr statement_node() const { return node_; }
    Update values(std::initializer_list<Assignment> set) const;
    template <BooleanOperand C>
    Update where(const C& condition) const {
        auto n = std::make_shared<UpdateNode>(*node_);
        n->where = n->where ? make_list(ListOp::and_, {n->where, to_node(condition)}) : to_node(condition);
        return Update(std::move(n));
    }
    template <class... C>
    Update returning(const C&... items) const {
        auto n = std::make_shared<UpdateNode>(*node_);
        (detail::add_select_items(n->returning, items), ...);
        return Update(std::move(n));
    }

private:
    std::shared_ptr<const UpdateNode> node_;
};

class Delete {
public:
    explicit Delete(std::shared_ptr<const DeleteNode> n) : node_(std::move(n)) {}
    StatementPtr statement_node() const { return node_; }
    template <BooleanOperand C>
    Delete where(const C& condition) const {
        auto n = std::make_shared<DeleteNode>(*node_);
        n->where = n->where ? make_list(ListOp::and_, {n->where, to_node(condition)}) : to_node(condition);
        return Delete(std::move(n));
    }
    template <class... C>
    Delete returning(const C&... items) const {
        auto n = std::make_shared<DeleteNode>(*node_);
        (detail::add_select_items(n->returning, items), ...);
        return Delete(std::move(n));
    }

private:
    std::shared_ptr<const DeleteNode> node_;
};

Insert insert(const Table& table);
Update update(const Table& table);
Delete delete_(const Table& table);

// DDL statements, as create_all() issues them.
Statement create_table(const Table& table, bool if_not_exists = false);
Statement drop_table(const Table& table, bool if_exists = false);
/// CREATE INDEX for every index declared on `table`, one statement each.
std::vector<Statement> create_indexes(const Table& table);

}  // namespace retort::sql
