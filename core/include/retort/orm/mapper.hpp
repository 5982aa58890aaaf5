// The run-time description of a mapped class that the session, the unit of
// work and the loaders work from: its table, how to read and write each column
// attribute of an object, and its relationships. Built once per class from the
// class's mapping() (see orm/mapping.hpp); read-only afterwards.
//
// Objects are handled here as `void*`: an attribute is the member's offset and a
// table of functions generated once per member type (not per member, which
// would cost every application compile time per column): no virtual call, no
// allocation per attribute beyond the Value itself.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeindex>
#include <vector>

#include "retort/orm/collection.hpp"
#include "retort/sql/table.hpp"
#include "retort/value.hpp"

namespace retort::sql {
class Select;
}

namespace retort::orm {

class Mapper;
class Registry;
namespace detail {
struct MapperBuild;
}

/// How to read and write a member of one type: generated once per member type
/// (every `std::optional<std::string>` member of every class shares it) and
/// applied to the member's address.
struct ColumnAccess {
    Value (*get)(const void* member);
    void (*set)(void* member, const Value& v);
    bool (*equals)(const void* member, const Value& v);
    bool (*is_unassigned)(const void* member);
    void (*reset)(void* member);
};

/// One column attribute of a mapped class.
struct ColumnProperty {
    std::string name;   ///< the member's (and the column's) name
    std::size_t index;  ///< its position in the mapper's columns and in the table
    /// Whether the member is an orm::Defaulted<T>, which may be left to a default.
    bool defaulted;
    std::size_t offset;          ///< of the member within its object
    const ColumnAccess* access;  ///< for the member's type

    /// Throws ArgumentError for an unassigned Defaulted member.
    Value get(const void* object) const { return access->get(member(object)); }
    /// Throws ArgumentError when `v` does not convert to the member's type.
    void set(void* object, const Value& v) const { access->set(member(object), v); }
    /// Whether the member holds `v` (without building a Value for it); an
    /// unassigned Defaulted member holds no value.
    bool equals(const void* object, const Value& v) const { return access->equals(member(object), v); }
    /// Whether the member is a Defaulted one the program never assigned: on
    /// INSERT its column is left to its generated key, server default or client
    /// default. Never true for a plain member: what it holds is always written.
    bool is_unassigned(const void* object) const { return access->is_unassigned(member(object)); }
    /// Makes a Defaulted member unassigned again (a rollback undoing what a
    /// flush filled in); does nothing to a plain member.
    void reset(void* object) const { access->reset(member(object)); }

private:
    const void* member(const void* object) const { return static_cast<const char*>(object) + offset; }
    void* member(void* object) const { return static_cast<char*>(object) + offset; }
};

enum class Direction : std::uint8_t { one_to_many, many_to_one, many_to_many };

/// How a relationship is loaded when no loader option says otherwise.
enum class Lazy : std::uint8_t {
    raise,     ///< not loaded: reading it throws LazyLoadError (load it explicitly)
    selectin,  ///< loaded by a second SELECT ... WHERE key IN (...) per batch of parents
    joined,    ///< loaded in the same SELECT by a LEFT OUTER JOIN
};

/// What an operation on a parent does to the objects of one of its relationships.
struct Cascade {
    bool save_update = true;     ///< adding the parent adds them; flush writes them
    bool delete_ = false;        ///< deleting the parent deletes them
    bool delete_orphan = false;  ///< removing one from the parent's collection deletes it
    /// SQLAlchemy's spelling: "save-update", "delete", "delete-orphan", "all"
    /// (save-update and delete), separated by commas. Throws MappingError on an unknown word.
    static Cascade parse(std::string_view text);
};

class RelationshipProperty;

/// How to reach a relationship member of one type (Collection<T>, Reference<T>):
/// generated once per member type and applied to the member's address.
struct RelationshipAccess {
    bool (*known)(const void* member);
    std::vector<std::shared_ptr<void>> (*items)(const void* member);
    /// Calls `fn(context, object)` for each object items() would give, without
    /// copying or owning them.
    void (*each)(const void* member, void* context, void (*fn)(void* context, const void* object));
    void (*assign)(void* member, std::span<const std::shared_ptr<void>> items);
    void (*unload)(void* member, const RelationshipProperty& rel);
    void (*weaken)(void* member, const void* target, const RelationshipProperty& rel);
};

/// One relationship of a mapped class.
class RelationshipProperty {
public:
    std::string name;
    const Mapper* parent = nullptr;
    const Mapper* target = nullptr;
    Direction direction = Direction::one_to_many;
    Lazy lazy = Lazy::raise;
    Cascade cascade;
    /// The columns joined, pairwise. one-to-many: parent's referenced columns ->
    /// target's foreign key columns. many-to-one: parent's foreign key columns ->
    /// target's referenced columns. many-to-many: parent's key -> `secondary_local`,
    /// and `secondary_remote` -> target's key.
    std::vector<std::size_t> local_columns, remote_columns;
    std::shared_ptr<const sql::TableNode> secondary;
    std::vector<std::size_t> secondary_local, secondary_remote;
    /// ORDER BY of the related objects: target column index and descending flag.
    std::vector<std::pair<std::size_t, bool>> order_by;
    /// The relationship of the target that mirrors this one, if back_populates names it.
    const RelationshipProperty* reverse = nullptr;
    /// Of a back_populates pair, whether this side's link gives way where the
    /// two sides hold each other: it stops owning (see Reference, Collection).
    /// The many-to-one side of a one-to-many; of a many-to-many, the one whose
    /// qualified name sorts second. (A relationship that mirrors itself: the
    /// link from the object at the higher address.)
    bool yields = false;

