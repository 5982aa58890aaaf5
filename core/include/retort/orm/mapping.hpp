// Declarative mapping: a plain struct becomes a mapped class with one
// declaration of its members and a static mapping() that states what differs
// from the defaults.
//
//   struct B;
//   struct A {
//       orm::Defaulted<std::int64_t> id;          // integer primary key: generated
//       std::optional<std::string> data;          // optional: a nullable column
//       orm::Defaulted<DateTime> create_date;     // unassigned: its server default
//       orm::Collection<B> bs;                    // one-to-many (B has a foreign key to a)
//
//       static auto mapping() {
//           return orm::table("a",
//               orm::column(&A::id, orm::primary_key()),
//               orm::column(&A::data, types::String(50)),
//               orm::column(&A::create_date, orm::server_default(sql::func::now())),
//               orm::relationship(&A::bs, {.lazy = orm::Lazy::selectin}));
//       }
//   };
//   RETORT_MAPPED(A, id, data, create_date, bs)
//
// RETORT_MAPPED lists the mapped members once (it is BOOST_DESCRIBE_STRUCT
// plus registration); column types follow the member types (std::optional<T>
// is nullable; orm::Defaulted<T> may be left to the column's default, see
// orm/defaulted.hpp, while a plain member is always written); a member that is a Collection<T> or Reference<T> is a
// relationship whose join follows the foreign keys between the two tables.
// A member left out of RETORT_MAPPED is not mapped. Mapped classes are
// default-constructible aggregates used through std::shared_ptr.
//
// Each class belongs to a Registry (the default one unless mapping() names
// another), whose metadata() holds the tables for create_all(). Mappers are
// configured on first use; a mistake in a mapping throws MappingError then.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "retort/orm/defaulted.hpp"
#include "retort/orm/detail/members.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/schema/metadata.hpp"

namespace retort::orm {

// The column options of the core, usable as orm::primary_key() and so on.
using sql::autoincrement;
using sql::comment;
using sql::default_factory;
using sql::default_value;
using sql::index;
using sql::primary_key;
using sql::ReferentialAction;
using sql::server_default;
using sql::unique;

/// A set of mapped classes and the MetaData of their tables (SQLAlchemy's
/// registry / DeclarativeBase). Tables of one registry may reference each other.
class Registry {
public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// The tables of every class mapped in this registry (configured first), for create_all().
    MetaData& metadata();
    /// Builds the mappers of the classes declared for this registry that are not
    /// built yet. Throws MappingError for a wrong mapping. Thread-safe.
    void configure();

private:
    friend struct detail::MapperBuild;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The registry of classes whose mapping() names none.
Registry& default_registry();
/// default_registry().metadata()
inline MetaData& metadata() { return default_registry().metadata(); }

// ---- declarations used in mapping() ------------------------------------------

/// Where a foreign key points: "table.column", or a member of another mapped class.
struct ForeignKey {
    std::function<std::string()> target;  ///< "table.column", resolved when mappers are configured
    ReferentialAction on_delete = ReferentialAction::no_action;
    ReferentialAction on_update = ReferentialAction::no_action;
};

/// FOREIGN KEY to "table.column".
inline ForeignKey foreign_key(std::string target, ReferentialAction on_delete = ReferentialAction::no_action,
                              ReferentialAction on_update = ReferentialAction::no_action) {
    return {[target] { return target; }, on_delete, on_update};
}
/// FOREIGN KEY to the column of another mapped class's member: foreign_key(&A::id).
template <class C, class M>
ForeignKey foreign_key(M C::*target, ReferentialAction on_delete = ReferentialAction::no_action,
                       ReferentialAction on_update = ReferentialAction::no_action) {
    return {[target] { return C::mapping().name + "." + detail::member_name(target); }, on_delete, on_update};
}

/// The options of one column member: a SqlType (overriding the one inferred from
/// the member type), column options (primary_key(), server_default(...), unique()...)
/// and foreign keys.
struct ColumnOptions {
    std::optional<SqlType> type;
    std::vector<sql::ColumnOption> options;
    std::vector<ForeignKey> foreign_keys;

