// The SQL compiler: one visitor over the statement tree that a dialect
// specialises by overriding only what its SQL does differently (placeholders,
// quoting, LIMIT, RETURNING, DDL types, upserts...).
//
// A compiled statement is cached by the statement's shape (CacheKey): running
// the same statement shape many times compiles it once per dialect.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "retort/sql/table.hpp"
#include "retort/sql/capabilities.hpp"
#include "retort/sql/nodes.hpp"

namespace retort::sql {

/// Where the value of one placeholder comes from at execution.
struct ParamRef {
    enum class Source : std::uint8_t {
        literal,         ///< a value carried in the tree: CacheKey::binds[index]
        named,           ///< a bindparam: the execution parameter called `name`
        column_default,  ///< the INSERT target's column `index` client default, computed per row
    };
    Source source = Source::literal;
    std::size_t index = 0;
    std::string name;
    SqlType type;
    bool expanding = false;  ///< a list rendered as one placeholder per element
    /// The column the value is for (an INSERT or UPDATE target, or the column it
    /// is compared with), for messages about the value; empty when there is none.
    std::string column;
};

/// A result column: the name it is known by and the type its values are read as.
struct ResultColumn {
    std::string name;
    SqlType type;
};

/// The output of compilation, shared by every execution of the same shape.
struct Compiled {
    std::string sql;
    std::vector<ParamRef> params;
    /// Byte ranges of each placeholder in `sql`, in order; used to re-render
    /// the text when an expanding parameter turns into several placeholders.
    std::vector<std::pair<std::size_t, std::size_t>> placeholders;
    std::vector<ResultColumn> columns;
    bool returns_rows = false;
    bool has_expanding = false;
    bool is_ddl = false;
    bool is_dml = false;  ///< INSERT, UPDATE or DELETE
    /// The tree uses one bound value's node in several places (a literal()
    /// given to several rows), and its parameters say so: a tree of the same
    /// shape with a node in each place has the same cache key but other
    /// values, so this compiled form must not be cached for it.
    bool shares_binds = false;
};

class SqlCompiler;

/// How a label renders: `expr AS name` in a select list, `name` in ORDER BY and
/// GROUP BY, and the bare expression anywhere else.
enum class LabelStyle : std::uint8_t { inner, definition, reference };

/// The mutable state of one compilation, passed to every hook.
struct CompileContext {
    const SqlCompiler& compiler;
    Compiled& result;
    std::string& out;
    const std::unordered_map<const Node*, std::size_t>& bind_index;
    /// DDL cannot carry parameters: binds are rendered as SQL literals.
    bool inline_binds = false;
    /// FROM entries of the enclosing queries, for correlated subqueries.
    std::vector<const FromNode*> enclosing_froms;
    /// Nesting depth: 0 for the statement itself.
    int depth = 0;
    /// Names of the CTEs an enclosing WITH already defines (a recursive CTE's
    /// body refers to itself by name, without a WITH of its own).
    std::vector<std::string> ctes_in_scope;
    LabelStyle label = LabelStyle::inner;
    /// Prefix columns with their table, alias or subquery name.
    bool qualify = true;
    /// The column the parameters rendered now are values for (ParamRef::column).
    std::string_view value_for;
};

class SqlCompiler {
public:
    explicit SqlCompiler(Capabilities caps) : caps_(caps) {}
    virtual ~SqlCompiler();
    SqlCompiler(const SqlCompiler&) = delete;
    SqlCompiler& operator=(const SqlCompiler&) = delete;

    /// Compiles `stmt`; `key` must be the statement's cache key (its binds give the canonical order).
    /// Throws CompileError for constructs the dialect cannot express.
    Compiled compile(const StatementNode& stmt, const CacheKey& key) const;
    /// Convenience for tests and tools: builds the key, then compiles.
    Compiled compile(const StatementNode& stmt) const;

    const Capabilities& capabilities() const noexcept { return caps_; }

    // ---- hooks a dialect overrides -------------------------------------------------

    /// The identifier, quoted when it is reserved, mixed-case or has odd characters.
    /// Throws CompileError when identifier_problem() finds one.
    virtual std::string quote_identifier(std::string_view name) const;
    /// Why `name` cannot be an identifier on this database, or nullopt. The base
    /// refuses empty names, NUL bytes and names over max_identifier_length()
    /// (which PostgreSQL would cut short silently, so that two long names collide).
    virtual std::optional<std::string> identifier_problem(std::string_view name) const;
    /// The longest identifier in bytes; 0: no limit.
    virtual std::size_t max_identifier_length() const { return 0; }
    /// Appends the placeholder for parameter `position` (1-based): "?", "$1", "%s".
    virtual void placeholder(std::string& out, std::size_t position) const;
    /// A name Retort made up (ix_<table>_<column>) shortened to max_identifier_length()
    /// if need be: its start and a hash of the whole, so it stays unique and the same on every run.
    std::string generated_name(std::string_view name) const;
    /// An index's name, quoted (and shortened if Retort made it up).
    std::string index_identifier(const IndexSpec& ix) const;
    /// The DDL name of a column type.
    virtual std::string type_ddl(const SqlType& type) const;
    /// A value as an SQL literal, for DDL (server defaults, CHECK constraints).
    virtual std::string literal(const Value& v, const SqlType& type) const;

