// SELECT statements, subqueries, CTEs, joins and compound selects.
//
//   auto q = select(users_name, func::count(addresses_id).label("n"))
//                .join(addresses)                        // ON inferred from the foreign key
//                .where(users_name.like("e%"))
//                .group_by(users_name)
//                .having(func::count(addresses_id) > 1)
//                .order_by(users_name.desc())
//                .limit(10);
//
// Every builder method returns a new statement; the old one is unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "retort/sql/table.hpp"
#include "retort/sql/statement.hpp"

namespace retort::sql {

class CompoundSelect;
class Cte;

/// How join_from() joins: `{.isouter = true}` for LEFT OUTER JOIN, `{.full = true}` for FULL OUTER JOIN.
struct JoinOptions {
    bool isouter = false;
    bool full = false;
};

/// How SELECT ... FOR UPDATE waits for rows another transaction locked.
struct ForUpdate {
    bool nowait = false;       ///< fail at once (the database's lock error)
    bool skip_locked = false;  ///< leave locked rows out of the result
};

namespace detail {
void add_select_items(std::vector<ExprPtr>& out, const Expr& e);
void add_select_items(std::vector<ExprPtr>& out, const FromClause& f);
template <Operand T>
    requires(!detail::IsTypedExpr<T>)
void add_select_items(std::vector<ExprPtr>& out, const T& v) {
    out.push_back(to_node(v));
}
/// The ON clause joining `right` to `left` through their foreign keys; throws
/// ArgumentError when there is none or more than one.
ExprPtr infer_join_condition(const FromPtr& left, const FromPtr& right);

/// A string that names a column or label (in order_by and group_by).
template <class T>
concept ColumnName = !IsTypedExpr<T> && std::convertible_to<const T&, std::string_view>;
/// What a string in `clause` ("order_by"...) of `n` names: a label or column of
/// its SELECT list, else a column of the tables it selects from. Throws
/// ArgumentError, listing the names it has, when none or several match.
ExprPtr resolve_name(const SelectBase& n, std::string_view name, const char* clause);
template <class T>
ExprPtr name_or_expression(const SelectBase& n, const T& item, const char* clause) {
    static_assert(IsTypedExpr<T> || ColumnName<T>,
                  "order_by()/group_by() take expressions (users.name, users.name.desc()) or the name of a "
                  "column or label of the statement (\"score\"): a plain value would be bound as a parameter "
                  "and order or group by nothing");
    if constexpr (ColumnName<T>) return resolve_name(n, std::string_view(item), clause);
    else return item.node();
}
/// A join condition must be an expression: a plain bool would be bound as a parameter (ON ?).
template <class C>
inline constexpr bool join_condition = IsTypedExpr<C> && BooleanOperand<C>;
}  // namespace detail

class Select {
public:
    explicit Select(std::shared_ptr<const SelectNode> n) : node_(std::move(n)) {}
    SelectPtr select_node() const { return node_; }
    StatementPtr statement_node() const { return node_; }
    const SelectNode& node() const { return *node_; }

    template <class... C>
    Select add_columns(const C&... cols) const {
        auto n = copy();
        (detail::add_select_items(n->columns, cols), ...);
        return Select(std::move(n));
    }
    /// Adds a WHERE condition; several calls are joined with AND.
    template <BooleanOperand C>
    Select where(const C& condition) const {
        return with_where(to_node(condition));
    }
    template <BooleanOperand C>
    Select having(const C& condition) const {
        auto n = copy();
        n->having = n->having ? make_list(ListOp::and_, {n->having, to_node(condition)}) : to_node(condition);
        return Select(std::move(n));
    }
    /// Makes `from` an explicit FROM entry (others are inferred from the columns).
    Select select_from(const FromClause& from) const;
    /// `JOIN right ON on`, joined to the leftmost FROM entry. `on` is an
    /// expression of both sides; a plain bool does not compile.
    template <class C>
    Select join(const FromClause& right, const C& on) const {
        static_assert(detail::join_condition<C>,
                      "join(right, on): the ON condition must be an expression of both sides (a.id == b.a_id); a "
                      "plain bool would be bound as a parameter (ON ?) and join every row with every row");
        return with_join(right.from_node(), to_node(on), false, false);
    }
    /// JOIN with the ON clause inferred from the foreign keys between the two sides.
    Select join(const FromClause& right) const { return with_join(right.from_node(), nullptr, false, false); }
    template <class C>
    Select outerjoin(const FromClause& right, const C& on) const {
        static_assert(detail::join_condition<C>,
                      "outerjoin(right, on): the ON condition must be an expression of both sides (a.id == b.a_id); "
                      "a plain bool would be bound as a parameter (ON ?)");
        return with_join(right.from_node(), to_node(on), true, false);
    }
    Select outerjoin(const FromClause& right) const { return with_join(right.from_node(), nullptr, true, false); }
    /// `FROM left JOIN right`: SQLAlchemy's join_from, for when the left side is
    /// not the first FROM entry (or not selected at all). ON inferred from the
    /// foreign keys, or given: join_from(a, b, a.c<...>("id") == ..., {.isouter = true}).
    Select join_from(const FromClause& left, const FromClause& right, JoinOptions options = {}) const {
        return with_join_from(left.from_node(), right.from_node(), nullptr, options);
    }
    template <class C>
        requires(!std::is_same_v<C, JoinOptions>)
    Select join_from(const FromClause& left, const FromClause& right, const C& on, JoinOptions options = {}) const {
        static_assert(detail::join_condition<C>,
                      "join_from(left, right, on): the ON condition must be an expression of both sides");
        return with_join_from(left.from_node(), right.from_node(), to_node(on), options);
    }
    /// GROUP BY expressions, or names of columns and labels of this SELECT.
    template <class... C>
    Select group_by(const C&... items) const {
        auto n = copy();
        (n->group_by.push_back(detail::name_or_expression(*node_, items, "group_by")), ...);
        return Select(std::move(n));
    }
    /// ORDER BY expressions (expr.desc(), expr.nulls_last()...) or names of
    /// columns and labels of this SELECT: order_by("score") orders by the column
    /// or label called score, never by a bound string.
    template <class... C>
    Select order_by(const C&... items) const {
        auto n = copy();
        (n->order_by.push_back(detail::name_or_expression(*node_, items, "order_by")), ...);
        return Select(std::move(n));
    }
    Select limit(std::int64_t n) const;
    Select offset(std::int64_t n) const;
    Select distinct() const;
    /// SELECT ... FOR UPDATE [NOWAIT | SKIP LOCKED]: the rows read stay locked
    /// until the transaction ends. Left out where the dialect has no row locks
    /// (SQLite: capability for_update); NOWAIT / SKIP LOCKED where it lacks them
    /// throw CompileError.
    Select with_for_update(ForUpdate options = {}) const;