    void add(SqlType t) { type = t; }
    void add(sql::ColumnOption o) { options.push_back(std::move(o)); }
    void add(ForeignKey f) { foreign_keys.push_back(std::move(f)); }
};

template <class C, class M>
struct ColumnDecl : ColumnOptions {
    M C::*member;
};

template <class C, class M, class... O>
ColumnDecl<C, M> column(M C::*member, O&&... options) {
    ColumnDecl<C, M> d{{}, member};
    (d.add(std::forward<O>(options)), ...);
    return d;
}

/// One ORDER BY entry of a relationship: a member of the related class, or a column name.
struct OrderBy {
    OrderBy(std::string column_name, bool descending = false)  // NOLINT: implicit by design
        : column([column_name] { return column_name; }), desc(descending) {}
    OrderBy(const char* column_name, bool descending = false) : OrderBy(std::string(column_name), descending) {}  // NOLINT
    template <class C, class M>
    OrderBy(M C::*member, bool descending = false)  // NOLINT: implicit by design
        : column([member] { return detail::member_name(member); }), desc(descending) {}
    std::function<std::string()> column;
    bool desc = false;
};
template <class C, class M>
OrderBy desc(M C::*member) {
    return OrderBy(member, true);
}
inline OrderBy desc(std::string column_name) { return OrderBy(std::move(column_name), true); }

struct RelationshipOptions {
    /// The relationship of the related class that mirrors this one; the two are
    /// kept consistent when loading and at flush.
    std::string back_populates{};
    /// How it loads when a query gives no loader option for it.
    Lazy lazy = Lazy::raise;
    /// SQLAlchemy's cascade words: "save-update", "delete", "delete-orphan", "all".
    std::string cascade = "save-update";
    /// The order of a collection's objects when loaded.
    std::vector<OrderBy> order_by{};
    /// Many-to-many: the name of the association table (see association_table()).
    std::string secondary{};
    /// The foreign key columns to join on, when more than one could (names of
    /// columns of the table that holds them).
    std::vector<std::string> foreign_keys{};
};

template <class C, class S>
struct RelationshipDecl {
    S C::*member;
    RelationshipOptions options;
};

template <class C, class S>
    requires detail::slot_traits<S>::is_slot
RelationshipDecl<C, S> relationship(S C::*member, RelationshipOptions options = {}) {
    return {member, std::move(options)};
}

// ---- table-level declarations: constraints over several columns ------------------
// Columns are named as in RETORT_MAPPED (a column's name is its member's name).

/// A composite FOREIGN KEY (SQLAlchemy's ForeignKeyConstraint): `columns` of this
/// table reference `target_columns` of `target_table`, pairwise. Relationships
/// join on it like on a one-column key.
///   orm::foreign_key_constraint({"order_region", "order_no"}, "orders", {"region", "no"})
struct ForeignKeyConstraint {
    std::vector<std::string> columns;
    std::string target_table;
    std::vector<std::string> target_columns;
    ReferentialAction on_delete = ReferentialAction::no_action;
    ReferentialAction on_update = ReferentialAction::no_action;
};
inline ForeignKeyConstraint foreign_key_constraint(std::vector<std::string> columns, std::string target_table,
                                                   std::vector<std::string> target_columns,
                                                   ReferentialAction on_delete = ReferentialAction::no_action,
                                                   ReferentialAction on_update = ReferentialAction::no_action) {
    return {std::move(columns), std::move(target_table), std::move(target_columns), on_delete, on_update};
}

/// UNIQUE over several columns.
struct UniqueConstraint {
    std::vector<std::string> columns;
    std::string name;
};
inline UniqueConstraint unique_constraint(std::vector<std::string> columns, std::string name = "") {
    return {std::move(columns), std::move(name)};
}

/// An index over several columns (a one-column index is the column option index()).
struct TableIndex {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
};
inline TableIndex table_index(std::string name, std::vector<std::string> columns, bool unique = false) {
    return {std::move(name), std::move(columns), unique};
}

/// implicit_returning(false): the flush of this class never uses INSERT ... RETURNING
/// (SQLAlchemy's Table(implicit_returning=False)), for tables whose triggers or
/// replication setups forbid it. See Mapper::implicit_returning().
struct ImplicitReturning {
    bool enabled = true;
};
inline ImplicitReturning implicit_returning(bool enabled) { return {enabled}; }

/// What mapping() returns: the table's name, its registry and the declarations.
template <class... D>
struct TableDecl {
    Registry* registry;
    std::string name;
    std::tuple<D...> decls;
};

template <class... D>
TableDecl<std::decay_t<D>...> table(std::string name, D&&... decls) {
    return {&default_registry(), std::move(name), {std::forward<D>(decls)...}};
}
template <class... D>
TableDecl<std::decay_t<D>...> table(Registry& registry, std::string name, D&&... decls) {
    return {&registry, std::move(name), {std::forward<D>(decls)...}};
}

/// One column of an association table: its name and the "table.column" it references.
struct AssociationColumn {
    std::string name;
    std::string references;
};
/// Declares the association table of a many-to-many relationship in `registry`:
/// each column references a key column of a mapped table (and takes its type),
/// and together they are the primary key. Declare it at namespace scope:
///   inline const bool enrollment = orm::association_table(registry, "enrollment",
///       {{"student_id", "student.id"}, {"course_id", "course.id"}});
bool association_table(Registry& registry, std::string name, std::vector<AssociationColumn> columns,
                       ReferentialAction on_delete = ReferentialAction::cascade);

}  // namespace retort::orm

#include "retort/orm/detail/class_builder.hpp"

namespace retort::orm {

/// The mapper of class C (configuring its registry on first use).
template <class C>
const Mapper& mapper() {
    static const Mapper& m = detail::mapper_of(detail::class_entry<C>());
    return m;
}

}  // namespace retort::orm

#define RETORT_DETAIL_CAT2(a, b) a##b
#define RETORT_DETAIL_CAT(a, b) RETORT_DETAIL_CAT2(a, b)

/// Declares the mapped members of `Class` and registers it with the registry
/// its mapping() names. Write it after the class, in the class's own namespace
/// (Boost.Describe finds the description there by argument-dependent lookup):
///   namespace shop { struct Book {...}; RETORT_MAPPED(Book, id, title) }
#define RETORT_MAPPED(Class, ...)                                                                       \
    BOOST_DESCRIBE_STRUCT(Class, (), (__VA_ARGS__))                                                     \
    static_assert(::boost::describe::has_describe_members<Class>::value,                                \
                  "RETORT_MAPPED(" #Class ", ...) must be written in the namespace that declares the "  \
                  "class (not at global scope for a namespaced class): its description is found there"); \
    [[maybe_unused]] static const bool RETORT_DETAIL_CAT(retort_orm_registered_, __COUNTER__) =            \
        ::retort::orm::detail::register_class(::retort::orm::detail::class_entry<Class>());
