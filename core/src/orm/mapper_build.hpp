// The registry's side of building mappers: what a class hands over through
// RETORT_MAPPED (orm/detail/class_builder.hpp) becomes a draft here, and the
// registry's configure() resolves the drafts into mappers.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "retort/orm/mapping.hpp"

namespace retort::orm {

struct Mapper::Parts {
    std::string class_name;
    std::type_index type;
    Registry* registry;
    sql::Table table;
    std::shared_ptr<void> (*create)();
};

namespace detail {

/// A relationship as declared, before its target and join are known.
struct RelationshipDraft {
    RelationshipProperty property;  ///< name, direction and member access filled in
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

/// One class's draft being built from its members and its mapping() declarations.
class ClassBuilder {
public:
    ClassBuilder(Registry& registry, ClassSpec spec);
    MapperDraft draft;

    struct Declared {
        std::string member;
        bool used = false;
    };
    std::vector<std::pair<Declared, ColumnOptions>> columns;
    std::vector<std::pair<Declared, RelationshipOptions>> relationships;
    std::vector<UniqueConstraint> uniques;
    std::vector<TableIndex> indexes;
};

/// The classes built by one configure(), in the order they were built.
struct DraftList {
    std::vector<std::unique_ptr<ClassBuilder>> classes;
};

/// The index of column `name` of `t`; throws MappingError, prefixed with `context`, when there is none.
std::size_t column_index(const sql::TableNode& t, std::string_view name, std::string_view context);

/// The friend of Mapper and Registry through which they are built.
struct MapperBuild {
    static Registry::Impl& impl(Registry& r) { return *r.impl_; }
    static std::unique_ptr<Mapper> make(Mapper::Parts parts) { return std::unique_ptr<Mapper>(new Mapper(std::move(parts))); }
    static std::vector<ColumnProperty>& columns(Mapper& m) { return m.columns_; }
    static std::vector<RelationshipProperty>& relationships(Mapper& m) { return m.relationships_; }
    static void finish_columns(Mapper& m) { m.finish_columns(); }
    static void set_flush_order(Mapper& m, std::size_t order) { m.flush_order_ = order; }
    static void set_implicit_returning(Mapper& m, bool enabled) { m.implicit_returning_ = enabled; }
    /// SELECT of the mapper's table WHERE each primary key column = :k0, :k1...
    /// (a get's statement): built once with the mapper, so that its cache key
    /// is built once too.
    static const sql::Select& select_by_key(const Mapper& m) { return *m.by_key_; }
    /// The parameter name of the primary key's k-th column in select_by_key().
    static std::string key_param(std::size_t k) { return "k" + std::to_string(k); }
    /// The registry's MetaData, without configuring it (drafts add their tables to it).
    static MetaData& metadata(Registry& r);
};

}  // namespace detail
}  // namespace retort::orm
