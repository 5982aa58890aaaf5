// Tables, columns and constraints: the schema metadata statements are built on
// and that create_all() turns into DDL.
//
//   MetaData metadata;
//   Table users(metadata, "users");
//   auto id   = users.column<std::int64_t>("id", primary_key());
//   auto name = users.column<std::string>("name", types::String(50), unique());
//   auto note = users.column<std::optional<std::string>>("note");   // optional<T>: nullable
//
// A column of a non-optional C++ type is NOT NULL; std::optional<T> makes it
// nullable (as Mapped[str] / Mapped[Optional[str]] do in SQLAlchemy).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "retort/sql/expression.hpp"

namespace retort {

class MetaData;

namespace sql {

enum class ReferentialAction : std::uint8_t { no_action, restrict, cascade, set_null, set_default };
std::string_view to_sql(ReferentialAction a);

struct ColumnSpec {
    std::string name;
    SqlType type;
    bool nullable = true;
    bool primary_key = false;
    /// Whether the database generates the value (SERIAL/IDENTITY, AUTO_INCREMENT,
    /// SQLite's rowid alias). Unset: true for a lone integer primary key.
    std::optional<bool> autoincrement;
    ExprPtr server_default;                  ///< DEFAULT clause in DDL
    std::function<Value()> default_factory;  ///< value the application supplies on INSERT when none is given
    std::string comment;
};

struct ForeignKeySpec {
    std::string name;  ///< constraint name; empty lets the database name it
    std::vector<std::size_t> columns;
    std::weak_ptr<const struct TableNode> target;  ///< weak: tables may reference each other (or themselves)
    std::vector<std::string> target_columns;
    ReferentialAction on_delete = ReferentialAction::no_action;
    ReferentialAction on_update = ReferentialAction::no_action;
};

struct UniqueSpec {
    std::string name;
    std::vector<std::size_t> columns;
};

struct CheckSpec {
    std::string name;
    ExprPtr condition;
};

struct IndexSpec {
    std::string name;
    std::vector<std::size_t> columns;
    bool unique = false;
    bool generated_name = false;  ///< made up from the table and columns: shortened to the database's limit
};

/// The data of a table. Built while the schema is declared, then read-only.
struct TableNode : FromNode {
    TableNode(std::string n, std::string s) : FromNode(NodeKind::table), name(std::move(n)), schema(std::move(s)) {}
    void build_key(CacheKey& key) const override;
    std::size_t column_count() const override { return columns.size(); }
    const std::string& column_name(std::size_t i) const override { return columns[i].name; }
    SqlType column_type(std::size_t i) const override { return columns[i].type; }

    /// Indexes into `columns` of the primary key, in key order.
    std::vector<std::size_t> primary_key;
    /// The column the database generates on INSERT, if any.
    std::optional<std::size_t> autoincrement_column() const;

    std::string name, schema;
    std::vector<ColumnSpec> columns;
    std::vector<ForeignKeySpec> foreign_keys;
    std::vector<UniqueSpec> uniques;
    std::vector<CheckSpec> checks;
    std::vector<IndexSpec> indexes;
};

// ---- column options -----------------------------------------------------------

/// An option of Table::column(); each adjusts the ColumnSpec (and may add a constraint).
struct ColumnOption {
    std::function<void(TableNode&, std::size_t)> apply;
};

ColumnOption primary_key();
ColumnOption nullable(bool value = true);
ColumnOption autoincrement(bool value = true);
/// DEFAULT clause rendered in CREATE TABLE: a constant or func::now().
ColumnOption server_default(const Expr& expr);
template <Bindable T>
ColumnOption server_default(const T& value) {
    return server_default(Expr(to_node(value)));
}
/// A value the application inserts when the statement gives none.
template <Bindable T>
ColumnOption default_value(const T& value) {
    Value v = to_value(value);
    return {[v](TableNode& t, std::size_t i) { t.columns[i].default_factory = [v] { return v; }; }};
}
/// As default_value(), computed per row (a UUID, a timestamp...).
ColumnOption default_factory(std::function<Value()> f);
ColumnOption unique(std::string constraint_name = "");
ColumnOption index(std::string index_name = "");
/// FOREIGN KEY (this) REFERENCES target's table (target).
ColumnOption references(const Expr& target, ReferentialAction on_delete = ReferentialAction::no_action,
                        ReferentialAction on_update = ReferentialAction::no_action);
ColumnOption comment(std::string text);

// ---- handles -----------------------------------------------------------------

/// A column of a table (or of an alias of it) as a typed expression.
template <class T>
class Column : public TypedExpr<T> {
public:
    Column() = default;
    explicit Column(std::shared_ptr<const ColumnNode> n) : TypedExpr<T>(n) {}
    std::shared_ptr<const ColumnNode> column_node() const {
        return std::static_pointer_cast<const ColumnNode>(this->node_);
    }
    const std::string& name() const { return column_node()->name; }
};

/// A named FROM element whose columns can be looked up: an alias, a subquery, a CTE.
class FromClause {
public:
    FromClause() = default;
    explicit FromClause(FromPtr n) : node_(std::move(n)) {}
    const FromPtr& from_node() const noexcept { return node_; }

