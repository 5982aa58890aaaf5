// Configuring mappers: the drafts built from each class's mapping() get their
// foreign keys, association tables, relationship joins and back_populates,
// in that order, because each step needs the tables of the one before.
#include <algorithm>
#include <map>
#include <mutex>

#include "mapper_build.hpp"
#include "retort/sql/select.hpp"

namespace retort::orm {

namespace {

struct AssociationDecl {
    std::string name;
    std::vector<AssociationColumn> columns;
    ReferentialAction on_delete;
};

// Every class RETORT_MAPPED (or first used) anywhere, whatever its registry.
struct ClassList {
    std::mutex mutex;
    std::vector<const detail::ClassEntry*> entries;
};
ClassList& classes() {
    static ClassList list;
    return list;
}

std::shared_ptr<const sql::TableNode> find_table(const MetaData& md, std::string_view name) {
    for (const auto& t : md.tables())
        if (t->name == name) return t;
    return nullptr;
}

using detail::column_index;

}  // namespace

struct Registry::Impl {
    std::recursive_mutex mutex;
    MetaData metadata;
    std::map<std::type_index, std::unique_ptr<Mapper>> mappers;
    std::vector<AssociationDecl> pending_associations;
    std::vector<AssociationDecl> declared_associations;  ///< every one ever declared, to tell a repeat
    /// The error of a configure() that failed part-way: its tables may be in the
    /// MetaData without mappers, so every later configure() reports it again
    /// rather than a confusing consequence of it.
    std::optional<std::string> failure;