    /// "A.bs", for messages.
    std::string qualified_name() const;
    bool is_collection() const { return direction != Direction::many_to_one; }

    // ---- the member (Collection<T> or Reference<T>) of a parent object ----
    /// Whether the relationship of `object` is loaded and none of its
    /// non-owning links lost its object: only then is it compared, cascaded
    /// and written (a released link says nothing about the rows).
    bool known(const void* object) const { return access->known(member(object)); }
    /// The related objects (a Reference gives zero or one), ignoring the loaded
    /// flag and leaving out released ones (see known).
    std::vector<std::shared_ptr<void>> items(const void* object) const { return access->items(member(object)); }
    /// Calls `f(const void*)` for each object items() gives, allocating nothing:
    /// for the flush's walks, which only compare and look up addresses.
    template <class F>
    void for_each_item(const void* object, F&& f) const {
        using Fn = std::remove_reference_t<F>;
        access->each(member(object), const_cast<void*>(static_cast<const void*>(&f)),
                     [](void* context, const void* item) { (*static_cast<Fn*>(context))(item); });
    }
    /// Replaces the related objects and marks the relationship loaded.
    void assign(void* object, std::span<const std::shared_ptr<void>> items) const {
        access->assign(member(object), items);
    }
    /// Marks the relationship not loaded (its content is cleared).
    void unload(void* object) const { access->unload(member(object), *this); }
    /// Stops owning `target`, if it holds it (see Reference and Collection).
    void weaken(void* object, const void* target) const { access->weaken(member(object), target, *this); }

    std::size_t offset = 0;                     ///< of the member within its object
    const RelationshipAccess* access = nullptr;  ///< for the member's type

private:
    const void* member(const void* object) const { return static_cast<const char*>(object) + offset; }
    void* member(void* object) const { return static_cast<char*>(object) + offset; }
};

class Mapper {
public:
    const std::string& class_name() const { return class_name_; }
    std::type_index type() const { return type_; }
    const sql::Table& table() const { return table_; }
    const sql::TableNode& table_node() const { return table_.table(); }
    const std::vector<ColumnProperty>& columns() const { return columns_; }
    const std::vector<RelationshipProperty>& relationships() const { return relationships_; }
    /// Indexes into columns() of the primary key, in key order.
    const std::vector<std::size_t>& primary_key() const { return primary_key_; }
    /// The column the database generates on INSERT, if any.
    std::optional<std::size_t> generated_key() const { return generated_key_; }
    /// The column or relationship named `name`; throws ArgumentError naming the
    /// class when there is none.
    const ColumnProperty& column(std::string_view name) const;
    const RelationshipProperty& relationship(std::string_view name) const;
    /// A new, value-initialised object of the class.
    std::shared_ptr<void> create() const { return create_(); }
    Registry& registry() const { return *registry_; }
    /// Position of its table among the registry's tables in foreign-key order
    /// (referenced tables first): the order in which a flush writes mappers.
    std::size_t flush_order() const { return flush_order_; }
    /// Whether a flush may read generated keys and server defaults back with
    /// INSERT ... RETURNING (when the dialect has it). Off: one INSERT per object
    /// with a generated key, the driver's last insert id, and a SELECT by key for
    /// server defaults, as on a database without RETURNING.
    bool implicit_returning() const { return implicit_returning_; }

private:
    // Built and configured by the registry (core/src/orm/registry.cpp).
    friend struct detail::MapperBuild;
    struct Parts;
    explicit Mapper(Parts parts);
    void finish_columns();

    std::string class_name_;
    std::type_index type_;
    Registry* registry_;
    sql::Table table_;
    std::shared_ptr<void> (*create_)();
    std::vector<ColumnProperty> columns_;
    std::vector<RelationshipProperty> relationships_;
    std::vector<std::size_t> primary_key_;
    std::optional<std::size_t> generated_key_;
    std::size_t flush_order_ = 0;
    bool implicit_returning_ = true;
    std::shared_ptr<const sql::Select> by_key_;  ///< see detail::MapperBuild::select_by_key
};

}  // namespace retort::orm
