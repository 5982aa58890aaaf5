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

#include <boost/core/demangle.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/class.hpp>
#include <boost/mp11/algorithm.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "retort/error.hpp"
#include "retort/orm/defaulted.hpp"
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

namespace detail {
struct ClassEntry;
struct MapperDraft;
}  // namespace detail

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

    struct Impl;
    Impl& impl() { return *impl_; }

private:
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

namespace detail {
template <class T>
struct slot_traits {
    static constexpr bool is_slot = false;
};
template <class T>
struct slot_traits<Collection<T>> {
    static constexpr bool is_slot = true;
    static constexpr bool is_collection = true;
    using target = T;
};
template <class T>
struct slot_traits<Reference<T>> {
    static constexpr bool is_slot = true;
    static constexpr bool is_collection = false;
    using target = T;
};
template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <class C>
using members_of = boost::describe::describe_members<C, boost::describe::mod_public>;

/// The name of member `p` of C, as RETORT_MAPPED lists it.
template <class C, class M>
std::string member_name(M C::*p) {
    std::string out;
    boost::mp11::mp_for_each<members_of<C>>([&](auto d) {
        if constexpr (std::is_same_v<std::remove_cv_t<decltype(d.pointer)>, M C::*>)
            if (d.pointer == p) out = d.name;
    });
    if (out.empty())
        throw MappingError("a member of " + boost::core::demangle(typeid(C).name()) +
                           " is used in a mapping but not listed in RETORT_MAPPED");
    return out;
}
}  // namespace detail

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
template <class C, class M>
struct ColumnDecl {
    M C::*member;
    std::optional<SqlType> type;
    std::vector<sql::ColumnOption> options;
    std::vector<ForeignKey> foreign_keys;

    void add(SqlType t) { type = t; }
    void add(sql::ColumnOption o) { options.push_back(std::move(o)); }
    void add(ForeignKey f) { foreign_keys.push_back(std::move(f)); }
};

