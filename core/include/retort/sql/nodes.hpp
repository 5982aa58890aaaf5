// The statement tree. Every statement the expression language builds is a tree
// of immutable nodes shared by std::shared_ptr<const ...>, so building a new
// statement from an old one copies pointers, never subtrees.
//
// Users build trees through sql/expression.hpp, sql/select.hpp and sql/dml.hpp;
// this header is for the compiler and for dialects that override its hooks.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "retort/types.hpp"
#include "retort/value.hpp"

namespace retort::sql {

/// Accumulates the cache key of a statement: its shape without its literal
/// values, plus the literal bind nodes in one fixed (dialect-independent) order.
/// Two statements with equal keys compile to the same SQL.
struct CacheKey {
    std::string text;
    std::vector<const struct BindNode*> binds;
    void add(std::string_view s) { text.append(s); text.push_back('|'); }
    void add(std::int64_t i) { add(std::to_string(i)); }
    void add_type(const SqlType& t);
};

enum class NodeKind : std::uint8_t {
    // expressions
    column, bind, literal, unary, binary, clause_list, function, cast, case_, label, in_list, between,
    scalar_subquery, exists, excluded, order_item,
    // from clauses
    table, alias, join, subquery, cte,
    // statements
    select, compound_select, insert, update, delete_, text, create_table, drop_table, create_index, drop_index,
};

struct Node {
    explicit Node(NodeKind k) : kind(k) {}
    virtual ~Node();
    virtual void build_key(CacheKey& key) const = 0;
    const NodeKind kind;
};

// ---------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------

struct ExprNode : Node {
    ExprNode(NodeKind k, SqlType t) : Node(k), type(t) {}
    SqlType type;
};
using ExprPtr = std::shared_ptr<const ExprNode>;

struct FromNode;
using FromPtr = std::shared_ptr<const FromNode>;
struct SelectBase;
using SelectPtr = std::shared_ptr<const SelectBase>;

/// A column of a FROM element (a table, an alias of one, a subquery or a CTE).
struct ColumnNode : ExprNode {
    ColumnNode(FromPtr f, std::size_t i, std::string n, SqlType t)
        : ExprNode(NodeKind::column, t), from(std::move(f)), index(i), name(std::move(n)) {}
    void build_key(CacheKey& key) const override;
    FromPtr from;
    std::size_t index;  ///< position among from's columns
    std::string name;
};

/// A bound parameter: a literal value carried with the tree, or a named
/// placeholder (`bindparam("x")`) whose value is given at execution.
/// `expanding` binds hold a list and render one placeholder per element.
struct BindNode : ExprNode {
    BindNode(Value v, SqlType t) : ExprNode(NodeKind::bind, t), value(std::move(v)) {}
    BindNode(std::string k, SqlType t, bool exp)
        : ExprNode(NodeKind::bind, t), key(std::move(k)), expanding(exp) {}
    BindNode(std::vector<Value> vs, SqlType t)
        : ExprNode(NodeKind::bind, t), values(std::move(vs)), expanding(true) {}
    void build_key(CacheKey& key) const override;
    Value value;                ///< the literal value (when key is empty and not expanding)
    std::vector<Value> values;  ///< the literal list of an expanding bind
    std::string key;            ///< name of a bindparam supplied at execution; empty for literals
    bool expanding = false;
};

/// Bound values made many at a time, for statements that carry thousands (the
/// rows of a flush's multi-row INSERT, an executemany batch rewritten into
/// one): the nodes live in blocks that the statement's pointers share, one
/// allocation per block instead of one per value.
class BindBlock {
public:
    /// Room for `capacity` values before a second block is needed.
    explicit BindBlock(std::size_t capacity) : capacity_(capacity) {}
    /// A bound value, as a node of the current block.
    ExprPtr add(Value v, SqlType t);

private:
    std::size_t capacity_;
    std::shared_ptr<std::vector<BindNode>> block_;
};

/// SQL text rendered as is: NULL, *, a literal_column. Never user data.
struct LiteralNode : ExprNode {
    LiteralNode(std::string t, SqlType ty) : ExprNode(NodeKind::literal, ty), text(std::move(t)) {}
    void build_key(CacheKey& key) const override;
    std::string text;
};

enum class UnaryOp : std::uint8_t { not_, negate, is_null, is_not_null, distinct };

struct UnaryNode : ExprNode {
    UnaryNode(UnaryOp o, ExprPtr e, SqlType t) : ExprNode(NodeKind::unary, t), op(o), operand(std::move(e)) {}
    void build_key(CacheKey& key) const override;
    UnaryOp op;
    ExprPtr operand;
};

enum class BinaryOp : std::uint8_t {
    eq, ne, lt, le, gt, ge, add, sub, mul, div, mod, concat, like, not_like, ilike, not_ilike,
    is_distinct_from, is_not_distinct_from,
};

struct BinaryNode : ExprNode {
    BinaryNode(BinaryOp o, ExprPtr l, ExprPtr r, SqlType t)
        : ExprNode(NodeKind::binary, t), op(o), left(std::move(l)), right(std::move(r)) {}
    void build_key(CacheKey& key) const override;
    BinaryOp op;
    ExprPtr left, right;
    std::optional<char> escape;  ///< LIKE ... ESCAPE 'c'
};

enum class ListOp : std::uint8_t { and_, or_, comma };

/// `a AND b AND c`, `a OR b`, or a parenthesised tuple `(a, b)`.
struct ClauseListNode : ExprNode {
    ClauseListNode(ListOp o, std::vector<ExprPtr> i, SqlType t)
        : ExprNode(NodeKind::clause_list, t), op(o), items(std::move(i)) {}
    void build_key(CacheKey& key) const override;
    ListOp op;
    std::vector<ExprPtr> items;
};

/// A SQL function call; `name` is rendered as given (count, coalesce, my_func).
struct FunctionNode : ExprNode {
    FunctionNode(std::string n, std::vector<ExprPtr> a, SqlType t)
        : ExprNode(NodeKind::function, t), name(std::move(n)), args(std::move(a)) {}
    void build_key(CacheKey& key) const override;
    std::string name;
    std::vector<ExprPtr> args;
    bool star = false;  ///< count(*)
};

struct CastNode : ExprNode {
    CastNode(ExprPtr e, SqlType t) : ExprNode(NodeKind::cast, t), expr(std::move(e)) {}
    void build_key(CacheKey& key) const override;
    ExprPtr expr;
};

struct CaseNode : ExprNode {
    explicit CaseNode(SqlType t) : ExprNode(NodeKind::case_, t) {}
    void build_key(CacheKey& key) const override;
    std::vector<std::pair<ExprPtr, ExprPtr>> whens;  ///< (condition, result)
    ExprPtr else_;                                    ///< may be null
};

struct LabelNode : ExprNode {
    LabelNode(std::string n, ExprPtr e) : ExprNode(NodeKind::label, e->type), name(std::move(n)), expr(std::move(e)) {}
    void build_key(CacheKey& key) const override;
    std::string name;
    ExprPtr expr;
};

/// `expr IN (...)`: the right side is an expanding bind, or a subquery.
struct InNode : ExprNode {
    InNode(ExprPtr e, ExprPtr list, SelectPtr sub, bool neg);
    void build_key(CacheKey& key) const override;
    ExprPtr expr;
    ExprPtr list;      ///< an expanding BindNode, or null when `subquery` is set
    SelectPtr subquery;
    bool negate;
};

struct BetweenNode : ExprNode {
    BetweenNode(ExprPtr e, ExprPtr lo, ExprPtr hi, bool neg);
    void build_key(CacheKey& key) const override;
    ExprPtr expr, low, high;
    bool negate;
};

/// A SELECT used as a value: `(SELECT max(x) FROM t)`.
struct ScalarSubqueryNode : ExprNode {
    ScalarSubqueryNode(SelectPtr s, SqlType t) : ExprNode(NodeKind::scalar_subquery, t), select(std::move(s)) {}
    void build_key(CacheKey& key) const override;
    SelectPtr select;
};

struct ExistsNode : ExprNode {
    explicit ExistsNode(SelectPtr s);
    void build_key(CacheKey& key) const override;
    SelectPtr select;
};

/// In an upsert's update clause, the value the INSERT proposed for `column`
/// (`excluded.col` on PostgreSQL and SQLite, `VALUES(col)` on MySQL).
struct ExcludedNode : ExprNode {
    explicit ExcludedNode(std::shared_ptr<const ColumnNode> c) : ExprNode(NodeKind::excluded, c->type), column(std::move(c)) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const ColumnNode> column;
};

enum class NullsOrder : std::uint8_t { default_, first, last };

/// An ORDER BY entry.
struct OrderItemNode : ExprNode {
    OrderItemNode(ExprPtr e, bool d, NullsOrder n) : ExprNode(NodeKind::order_item, e->type), expr(std::move(e)), desc(d), nulls(n) {}
    void build_key(CacheKey& key) const override;
    ExprPtr expr;
    bool desc;
    NullsOrder nulls;
};

// ---------------------------------------------------------------------------
// FROM elements
// ---------------------------------------------------------------------------

/// Something that can stand in a FROM clause and exports named, typed columns.
struct FromNode : Node {
    using Node::Node;
    virtual std::size_t column_count() const = 0;
    virtual const std::string& column_name(std::size_t i) const = 0;
    virtual SqlType column_type(std::size_t i) const = 0;
    /// Index of the column named `name`, or npos.
    std::size_t find_column(std::string_view name) const;
};

struct TableNode;  // sql/table.hpp

/// `table AS name` or `(subquery) AS name`: the same columns under another name.
struct AliasNode : FromNode {
    AliasNode(FromPtr o, std::string n) : FromNode(NodeKind::alias), original(std::move(o)), name(std::move(n)) {}
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override { return original->column_count(); }
    const std::string& column_name(std::size_t i) const override { return original->column_name(i); }
    SqlType column_type(std::size_t i) const override { return original->column_type(i); }
    FromPtr original;
    std::string name;
};

struct JoinNode : FromNode {
    JoinNode(FromPtr l, FromPtr r, ExprPtr on, bool outer, bool full)
        : FromNode(NodeKind::join), left(std::move(l)), right(std::move(r)), on(std::move(on)), is_outer(outer), is_full(full) {}
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override;
    const std::string& column_name(std::size_t i) const override;
    SqlType column_type(std::size_t i) const override;
    FromPtr left, right;
    ExprPtr on;
    bool is_outer, is_full;
};

/// A SELECT in a FROM clause, `(SELECT ...) AS name`, or a CTE (`WITH name AS (...)`).
struct SubqueryNode : FromNode {
    SubqueryNode(NodeKind k, SelectPtr s, std::string n);
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override { return names.size(); }
    const std::string& column_name(std::size_t i) const override { return names[i]; }
    SqlType column_type(std::size_t i) const override { return types_[i]; }
    SelectPtr select;
    std::string name;
    bool recursive = false;  ///< CTE only
    std::vector<std::string> names;
    std::vector<SqlType> types_;
};

// ---------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------

/// A statement's cache key, built at its first execution and kept: a statement
/// tree does not change once built, and one built once and executed often (a
/// prepared-statement style of Core use) is walked once. A copy starts without
/// it: the copy is made to be changed (the ORM adds its joins to one).
class KeyMemo {
public:
    KeyMemo() = default;
    KeyMemo(const KeyMemo&) noexcept {}
    KeyMemo& operator=(const KeyMemo&) noexcept { return *this; }
    template <class Build>
    const CacheKey& get(Build build) const {
        std::call_once(once_, [&] {
            CacheKey built;  // (a build that throws leaves nothing half made)
            build(built);
            key_ = std::move(built);
        });
        return key_;
    }

private:
    mutable std::once_flag once_;
    mutable CacheKey key_;
};

struct StatementNode : Node {
    using Node::Node;
    /// build_key()'s result, built once (see KeyMemo).
    const CacheKey& cache_key() const {
        return key_.get([this](CacheKey& k) { build_key(k); });
    }

private:
    KeyMemo key_;
};
using StatementPtr = std::shared_ptr<const StatementNode>;

/// Common to SELECT and compound SELECTs: what they return.
struct SelectBase : StatementNode {
    using StatementNode::StatementNode;
    virtual std::size_t column_count() const = 0;
    /// The name a column is known by outside: its label, its column name, or "" when anonymous.
    virtual std::string column_name(std::size_t i) const = 0;
    virtual SqlType column_type(std::size_t i) const = 0;
};

struct SelectNode : SelectBase {
    SelectNode() : SelectBase(NodeKind::select) {}
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override { return columns.size(); }
    std::string column_name(std::size_t i) const override;
    SqlType column_type(std::size_t i) const override { return columns[i]->type; }
    std::vector<std::shared_ptr<const SubqueryNode>> ctes;
    std::vector<ExprPtr> columns;
    std::vector<FromPtr> froms;  ///< explicit FROM entries (joins included); others are inferred from columns
    ExprPtr where, having;
    std::vector<ExprPtr> group_by, order_by;
    ExprPtr limit, offset;
    bool distinct = false;
    /// FOR UPDATE: 0 none, 1 wait, 2 NOWAIT, 3 SKIP LOCKED (see LockMode).
    std::uint8_t for_update = 0;
};

enum class CompoundOp : std::uint8_t { union_, union_all, intersect, except };

struct CompoundSelectNode : SelectBase {
    CompoundSelectNode() : SelectBase(NodeKind::compound_select) {}
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override { return selects.front()->column_count(); }
    std::string column_name(std::size_t i) const override { return selects.front()->column_name(i); }
    SqlType column_type(std::size_t i) const override { return selects.front()->column_type(i); }
    CompoundOp op;
    std::vector<SelectPtr> selects;
    std::vector<ExprPtr> order_by;
    ExprPtr limit, offset;
};

/// ON CONFLICT / ON DUPLICATE KEY UPDATE of an INSERT.
struct UpsertClause {
    std::vector<std::shared_ptr<const ColumnNode>> conflict_columns;  ///< the unique key that may clash
    std::vector<std::pair<std::shared_ptr<const ColumnNode>, ExprPtr>> set;  ///< empty: do nothing
    ExprPtr where;  ///< optional condition on the update (not on MySQL)
};

struct InsertNode : StatementNode {
    InsertNode() : StatementNode(NodeKind::insert) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    std::vector<std::shared_ptr<const ColumnNode>> columns;  ///< target columns, in order
    std::vector<std::vector<ExprPtr>> rows;                  ///< one entry per VALUES row, aligned to columns
    SelectPtr from_select;                                    ///< INSERT ... SELECT (rows empty)
    std::vector<ExprPtr> returning;
    std::optional<UpsertClause> upsert;
};

struct UpdateNode : StatementNode {
    UpdateNode() : StatementNode(NodeKind::update) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    std::vector<std::pair<std::shared_ptr<const ColumnNode>, ExprPtr>> set;
    ExprPtr where;
    std::vector<ExprPtr> returning;
};

struct DeleteNode : StatementNode {
    DeleteNode() : StatementNode(NodeKind::delete_) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    ExprPtr where;
    std::vector<ExprPtr> returning;
};

/// Literal SQL written by the application, sent as is. It takes no parameters:
/// values belong in the expression language, where they are always bound.
struct TextNode : StatementNode {
    explicit TextNode(std::string s) : StatementNode(NodeKind::text), sql(std::move(s)) {}
    void build_key(CacheKey& key) const override;
    std::string sql;
};

struct CreateTableNode : StatementNode {
    CreateTableNode(std::shared_ptr<const TableNode> t, bool ine)
        : StatementNode(NodeKind::create_table), table(std::move(t)), if_not_exists(ine) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    bool if_not_exists;
};

struct DropTableNode : StatementNode {
    DropTableNode(std::shared_ptr<const TableNode> t, bool ie)
        : StatementNode(NodeKind::drop_table), table(std::move(t)), if_exists(ie) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    bool if_exists;
};

struct IndexSpec;  // sql/table.hpp

struct CreateIndexNode : StatementNode {
    CreateIndexNode(std::shared_ptr<const TableNode> t, std::size_t i)
        : StatementNode(NodeKind::create_index), table(std::move(t)), index(i) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    std::size_t index;  ///< position in table->indexes
};

struct DropIndexNode : StatementNode {
    DropIndexNode(std::shared_ptr<const TableNode> t, std::size_t i)
        : StatementNode(NodeKind::drop_index), table(std::move(t)), index(i) {}
    void build_key(CacheKey& key) const override;
    std::shared_ptr<const TableNode> table;
    std::size_t index;
};

}  // namespace retort::sql
