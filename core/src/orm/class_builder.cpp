// Building one class's draft from what RETORT_MAPPED hands over: its members in
// order and the declarations of its mapping(), matched by member name.
#include <algorithm>

#include "mapper_build.hpp"

namespace retort::orm::detail {

std::size_t column_index(const sql::TableNode& t, std::string_view name, std::string_view context) {
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        if (t.columns[i].name == name) return i;
    throw MappingError(std::string(context) + ": table '" + t.name + "' has no column '" + std::string(name) + "'");
}

namespace {

std::vector<std::size_t> columns_named(const MapperDraft& draft, const std::vector<std::string>& names,
                                       const std::string& context) {
    if (names.empty()) throw MappingError(context + ": no columns named");
    std::vector<std::size_t> out;
    for (const auto& n : names) out.push_back(column_index(draft.mapper->table_node(), n, context));
    return out;
}

sql::TableNode& node_of(MapperDraft& draft) { return const_cast<sql::TableNode&>(draft.mapper->table_node()); }

template <class Options>
Options* declared_for(std::vector<std::pair<ClassBuilder::Declared, Options>>& declared, std::string_view member) {
    for (auto& [d, options] : declared)
        if (d.member == member) {
            d.used = true;
            return &options;
        }
    return nullptr;
}

}  // namespace

bool value_equals(const Value& a, const Value& b) { return a == b; }

void throw_member_not_listed(const std::type_info& type) {
    throw MappingError("a member of " + boost::core::demangle(type.name()) +
                       " is used in a mapping but not listed in RETORT_MAPPED");
}

ClassBuilder::ClassBuilder(Registry& registry, ClassSpec spec) {
    sql::Table table(MapperBuild::metadata(registry), std::move(spec.table_name));
    draft.mapper = MapperBuild::make({std::move(spec.class_name), spec.type, &registry, table, spec.create});
}

ClassBuilder& begin_class(DraftList& out, Registry& registry, ClassSpec spec) {
    out.classes.push_back(std::make_unique<ClassBuilder>(registry, std::move(spec)));
    return *out.classes.back();
}

void declare_column(ClassBuilder& b, const char* member, const ColumnOptions& options) {
    if (declared_for(b.columns, member))
        throw MappingError(b.draft.mapper->class_name() + "." + member + " is declared twice in mapping()");
    b.columns.push_back({{member}, options});
}

void declare_relationship(ClassBuilder& b, const char* member, const RelationshipOptions& options) {
    if (declared_for(b.relationships, member))
        throw MappingError(b.draft.mapper->class_name() + "." + member + " is declared twice in mapping()");
    b.relationships.push_back({{member}, options});
}

void declare(ClassBuilder& b, const UniqueConstraint& d) { b.uniques.push_back(d); }
void declare(ClassBuilder& b, const TableIndex& d) { b.indexes.push_back(d); }
void declare(ClassBuilder& b, const ForeignKeyConstraint& d) {
    // Resolved at configure(), once the target table exists.
    b.draft.composite_foreign_keys.push_back(d);
}
void declare(ClassBuilder& b, const ImplicitReturning& d) {
    MapperBuild::set_implicit_returning(*b.draft.mapper, d.enabled);
}

void add_member(ClassBuilder& b, const MemberSpec& m) {
    auto& draft = b.draft;
    if (m.relationship) {
        RelationshipDraft r{{}, &m.target(), {}};
        r.property.name = m.name;
        r.property.direction = m.collection ? Direction::one_to_many : Direction::many_to_one;
        r.property.offset = m.offset;
        r.property.access = m.relationship;
        if (auto* options = declared_for(b.relationships, m.name)) r.options = *options;
        draft.relationships.push_back(std::move(r));
        return;
    }
    ColumnOptions none;
    const ColumnOptions* declared = declared_for(b.columns, m.name);
    if (!declared) declared = &none;
    sql::Table table = draft.mapper->table();
    std::size_t i = table.add_column(m.name, declared->type.value_or(m.sql_type()), !m.nullable, declared->options);
    MapperBuild::columns(*draft.mapper).push_back(ColumnProperty{m.name, i, m.defaulted, m.offset, m.column});
    for (const auto& fk : declared->foreign_keys) draft.foreign_keys.emplace_back(i, fk);
}

void finish_class(ClassBuilder& b) {
    auto& draft = b.draft;
    const std::string& class_name = draft.mapper->class_name();
    for (const auto& [d, _] : b.columns)
        if (!d.used)
            throw MappingError(class_name + "." + d.member + " is declared with column() but is a relationship");
    for (const auto& u : b.uniques) {
        auto columns = columns_named(draft, u.columns, "unique_constraint of " + class_name);
        node_of(draft).uniques.push_back({u.name, std::move(columns)});
    }
    for (const auto& x : b.indexes) {
        std::string context = "table_index of " + class_name;
        if (x.name.empty()) throw MappingError(context + ": an index needs a name");
        auto columns = columns_named(draft, x.columns, context);
        node_of(draft).indexes.push_back({x.name, std::move(columns), x.unique});
    }
}

}  // namespace retort::orm::detail