template <class C, class M, class... O>
ColumnDecl<C, M> column(M C::*member, O&&... options) {
    ColumnDecl<C, M> d{member, {}, {}, {}};
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

// ---- building a mapper from a declaration ----------------------------------------

namespace detail {

struct SlotAccess {
    /// Appends the objects it holds to `out`, leaving out released ones (see known()).
    template <class T>
    static void append_items(const Collection<T>& c, std::vector<std::shared_ptr<void>>& out) {
        out.reserve(out.size() + c.items_.size());
        for (std::size_t i = 0; i < c.items_.size(); ++i) {
            if (c.items_[i] || c.mirrors_.empty()) out.push_back(c.items_[i]);
            else if (auto p = c.mirrors_[i].lock(); p || !c.released(i)) out.push_back(std::move(p));
        }
    }
    /// The target, nullptr when none or released.
    template <class T>
    static std::shared_ptr<T> target(const Reference<T>& r) { return r.released_by_ ? r.back_.lock() : r.target_; }
    /// Loaded, and no non-owning link lost its object: only then does what it
    /// holds say anything about the rows.
    template <class T>
    static bool known(const Collection<T>& c) {
        if (!c.loaded()) return false;
        for (std::size_t i = 0; i < c.mirrors_.size(); ++i)
            if (!c.items_[i] && c.released(i)) return false;
        return true;
    }
    template <class T>
    static bool known(const Reference<T>& r) { return r.loaded() && (!r.released_by_ || !r.back_.expired()); }
    template <class T>
    static void clear(Collection<T>& c) {
        c.items_.clear();
        c.mirrors_.clear();
        c.released_by_ = nullptr;
    }
    template <class T>
    static void clear(Reference<T>& r) {
        r.target_.reset();
        r.back_.reset();
        r.released_by_ = nullptr;
    }
    /// Stops owning `target` (see Reference and Collection).
    template <class T>
    static void weaken(Reference<T>& r, const void* target, const RelationshipProperty& rel) {
        if (r.released_by_ || !r.target_ || r.target_.get() != target) return;
        r.back_ = r.target_;
        r.target_.reset();
        r.released_by_ = &rel;
    }
    template <class T>
    static void weaken(Collection<T>& c, const void* target, const RelationshipProperty& rel) {
        for (std::size_t i = 0; i < c.items_.size(); ++i) {
            if (!c.items_[i] || c.items_[i].get() != target) continue;
            if (c.mirrors_.empty()) c.mirrors_.resize(c.items_.size());
            c.mirrors_[i] = c.items_[i];
            c.items_[i].reset();
            c.released_by_ = &rel;
        }
    }
    static void set_unloaded(RelationshipSlot& s, const RelationshipProperty* rel) { s.unloaded_ = rel; }
};

template <class C, class D>
using member_t = std::remove_cvref_t<decltype(std::declval<C&>().*D::pointer)>;

template <class M>
bool member_equals(const M& m, const Value& v) {
    if constexpr (is_defaulted<M>) {
        return m.has_value() && member_equals(*m, v);  // unassigned differs from every value
    } else if constexpr (is_optional_v<M>) {
        return m ? member_equals(*m, v) : is_null(v);
    } else if constexpr (std::is_same_v<M, std::string>) {
        auto s = std::get_if<std::string>(&v);
        return s && *s == m;
    } else {
        return to_value(m) == v;
    }
}

template <class C, class D>
Value column_get(const void* o) {
    return to_value(static_cast<const C*>(o)->*D::pointer);
}
template <class C, class D>
void column_set(void* o, const Value& v) {
    static_cast<C*>(o)->*D::pointer = from_value<member_t<C, D>>(v);
}
template <class C, class D>
bool column_equals(const void* o, const Value& v) {
    return member_equals(static_cast<const C*>(o)->*D::pointer, v);
}
template <class C, class D>
bool column_unassigned(const void* o) {
    if constexpr (is_defaulted<member_t<C, D>>) return !(static_cast<const C*>(o)->*D::pointer).has_value();
    else return false;  // a plain member always holds what the program assigned
}
template <class C, class D>
void column_reset(void* o) {
    if constexpr (is_defaulted<member_t<C, D>>) (static_cast<C*>(o)->*D::pointer).reset();
}

template <class C, class D>
bool slot_known(const void* o) {
    return SlotAccess::known(static_cast<const C*>(o)->*D::pointer);
}
template <class C, class D>
std::vector<std::shared_ptr<void>> slot_items(const void* o) {
    const auto& s = static_cast<const C*>(o)->*D::pointer;
    std::vector<std::shared_ptr<void>> out;
    if constexpr (slot_traits<member_t<C, D>>::is_collection) {
        SlotAccess::append_items(s, out);
    } else {
        if (auto t = SlotAccess::target(s)) out.push_back(std::move(t));
    }
    return out;
}
template <class C, class D>
void slot_assign(void* o, const std::vector<std::shared_ptr<void>>& items) {
    auto& s = static_cast<C*>(o)->*D::pointer;
    using T = typename slot_traits<member_t<C, D>>::target;
    if constexpr (slot_traits<member_t<C, D>>::is_collection) {
        std::vector<std::shared_ptr<T>> typed;
        typed.reserve(items.size());
        for (const auto& p : items) typed.push_back(std::static_pointer_cast<T>(p));
        s = std::move(typed);
    } else {
        s = items.empty() ? std::shared_ptr<T>() : std::static_pointer_cast<T>(items.front());
    }
}
template <class C, class D>
void slot_weaken(void* o, const void* target, const RelationshipProperty& rel) {
    SlotAccess::weaken(static_cast<C*>(o)->*D::pointer, target, rel);
}
template <class C, class D>
void slot_unload(void* o, const RelationshipProperty& rel) {
    auto& s = static_cast<C*>(o)->*D::pointer;
    SlotAccess::clear(s);
    SlotAccess::set_unloaded(s, &rel);
}

template <class C>
std::shared_ptr<void> create_object() {
    return std::make_shared<C>();
}

/// A relationship as declared, before its target and join are known.
struct RelationshipDraft {
    RelationshipProperty property;  ///< accessors filled in
    const ClassEntry* target;
    RelationshipOptions options;
};

/// A mapper whose columns exist, with what configure() resolves next.
struct MapperDraft {
    std::unique_ptr<Mapper> mapper;
    std::vector<std::pair<std::size_t, ForeignKey>> foreign_keys;  ///< column index, target
    std::vector<ForeignKeyConstraint> composite_foreign_keys;
    std::vector<RelationshipDraft> relationships;
};

/// How the registry reaches a class: its registry and its builder.
struct ClassEntry {
    std::type_index type;
    Registry& (*registry)();
    MapperDraft (*build)(Registry&);
};

template <class C>
const ClassEntry& class_entry();

/// Starts a draft for a class: creates its table in `registry`'s MetaData.
MapperDraft start_draft(Registry& registry, std::string class_name, std::type_index type, std::string table_name,
                        std::shared_ptr<void> (*create)());
std::size_t add_draft_column(MapperDraft& draft, const std::string& name, SqlType type, bool not_null,
                             std::vector<sql::ColumnOption> options);
/// Table-level declarations, applied once every column exists; throw MappingError
/// for a column name the table lacks.
void add_table_declaration(MapperDraft& draft, const UniqueConstraint& d);
void add_table_declaration(MapperDraft& draft, const TableIndex& d);
void add_table_declaration(MapperDraft& draft, const ForeignKeyConstraint& d);
inline void add_table_declaration(MapperDraft& draft, const ImplicitReturning& d) {
    draft.mapper->set_implicit_returning(d.enabled);
}
// Column and relationship declarations were applied member by member.
template <class C, class M>
void add_table_declaration(MapperDraft&, const ColumnDecl<C, M>&) {}
template <class C, class S>
void add_table_declaration(MapperDraft&, const RelationshipDecl<C, S>&) {}

/// The options that the declarations give member `pointer` (of type M).
template <class C, class M, class... Decls>
void collect_column(const std::tuple<Decls...>& decls, M C::*pointer, std::optional<SqlType>& type,
                    std::vector<sql::ColumnOption>& options, std::vector<ForeignKey>& fks) {
    std::apply(
        [&](const auto&... one) {
            (
                [&](const auto& d) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(d)>, ColumnDecl<C, M>>) {
                        if (d.member != pointer) return;
                        if (d.type) type = d.type;
                        options.insert(options.end(), d.options.begin(), d.options.end());
                        fks.insert(fks.end(), d.foreign_keys.begin(), d.foreign_keys.end());
                    }
                }(one),
                ...);
        },
        decls);
}
template <class C, class S, class... Decls>
void collect_relationship(const std::tuple<Decls...>& decls, S C::*pointer, RelationshipOptions& options) {
    std::apply(
        [&](const auto&... one) {
            (
                [&](const auto& d) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(d)>, RelationshipDecl<C, S>>)
                        if (d.member == pointer) options = d.options;
                }(one),
                ...);
        },
        decls);
}