    /// This SELECT as a FROM element: `(SELECT ...) AS name`.
    FromClause subquery(std::string name) const;
    /// This SELECT as a common table expression: `WITH name AS (SELECT ...)`.
    Cte cte(std::string name) const;
    /// This SELECT as a value: `(SELECT ...)`, read as T.
    template <class T>
    TypedExpr<T> scalar_subquery() const {
        return TypedExpr<T>(std::make_shared<ScalarSubqueryNode>(node_, node_->columns.empty() ? SqlType{} : node_->column_type(0)));
    }

private:
    std::shared_ptr<SelectNode> copy() const;  // out of line: the node copy is compiled once
    Select with_where(ExprPtr cond) const;
    Select with_join(FromPtr right, ExprPtr on, bool outer, bool full) const;
    Select with_join_from(FromPtr left, FromPtr right, ExprPtr on, JoinOptions options) const;
    std::shared_ptr<const SelectNode> node_;
};

/// SELECT of these columns, tables (all their columns), aliases, subqueries or values.
template <class... C>
Select select(const C&... cols) {
    auto n = std::make_shared<SelectNode>();
    (detail::add_select_items(n->columns, cols), ...);
    return Select(std::move(n));
}

/// SQLAlchemy's `exists().where(...)`: `EXISTS (SELECT 1 FROM ... WHERE ...)`,
/// its FROM taken from the conditions (tables of the enclosing query are correlated).
///   select(users).where(exists().where(addresses.user_id == users.id))
class Exists : public TypedExpr<bool> {
public:
    explicit Exists(Select s) : TypedExpr<bool>(std::make_shared<ExistsNode>(s.select_node())), select_(std::move(s)) {}
    template <BooleanOperand C>
    Exists where(const C& condition) const {
        return Exists(select_.where(condition));
    }

private:
    Select select_;
};
inline Exists exists() { return Exists(select(literal_column<std::int64_t>("1"))); }

/// UNION / UNION ALL / INTERSECT / EXCEPT of selects with the same columns.
class CompoundSelect {
public:
    explicit CompoundSelect(std::shared_ptr<const CompoundSelectNode> n) : node_(std::move(n)) {}
    SelectPtr select_node() const { return node_; }
    StatementPtr statement_node() const { return node_; }
    /// ORDER BY expressions or names of the output columns: union_all(a, b).order_by("x").
    template <class... C>
    CompoundSelect order_by(const C&... items) const {
        auto n = std::make_shared<CompoundSelectNode>(*node_);
        (n->order_by.push_back(detail::name_or_expression(*node_, items, "order_by")), ...);
        return CompoundSelect(std::move(n));
    }
    CompoundSelect limit(std::int64_t n) const;
    CompoundSelect offset(std::int64_t n) const;
    FromClause subquery(std::string name) const;

private:
    std::shared_ptr<const CompoundSelectNode> node_;
};

CompoundSelect compound(CompoundOp op, std::vector<SelectPtr> selects);
template <SelectLike... S>
CompoundSelect union_(const S&... s) { return compound(CompoundOp::union_, {s.select_node()...}); }
template <SelectLike... S>
CompoundSelect union_all(const S&... s) { return compound(CompoundOp::union_all, {s.select_node()...}); }
template <SelectLike... S>
CompoundSelect intersect(const S&... s) { return compound(CompoundOp::intersect, {s.select_node()...}); }
template <SelectLike... S>
CompoundSelect except_(const S&... s) { return compound(CompoundOp::except, {s.select_node()...}); }

/// A common table expression. A query that selects from it gets the WITH clause.
class Cte : public FromClause {
public:
    using FromClause::FromClause;
    /// The recursive form: `WITH RECURSIVE name AS (anchor UNION ALL recursive_part)`.
    /// `recursive_part` selects from this Cte.
    Cte union_all(const Select& recursive_part) const;
    Cte union_(const Select& recursive_part) const;
};

}  // namespace retort::sql