    void configure(Registry& self);
    void configure_once(Registry& self);
    void add_foreign_key(detail::MapperDraft& d, std::vector<std::size_t> columns, std::string_view target_table,
                         std::vector<std::string> target_columns, ReferentialAction on_delete,
                         ReferentialAction on_update, const std::string& context);
    void build_association(const AssociationDecl& a);
    void resolve(Mapper& parent, RelationshipProperty& rel, const Mapper& target, const RelationshipOptions& opts);
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {}
Registry::~Registry() = default;

Registry& default_registry() {
    static Registry r;
    return r;
}

MetaData& Registry::metadata() {
    configure();
    return impl_->metadata;
}

void Registry::configure() {
    std::lock_guard lock(impl_->mutex);
    impl_->configure(*this);
}

bool association_table(Registry& registry, std::string name, std::vector<AssociationColumn> columns,
                       ReferentialAction on_delete) {
    if (columns.size() < 2) throw MappingError("association table '" + name + "' needs at least two columns");
    auto& impl = detail::MapperBuild::impl(registry);
    std::lock_guard lock(impl.mutex);
    auto& declared = impl.declared_associations;
    // A header declaring it, included by several translation units, declares it
    // once per unit: the same declaration again is the same table.
    for (const auto& d : declared) {
        if (d.name != name) continue;
        bool same = d.on_delete == on_delete && d.columns.size() == columns.size() &&
                    std::equal(columns.begin(), columns.end(), d.columns.begin(), [](const auto& a, const auto& b) {
                        return a.name == b.name && a.references == b.references;
                    });
        if (same) return true;
        throw MappingError("association table '" + name + "' is declared twice with different columns");
    }
    declared.push_back({name, columns, on_delete});
    impl.pending_associations.push_back({std::move(name), std::move(columns), on_delete});
    return true;
}

void Registry::Impl::configure(Registry& self) {
    if (failure) throw MappingError("this registry's mappings failed to configure earlier: " + *failure);
    try {
        configure_once(self);
    } catch (const std::exception& e) {
        failure = e.what();
        throw;
    }
}

void Registry::Impl::configure_once(Registry& self) {
    // The classes of this registry not built yet, plus any class a relationship
    // reaches that was never registered (it was only named as a target).
    std::vector<const detail::ClassEntry*> todo;
    {
        std::lock_guard lock(classes().mutex);
        for (const auto* e : classes().entries)
            if (!mappers.count(e->type) && &e->registry() == &self) todo.push_back(e);
    }
    if (todo.empty() && pending_associations.empty()) return;

    detail::DraftList list;
    std::vector<detail::MapperDraft*> drafts;
    for (std::size_t i = 0; i < todo.size(); ++i) {
        todo[i]->build(self, list);
        drafts.push_back(&list.classes.back()->draft);
        for (const auto& r : drafts.back()->relationships) {
            bool known = mappers.count(r.target->type) ||
                         std::any_of(todo.begin(), todo.end(), [&](auto* e) { return e->type == r.target->type; });
            if (known) continue;
            if (&r.target->registry() != &self)
                throw MappingError("relationship " + drafts.back()->mapper->class_name() + "." + r.property.name +
                                   ": its target class is mapped in another registry");
            detail::register_class(*r.target);
            todo.push_back(r.target);
        }
    }
    for (auto* dp : drafts) {
        auto& d = *dp;
        const auto& table = d.mapper->table_node();
        for (const auto& [column, fk] : d.foreign_keys) {
            std::string context = "foreign key of " + d.mapper->class_name() + "." + table.columns[column].name;
            std::string target = fk.target();
            auto dot = target.rfind('.');
            if (dot == std::string::npos || dot == 0 || dot + 1 == target.size())
                throw MappingError(context + ": '" + target + "' is not \"table.column\"");
            add_foreign_key(d, {column}, std::string_view(target).substr(0, dot), {target.substr(dot + 1)},
                            fk.on_delete, fk.on_update, context);
        }
        for (const auto& fk : d.composite_foreign_keys) {
            std::string context = "foreign_key_constraint of " + d.mapper->class_name();
            std::vector<std::size_t> columns;
            for (const auto& name : fk.columns) columns.push_back(column_index(table, name, context));
            add_foreign_key(d, std::move(columns), fk.target_table, fk.target_columns, fk.on_delete, fk.on_update,
                            context);
        }
    }
    for (const auto& a : pending_associations) build_association(a);
    pending_associations.clear();
    for (auto* d : drafts) detail::MapperBuild::finish_columns(*d->mapper);

    std::vector<std::pair<Mapper*, detail::MapperDraft*>> built;
    for (auto* d : drafts) {
        Mapper* m = d->mapper.get();
        mappers.emplace(m->type(), std::move(d->mapper));
        built.emplace_back(m, d);
    }
    for (auto [m, d] : built) {
        for (auto& r : d->relationships) detail::MapperBuild::relationships(*m).push_back(r.property);
        for (std::size_t i = 0; i < d->relationships.size(); ++i) {
            const auto& r = d->relationships[i];
            resolve(*m, detail::MapperBuild::relationships(*m)[i], *mappers.at(r.target->type), r.options);
        }
    }
    // The flush order: sorted once here rather than at every flush.
    auto sorted = metadata.sorted_tables();
    for (auto& [_, m] : mappers)
        for (std::size_t i = 0; i < sorted.size(); ++i)
            if (sorted[i].get() == &m->table_node()) detail::MapperBuild::set_flush_order(*m, i);
    // back_populates once every relationship exists.
    for (auto [m, d] : built)
        for (std::size_t i = 0; i < d->relationships.size(); ++i) {
            auto& rel = detail::MapperBuild::relationships(*m)[i];
            const auto& name = d->relationships[i].options.back_populates;
            if (name.empty()) continue;
            const auto& back = rel.target->relationship(name);
            if (back.target != m)
                throw MappingError("relationship " + rel.qualified_name() + ": back_populates names " +
                                   back.qualified_name() + ", which does not point back at " + m->class_name());
            rel.reverse = &back;
            rel.yields = rel.direction == Direction::many_to_one ||
                         (rel.direction == Direction::many_to_many && rel.qualified_name() > back.qualified_name());
        }
}

void Registry::Impl::add_foreign_key(detail::MapperDraft& d, std::vector<std::size_t> columns,
                                     std::string_view target_table, std::vector<std::string> target_columns,
                                     ReferentialAction on_delete, ReferentialAction on_update,
                                     const std::string& context) {
    auto& table = const_cast<sql::TableNode&>(d.mapper->table_node());
    auto target = find_table(metadata, target_table);
    if (!target)
        throw MappingError(context + ": no table '" + std::string(target_table) +
                           "' in this registry (is its class listed with RETORT_MAPPED?)");
    if (columns.empty() || columns.size() != target_columns.size())
        throw MappingError(context + ": " + std::to_string(columns.size()) + " column(s) reference " +
                           std::to_string(target_columns.size()) + " column(s) of '" + target->name + "'");
    for (const auto& c : target_columns) column_index(*target, c, context);
    sql::ForeignKeySpec spec;
    spec.columns = std::move(columns);
    spec.target = target;
    spec.target_columns = std::move(target_columns);
    spec.on_delete = on_delete;
    spec.on_update = on_update;
    table.foreign_keys.push_back(std::move(spec));
}

void Registry::Impl::build_association(const AssociationDecl& a) {
    std::string context = "association table '" + a.name + "'";
    sql::Table table(metadata, a.name);
    auto& node = const_cast<sql::TableNode&>(table.table());
    for (const auto& c : a.columns) {
        auto dot = c.references.rfind('.');
        auto target = dot == std::string::npos ? nullptr : find_table(metadata, std::string_view(c.references).substr(0, dot));
        if (!target) throw MappingError(context + ": column '" + c.name + "' references unknown '" + c.references + "'");
        std::string target_column = c.references.substr(dot + 1);
        std::size_t ti = column_index(*target, target_column, context);
        std::size_t i = table.add_column(c.name, target->columns[ti].type, true, {sql::primary_key()});
        sql::ForeignKeySpec spec;
        spec.columns = {i};
        spec.target = target;
        spec.target_columns = {target_column};
        spec.on_delete = a.on_delete;
        node.foreign_keys.push_back(std::move(spec));
    }
}

void Registry::Impl::resolve(Mapper& parent, RelationshipProperty& rel, const Mapper& target,
                             const RelationshipOptions& opts) {
    rel.parent = &parent;
    rel.target = &target;
    rel.lazy = opts.lazy;
    rel.cascade = Cascade::parse(opts.cascade);
    const std::string where = "relationship " + rel.qualified_name();

    // The foreign keys of `holder` that point at `referenced`, narrowed to the
    // ones named in opts.foreign_keys when given.
    auto candidates = [&](const sql::TableNode& holder, const sql::TableNode& referenced) {
        std::vector<const sql::ForeignKeySpec*> out;
        for (const auto& fk : holder.foreign_keys) {
            if (fk.target.lock().get() != &referenced) continue;
            if (!opts.foreign_keys.empty()) {
                bool named = std::all_of(fk.columns.begin(), fk.columns.end(), [&](std::size_t c) {
                    return std::find(opts.foreign_keys.begin(), opts.foreign_keys.end(), holder.columns[c].name) !=
                           opts.foreign_keys.end();
                });
                if (!named) continue;
            }
            out.push_back(&fk);
        }
        return out;
    };
    auto exactly_one = [&](const std::vector<const sql::ForeignKeySpec*>& fks, const sql::TableNode& holder,
                           const sql::TableNode& referenced) -> const sql::ForeignKeySpec& {
        if (fks.size() == 1) return *fks.front();
        throw MappingError(where + ": " + (fks.empty() ? "no foreign key" : "more than one foreign key") + " in '" +
                           holder.name + "' references '" + referenced.name + "'" +
                           (fks.empty() ? "" : "; name the one to use with foreign_keys"));
    };
    auto columns_named = [&](const sql::TableNode& t, const std::vector<std::string>& names) {
        std::vector<std::size_t> out;
        for (const auto& n : names) out.push_back(column_index(t, n, where));
        return out;
    };

    const auto& pt = parent.table_node();
    const auto& tt = target.table_node();
    if (!opts.secondary.empty()) {
        if (rel.direction != Direction::one_to_many)
            throw MappingError(where + ": a secondary table needs a Collection member");
        rel.direction = Direction::many_to_many;
        rel.secondary = find_table(metadata, opts.secondary);
        if (!rel.secondary) throw MappingError(where + ": no association table '" + opts.secondary + "'");
        if (&pt == &tt) throw MappingError(where + ": a self-referential many-to-many is not supported yet");
        const auto& local = exactly_one(candidates(*rel.secondary, pt), *rel.secondary, pt);
        const auto& remote = exactly_one(candidates(*rel.secondary, tt), *rel.secondary, tt);
        rel.local_columns = columns_named(pt, local.target_columns);
        rel.secondary_local = local.columns;
        rel.secondary_remote = remote.columns;
        rel.remote_columns = columns_named(tt, remote.target_columns);
    } else if (rel.direction == Direction::one_to_many) {
        const auto& fk = exactly_one(candidates(tt, pt), tt, pt);
        rel.local_columns = columns_named(pt, fk.target_columns);
        rel.remote_columns = fk.columns;
    } else {
        const auto& fk = exactly_one(candidates(pt, tt), pt, tt);
        rel.local_columns = fk.columns;
        rel.remote_columns = columns_named(tt, fk.target_columns);
    }
    if (rel.direction == Direction::many_to_one && (rel.cascade.delete_orphan))
        throw MappingError(where + ": delete-orphan applies to collections (one-to-many), not to a Reference");
    for (const auto& o : opts.order_by) rel.order_by.emplace_back(column_index(tt, o.column(), where), o.desc);
}

// ---- Mapper, RelationshipProperty, Cascade ------------------------------------------

Mapper::Mapper(Parts p)
    : class_name_(std::move(p.class_name)), type_(p.type), registry_(p.registry), table_(std::move(p.table)),
      create_(p.create) {}

void Mapper::finish_columns() {
    const auto& t = table_node();
    primary_key_ = t.primary_key;
    if (primary_key_.empty())
        throw MappingError("mapped class " + class_name_ + " (table '" + t.name +
                           "') has no primary key: mark a column with primary_key()");
    generated_key_ = t.autoincrement_column();
    // What decides whether a column may be left to a default is the member's
    // type, never its value: a plain member is always written (see orm/defaulted.hpp).
    for (const auto& c : columns_) {
        const auto& spec = t.columns[c.index];
        std::string where = class_name_ + "." + c.name;
        bool generated = generated_key_ == c.index;
        if (!c.defaulted) {
            if (generated)
                throw MappingError(where + " is a generated key: declare it orm::Defaulted<std::int64_t> (left to "
                                   "the database, read back at flush), or give it autoincrement(false) to choose "
                                   "keys in the program");
            if (spec.server_default || spec.default_factory)
                throw MappingError(where + " has a default, which the ORM uses only for an orm::Defaulted<T> "
                                   "member: a plain member is always written as the program set it");
        } else if (!generated && !spec.server_default && !spec.default_factory) {
            throw MappingError(where + " is orm::Defaulted but its column has no default to take: give it "
                               "server_default(...) or default_value(...), or make it a plain member");
        }
    }
    auto by_key = sql::select(table_);
    for (std::size_t k = 0; k < primary_key_.size(); ++k) {
        const auto& spec = t.columns[primary_key_[k]];
        by_key = by_key.where(table_.c<Value>(spec.name) == sql::bindparam<Value>(detail::MapperBuild::key_param(k), spec.type));
    }
    by_key_ = std::make_shared<const sql::Select>(std::move(by_key));
}

const ColumnProperty& Mapper::column(std::string_view name) const {
    for (const auto& c : columns_)
        if (c.name == name) return c;
    throw ArgumentError(class_name_ + " has no mapped column '" + std::string(name) + "'");
}

const RelationshipProperty& Mapper::relationship(std::string_view name) const {
    for (const auto& r : relationships_)
        if (r.name == name) return r;
    throw MappingError(class_name_ + " has no relationship '" + std::string(name) + "'");
}

std::string RelationshipProperty::qualified_name() const {
    return (parent ? parent->class_name() : std::string("?")) + "." + name;
}

Cascade Cascade::parse(std::string_view text) {
    Cascade c{false, false, false};
    std::size_t pos = 0;
    while (pos <= text.size()) {
        auto comma = text.find(',', pos);
        auto word = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
        while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
        if (word == "save-update") c.save_update = true;
        else if (word == "delete") c.delete_ = true;
        else if (word == "delete-orphan") c.delete_orphan = true;
        else if (word == "all") c.save_update = c.delete_ = true;
        else if (!word.empty() && word != "merge" && word != "refresh-expire" && word != "expunge")
            throw MappingError("unknown cascade '" + std::string(word) +
                               "'; known: save-update, delete, delete-orphan, all");
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return c;
}

namespace detail {

void throw_not_loaded(const RelationshipProperty& rel) {
    throw LazyLoadError(rel.qualified_name() +
                        " is not loaded, and the async ORM does no hidden I/O: load it in the query "
                        "(selectinload / joinedload) or with co_await session.load(object, &" +
                        rel.qualified_name().replace(rel.qualified_name().rfind('.'), 1, "::") + ")");
}

void throw_released(const RelationshipProperty& rel) {
    throw LazyLoadError(rel.qualified_name() + " refers to a " + rel.target->class_name() +
                        " that was released: this side of a back_populates pair does not own its target (so that "
                        "the two do not keep each other alive); hold the " + rel.target->class_name() +
                        ", or load " + rel.qualified_name() + " again");
}

bool register_class(const ClassEntry& entry) {
    std::lock_guard lock(classes().mutex);
    for (const auto* e : classes().entries)
        if (e->type == entry.type) return true;
    classes().entries.push_back(&entry);
    return true;
}

MetaData& MapperBuild::metadata(Registry& r) { return impl(r).metadata; }

const Mapper& mapper_of(const ClassEntry& entry) {
    register_class(entry);
    Registry& registry = entry.registry();
    std::lock_guard lock(detail::MapperBuild::impl(registry).mutex);
    detail::MapperBuild::impl(registry).configure(registry);
    return *detail::MapperBuild::impl(registry).mappers.at(entry.type);
}

}  // namespace detail

}  // namespace retort::orm