template <class C, class D, class Decl>
void add_member(MapperDraft& draft, const Decl& decl) {
    using M = member_t<C, D>;
    if constexpr (slot_traits<M>::is_slot) {
        RelationshipDraft r{{}, &class_entry<typename slot_traits<M>::target>(), {}};
        r.property.name = D::name;
        r.property.direction = slot_traits<M>::is_collection ? Direction::one_to_many : Direction::many_to_one;
        r.property.known = &slot_known<C, D>;
        r.property.items = &slot_items<C, D>;
        r.property.assign = &slot_assign<C, D>;
        r.property.unload = &slot_unload<C, D>;
        r.property.weaken = &slot_weaken<C, D>;
        collect_relationship<C, M>(decl.decls, D::pointer, r.options);
        draft.relationships.push_back(std::move(r));
    } else {
        using V = column_value_t<M>;
        static_assert(Bindable<V> && Readable<V>,
                      "a member listed in RETORT_MAPPED is neither a column type (integers, strings, "
                      "std::optional, chrono types, Bytes, Decimal, Uuid, Json, orm::Defaulted of one...) "
                      "nor a Collection/Reference");
        std::optional<SqlType> type;
        std::vector<sql::ColumnOption> options;
        std::vector<ForeignKey> fks;
        collect_column<C, M>(decl.decls, D::pointer, type, options, fks);
        std::size_t i = add_draft_column(draft, D::name, type.value_or(ValueTraits<V>::sql_type()), !is_optional_v<V>,
                                         std::move(options));
        draft.mapper->mutable_columns().push_back(ColumnProperty{D::name, i, is_defaulted<M>, &column_get<C, D>,
                                                                 &column_set<C, D>, &column_equals<C, D>,
                                                                 &column_unassigned<C, D>, &column_reset<C, D>});
        for (auto& fk : fks) draft.foreign_keys.emplace_back(i, std::move(fk));
    }
}

template <class C>
MapperDraft build_mapper(Registry& registry) {
    static_assert(std::is_default_constructible_v<C>, "a mapped class must be default-constructible");
    auto decl = C::mapping();
    MapperDraft draft = start_draft(registry, boost::core::demangle(typeid(C).name()), typeid(C), decl.name,
                                    &create_object<C>);
    boost::mp11::mp_for_each<members_of<C>>([&](auto d) { add_member<C, decltype(d)>(draft, decl); });
    std::apply([&](const auto&... d) { (add_table_declaration(draft, d), ...); }, decl.decls);
    return draft;
}

template <class C>
Registry& registry_of() {
    return *C::mapping().registry;
}

bool register_class(const ClassEntry& entry);
/// The mapper of the class of `entry`, configuring its registry first.
const Mapper& mapper_of(const ClassEntry& entry);

template <class C>
const ClassEntry& class_entry() {
    static const ClassEntry entry{typeid(C), &registry_of<C>, &build_mapper<C>};
    return entry;
}

}  // namespace detail

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