    virtual void visit(CompileContext& c, const Node& n) const;
    virtual void visit_column(CompileContext& c, const ColumnNode& n) const;
    virtual void visit_bind(CompileContext& c, const BindNode& n) const;
    virtual void visit_literal(CompileContext& c, const LiteralNode& n) const;
    virtual void visit_unary(CompileContext& c, const UnaryNode& n) const;
    virtual void visit_binary(CompileContext& c, const BinaryNode& n) const;
    virtual void visit_clause_list(CompileContext& c, const ClauseListNode& n) const;
    virtual void visit_function(CompileContext& c, const FunctionNode& n) const;
    virtual void visit_cast(CompileContext& c, const CastNode& n) const;
    virtual void visit_case(CompileContext& c, const CaseNode& n) const;
    virtual void visit_label(CompileContext& c, const LabelNode& n) const;
    virtual void visit_in(CompileContext& c, const InNode& n) const;
    virtual void visit_between(CompileContext& c, const BetweenNode& n) const;
    virtual void visit_scalar_subquery(CompileContext& c, const ScalarSubqueryNode& n) const;
    virtual void visit_exists(CompileContext& c, const ExistsNode& n) const;
    virtual void visit_excluded(CompileContext& c, const ExcludedNode& n) const;
    virtual void visit_order_item(CompileContext& c, const OrderItemNode& n) const;
    virtual void visit_from(CompileContext& c, const FromNode& n) const;
    virtual void visit_select(CompileContext& c, const SelectNode& n) const;
    virtual void visit_compound_select(CompileContext& c, const CompoundSelectNode& n) const;
    virtual void visit_insert(CompileContext& c, const InsertNode& n) const;
    virtual void visit_update(CompileContext& c, const UpdateNode& n) const;
    virtual void visit_delete(CompileContext& c, const DeleteNode& n) const;
    virtual void visit_create_table(CompileContext& c, const CreateTableNode& n) const;
    virtual void visit_drop_table(CompileContext& c, const DropTableNode& n) const;
    virtual void visit_create_index(CompileContext& c, const CreateIndexNode& n) const;
    virtual void visit_drop_index(CompileContext& c, const DropIndexNode& n) const;

    /// LIMIT/OFFSET (either may be null).
    virtual void render_limit_offset(CompileContext& c, const ExprPtr& limit, const ExprPtr& offset) const;
    /// RETURNING a, b (only called when the capability flag allows it).
    virtual void render_returning(CompileContext& c, const std::vector<ExprPtr>& items) const;
    /// ON CONFLICT ... / ON DUPLICATE KEY UPDATE ...
    virtual void render_upsert(CompileContext& c, const InsertNode& n) const;
    /// A generic function (now, count...) in the dialect's spelling; false to render it as name(args).
    virtual bool render_known_function(CompileContext& c, const FunctionNode& n) const;
    /// The operator that divides two integers truncating toward zero (" / ", MySQL's " DIV ").
    virtual std::string_view truncating_division() const { return " / "; }
    /// One column of CREATE TABLE, including its generated-key syntax.
    virtual void render_column_ddl(CompileContext& c, const TableNode& t, std::size_t col) const;
    /// Whether the primary key is declared inline by render_column_ddl (SQLite's INTEGER PRIMARY KEY AUTOINCREMENT).
    virtual bool primary_key_inline(const TableNode& t) const;
    /// The text after INSERT INTO t when no column is given ("DEFAULT VALUES" or "() VALUES ()").
    virtual std::string_view empty_insert_values() const { return "DEFAULT VALUES"; }
    /// The DDL text of a server default expression.
    virtual void render_server_default(CompileContext& c, const ExprPtr& e) const;
    /// ORDER BY item with a NULLS FIRST/LAST request the dialect cannot say natively.
    virtual void render_nulls_order(CompileContext& c, const OrderItemNode& n) const;

    // ---- helpers for hooks ----------------------------------------------------------

    /// Appends a parameter placeholder for `ref` and records it.
    void emit_param(CompileContext& c, ParamRef ref) const;
    /// Appends `table` qualified by its schema and quoted.
    std::string table_name(const TableNode& t) const;
    /// Appends a sub-select in parentheses, correlated to the current query.
    void visit_nested_select(CompileContext& c, const SelectBase& s, bool parenthesize = true) const;
    /// The FROM entries a SELECT needs: explicit ones first, then those its expressions reference.
    std::vector<const FromNode*> froms_of(const CompileContext& c, const SelectNode& n) const;

    /// The words the generic compiler quotes; dialects extend the list.
    static const std::vector<std::string_view>& reserved_words_default();
    /// The words this dialect quotes when they name a table or column: its
    /// database's reserved words, lower-case, sorted (they are binary-searched).
    virtual const std::vector<std::string_view>& reserved_words() const;

protected:
    /// A name as messages show it: control bytes escaped (\x00), long ones cut.
    static std::string printable(std::string_view name);
    Capabilities caps_;
};

/// Visits every direct child expression of `e` (not into subqueries).
void for_each_child(const ExprNode& e, const std::function<void(const ExprNode&)>& f);

/// The SQL of `c` with every expanding parameter replaced by `sizes[i]` placeholders
/// (sizes aligned to c.params; ignored for non-expanding ones).
std::string expand_sql(const SqlCompiler& compiler, const Compiled& c, const std::vector<std::size_t>& sizes);

}  // namespace retort::sql