    /// The column named `name`, read as T. Throws ArgumentError if there is none.
    template <class T = Value>
    Column<T> c(std::string_view name) const {
        return Column<T>(column_at(index_of(name)));
    }
    /// This element's counterpart of a column of the element it was made from:
    /// `users_alias[users_id]`, `subquery[users_name]`.
    template <class T>
    Column<T> operator[](const TypedExpr<T>& original) const {
        return Column<T>(column_at(corresponding_index(original.node())));
    }
    /// `this AS name`.
    FromClause alias(std::string name) const;

protected:
    std::shared_ptr<const ColumnNode> column_at(std::size_t i) const;
    std::size_t index_of(std::string_view name) const;
    std::size_t corresponding_index(const ExprPtr& original) const;
    FromPtr node_;
};

class Table : public FromClause {
public:
    /// Declares table `name` in `metadata` (which keeps it for create_all()).
    Table(MetaData& metadata, std::string name, std::string schema = "");
    explicit Table(std::shared_ptr<TableNode> node);

    /// Adds a column of C++ type T; the SQL type is inferred from T unless given first.
    template <class T, class... Opts>
    Column<T> column(std::string name, Opts&&... opts) {
        return column<T>(std::move(name), ValueTraits<T>::sql_type(), std::forward<Opts>(opts)...);
    }
    template <class T, class... Opts>
    Column<T> column(std::string name, SqlType type, Opts&&... opts) {
        constexpr bool is_optional = !std::is_same_v<operand_value_t<T>, base_value_t<T>>;
        std::size_t i = add_column(std::move(name), type, !is_optional, {ColumnOption(std::forward<Opts>(opts))...});
        return Column<T>(column_at(i));
    }

    /// A composite PRIMARY KEY over these columns.
    void primary_key(std::initializer_list<Expr> columns);
    void unique(std::initializer_list<Expr> columns, std::string name = "");
    void check(const Expr& condition, std::string name = "");
    void index(std::string name, std::initializer_list<Expr> columns, bool unique = false);
    /// A (composite) FOREIGN KEY; `targets` are columns of one other table.
    void foreign_key(std::initializer_list<Expr> columns, std::initializer_list<Expr> targets,
                     ReferentialAction on_delete = ReferentialAction::no_action,
                     ReferentialAction on_update = ReferentialAction::no_action, std::string name = "");

    const std::string& name() const { return table().name; }
    const TableNode& table() const { return static_cast<const TableNode&>(*node_); }
    std::shared_ptr<const TableNode> table_node() const { return std::static_pointer_cast<const TableNode>(node_); }

    /// Adds a column of SQL type `type`, for code that knows column types only at
    /// run time (the ORM's mappers); returns its index. Prefer column<T>().
    std::size_t add_column(std::string name, SqlType type, bool not_null, std::vector<ColumnOption> opts);

private:
    std::size_t own_column(const Expr& e, std::string_view what) const;
    TableNode& mutable_table() { return const_cast<TableNode&>(table()); }
};

}  // namespace sql

using sql::Column;
using sql::Table;

}  // namespace retort
