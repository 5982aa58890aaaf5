// INSERT, UPDATE and DELETE, with RETURNING and upserts.
//
//   insert(users).values({users_name, "ed"}, {users_age, 30}).returning(users_id)
//   insert(users).rows(rows)                       // std::vector<std::vector<Assignment>>
//   insert(users).values({users_name, "ed"})
//       .on_conflict(users_name).do_update({users_age, excluded(users_age)})
//   update(users).values({users_age, users_age + 1}).where(users_id == 5)
//   delete_(users).where(users_name.like("tmp%")).returning(users_id)
//
// Assignments are separate arguments, each in its own braces, rather than one
// initializer list: GCC 12 cannot compile a std::initializer_list inside a
// co_await expression, and `co_await conn.execute(insert(t).values(...))` is
// how statements are run. Up to 16 fit inline; more go in a std::vector.
#pragma once

#include <initializer_list>
#include <vector>

#include "retort/sql/select.hpp"

namespace retort::sql {

/// `column = value` in VALUES or SET; the value must compare with the column's type.
struct Assignment {
    Assignment() = default;  ///< the unused trailing arguments of values()
    template <class T, class U>
        requires Comparable<TypedExpr<T>, U>
    Assignment(const Column<T>& c, const U& v) : column(c.column_node()), value(to_node(v, c.type())) {}
    bool empty() const noexcept { return !column; }
    std::shared_ptr<const ColumnNode> column;
    ExprPtr value;
};

#define RETORT_ASSIGNMENT_PARAMS                                                                         \
    Assignment a1, Assignment a2 = {}, Assignment a3 = {}, Assignment a4 = {}, Assignment a5 = {},       \
        Assignment a6 = {}, Assignment a7 = {}, Assignment a8 = {}, Assignment a9 = {}, Assignment a10 = {}, \
        Assignment a11 = {}, Assignment a12 = {}, Assignment a13 = {}, Assignment a14 = {}, Assignment a15 = {}, \
        Assignment a16 = {}

/// The given assignments of a values() call, without the unused trailing ones.
std::vector<Assignment> given_assignments(std::initializer_list<const Assignment*> all);

class Insert;

/// `ON CONFLICT (columns)`: say what happens to a clashing row.
class OnConflict {
public:
    OnConflict(std::shared_ptr<const InsertNode> n, std::vector<std::shared_ptr<const ColumnNode>> cols)
        : node_(std::move(n)), columns_(std::move(cols)) {}
    /// Leave the existing row as it is (and insert nothing).
    Insert do_nothing() const;
    /// Update the existing row; excluded(col) is the value the INSERT proposed.
    Insert do_update(RETORT_ASSIGNMENT_PARAMS) const;
    Insert do_update(const std::vector<Assignment>& set) const;

private:
    std::shared_ptr<const InsertNode> node_;
    std::vector<std::shared_ptr<const ColumnNode>> columns_;
};

class Insert {
public:
    explicit Insert(std::shared_ptr<const InsertNode> n) : node_(std::move(n)) {}
    StatementPtr statement_node() const { return node_; }
    const InsertNode& node() const { return *node_; }

    /// The values of one row. Columns left out get their client default, server default or NULL.
    Insert values(RETORT_ASSIGNMENT_PARAMS) const;
    Insert values(const std::vector<Assignment>& row) const;
    /// Several rows in one statement (multi-row VALUES); every row names the same columns.
    Insert rows(const std::vector<std::vector<Assignment>>& rows) const;
    /// INSERT INTO t (columns) SELECT ...: `from_select(select, target_a, target_b)`.
    template <class... C>
    Insert from_select(const Select& select, const C&... columns) const {
        return from_select_columns(select, {Expr(columns.node())...});
    }
    /// RETURNING these expressions (dialects with Capabilities::insert_returning).
    template <class... C>
    Insert returning(const C&... items) const {
        auto n = std::make_shared<InsertNode>(*node_);
        (detail::add_select_items(n->returning, items), ...);
        return Insert(std::move(n));
    }
    /// An upsert on a clash of the unique key made of `columns`; finish it with
    /// do_nothing() or do_update(). MySQL has no conflict target: any unique key clashes.
    template <class... C>
    OnConflict on_conflict(const C&... columns) const {
        return OnConflict(node_, conflict_target({Expr(columns.node())...}));
    }

private:
    Insert from_select_columns(const Select& select, const std::vector<Expr>& columns) const;
    std::vector<std::shared_ptr<const ColumnNode>> conflict_target(const std::vector<Expr>& columns) const;
    std::shared_ptr<const InsertNode> node_;
};

class Update {
public:
    explicit Update(std::shared_ptr<const UpdateNode> n) : node_(std::move(n)) {}
    StatementPtr statement_node() const { return node_; }
    Update values(RETORT_ASSIGNMENT_PARAMS) const;
    Update values(const std::vector<Assignment>& set) const;
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
