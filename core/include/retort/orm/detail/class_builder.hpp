// How RETORT_MAPPED turns a class into a mapper. Only what must know the
// user's types is here, and it is kept small because every application
// compiles it for each of its classes: per member, a description (name,
// offset, and the accessor table of its type, generated once per member type);
// per class, one function that hands the members and the declarations of
// mapping() to the registry. Everything else (matching declarations to
// members, creating the table, checking the mapping) is compiled once, in
// core/src/orm/class_builder.cpp. Included by orm/mapping.hpp, after the
// declarations it builds from.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <typeindex>
#include <vector>

#include "retort/orm/defaulted.hpp"
#include "retort/orm/detail/members.hpp"
#include "retort/orm/mapper.hpp"
#include "retort/value.hpp"

namespace retort::orm::detail {

/// Reaches the private state of Collection and Reference for the mapper.
struct SlotAccess {
    /// Calls `f(const std::shared_ptr<T>&)` for each object it holds, leaving
    /// out released ones (see known()). A collection's link that gave way is
    /// locked for the call; one whose object is gone without being released
    /// gives nullptr.
    template <class T, class F>
    static void visit(const Collection<T>& c, F&& f) {
        for (std::size_t i = 0; i < c.items_.size(); ++i) {
            if (c.items_[i] || c.mirrors_.empty()) f(c.items_[i]);
            else if (auto p = c.mirrors_[i].lock(); p || !c.released(i)) f(p);
        }
    }
    template <class T, class F>
    static void visit(const Reference<T>& r, F&& f) {
        if (!r.released_by_) {
            if (r.target_) f(r.target_);
        } else if (auto p = r.back_.lock()) {
            f(p);
        }
    }
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

// ---- the accessor tables, one per member type ---------------------------------

/// a == b, compiled once (comparing variants is costly to compile).
bool value_equals(const Value& a, const Value& b);

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
        return value_equals(to_value(m), v);
    }
}

template <class M>
struct ColumnAccessOf {
    static Value get(const void* m) { return to_value(*static_cast<const M*>(m)); }
    static void set(void* m, const Value& v) { *static_cast<M*>(m) = from_value<M>(v); }
    static bool equals(const void* m, const Value& v) { return member_equals(*static_cast<const M*>(m), v); }
    static bool is_unassigned(const void* m) {
        if constexpr (is_defaulted<M>) return !static_cast<const M*>(m)->has_value();
        else return false;  // a plain member always holds what the program assigned
    }
    static void reset(void* m) {
        if constexpr (is_defaulted<M>) static_cast<M*>(m)->reset();
    }
    static constexpr ColumnAccess table{&get, &set, &equals, &is_unassigned, &reset};
};

template <class S>
struct RelationshipAccessOf {
    using T = typename slot_traits<S>::target;
    static bool known(const void* m) { return SlotAccess::known(*static_cast<const S*>(m)); }
    static std::vector<std::shared_ptr<void>> items(const void* m) {
        std::vector<std::shared_ptr<void>> out;
        SlotAccess::visit(*static_cast<const S*>(m), [&](const auto& p) { out.push_back(p); });
        return out;
    }
    static void each(const void* m, void* context, void (*fn)(void*, const void*)) {
        SlotAccess::visit(*static_cast<const S*>(m), [&](const auto& p) { fn(context, p.get()); });
    }
    static void assign(void* m, std::span<const std::shared_ptr<void>> items) {
        auto& s = *static_cast<S*>(m);
        if constexpr (slot_traits<S>::is_collection) {
            std::vector<std::shared_ptr<T>> typed;
            typed.reserve(items.size());
            for (const auto& p : items) typed.push_back(std::static_pointer_cast<T>(p));
            s = std::move(typed);
        } else {
            s = items.empty() ? std::shared_ptr<T>() : std::static_pointer_cast<T>(items.front());
        }
    }
    static void unload(void* m, const RelationshipProperty& rel) {
        auto& s = *static_cast<S*>(m);
        SlotAccess::clear(s);
        SlotAccess::set_unloaded(s, &rel);
    }
    static void weaken(void* m, const void* target, const RelationshipProperty& rel) {
        SlotAccess::weaken(*static_cast<S*>(m), target, rel);
    }
    static constexpr RelationshipAccess table{&known, &items, &each, &assign, &unload, &weaken};
};

// ---- what a class hands to the registry -----------------------------------------

struct ClassEntry;
template <class C>
const ClassEntry& class_entry();

/// One member listed in RETORT_MAPPED.
struct MemberSpec {
    const char* name;
    std::size_t offset;
    // A column member:
    const ColumnAccess* column;  ///< null for a relationship
    bool defaulted;              ///< an orm::Defaulted<T>
    bool nullable;               ///< a std::optional<T>
    SqlType (*sql_type)();       ///< the type inferred from the member's type
    // A relationship member:
    const RelationshipAccess* relationship;  ///< null for a column
    const ClassEntry& (*target)();
    bool collection;
};

/// The registry's builder of one class's mapper (core/src/orm/registry.cpp).
class ClassBuilder;
struct DraftList;

struct ClassSpec {
    std::string class_name;
    std::type_index type;
    std::string table_name;
    std::shared_ptr<void> (*create)();
};
ClassBuilder& begin_class(DraftList& out, Registry& registry, ClassSpec spec);
// The declarations of mapping(), each copied; a column's and a relationship's
// are applied to the member of that name when it is added.
void declare_column(ClassBuilder& b, const char* member, const ColumnOptions& options);
void declare_relationship(ClassBuilder& b, const char* member, const RelationshipOptions& options);
void declare(ClassBuilder& b, const UniqueConstraint& d);
void declare(ClassBuilder& b, const TableIndex& d);
void declare(ClassBuilder& b, const ForeignKeyConstraint& d);
void declare(ClassBuilder& b, const ImplicitReturning& d);
/// Members in RETORT_MAPPED's order (the table's column order).
void add_member(ClassBuilder& b, const MemberSpec& member);
/// Applies the table-level declarations; throws MappingError for a declaration
/// that names no member or column of the class.
void finish_class(ClassBuilder& b);

template <class C, class D>
using member_t = std::remove_cvref_t<decltype(std::declval<C&>().*D::pointer)>;

template <class C, class D>
MemberSpec member_spec(const C& probe) {
    using M = member_t<C, D>;
    static_assert(!std::is_const_v<std::remove_reference_t<decltype(std::declval<C&>().*D::pointer)>>,
                  "a member listed in RETORT_MAPPED cannot be const: loading an object assigns it");
    const std::size_t offset = static_cast<std::size_t>(reinterpret_cast<const char*>(std::addressof(probe.*D::pointer)) -
                                                        reinterpret_cast<const char*>(std::addressof(probe)));
    if constexpr (slot_traits<M>::is_slot) {
        return {D::name, offset, nullptr, false, false, nullptr, &RelationshipAccessOf<M>::table,
                &class_entry<typename slot_traits<M>::target>, slot_traits<M>::is_collection};
    } else {
        using V = column_value_t<M>;
        static_assert(Bindable<V> && Readable<V>,
                      "a member listed in RETORT_MAPPED is neither a column type (integers, strings, "
                      "std::optional, chrono types, Bytes, Decimal, Uuid, Json, orm::Defaulted of one...) "
                      "nor a Collection/Reference");
        return {D::name, offset, &ColumnAccessOf<M>::table, is_defaulted<M>, is_optional_v<V>,
                &ValueTraits<V>::sql_type, nullptr, nullptr, false};
    }
}

template <class C, class C2, class M>
void declare(ClassBuilder& b, const ColumnDecl<C2, M>& d) {
    static_assert(std::is_same_v<C, C2>, "mapping() declares a column of another class");
    declare_column(b, member_name(d.member), d);
}
template <class C, class C2, class S>
void declare(ClassBuilder& b, const RelationshipDecl<C2, S>& d) {
    static_assert(std::is_same_v<C, C2>, "mapping() declares a relationship of another class");
    declare_relationship(b, member_name(d.member), d.options);
}
template <class C, class D>
void declare(ClassBuilder& b, const D& d) {
    declare(b, d);  // a table-level declaration
}

template <class C>
std::shared_ptr<void> create_object() {
    return std::make_shared<C>();
}

template <class C>
void build_class(Registry& registry, DraftList& out) {
    static_assert(std::is_default_constructible_v<C>, "a mapped class must be default-constructible");
    auto decl = C::mapping();
    ClassBuilder& b = begin_class(out, registry, {boost::core::demangle(typeid(C).name()), typeid(C),
                                                  std::move(decl.name), &create_object<C>});
    std::apply([&](const auto&... d) { (declare<C>(b, d), ...); }, decl.decls);
    const C probe = C();  // made as create_object makes objects
    boost::mp11::mp_for_each<members_of<C>>([&](auto d) { add_member(b, member_spec<C, decltype(d)>(probe)); });
    finish_class(b);
}

template <class C>
Registry& registry_of() {
    return *C::mapping().registry;
}

/// How the registry reaches a class: its registry and its builder.
struct ClassEntry {
    std::type_index type;
    Registry& (*registry)();
    void (*build)(Registry& registry, DraftList& out);
};

template <class C>
const ClassEntry& class_entry() {
    static const ClassEntry entry{typeid(C), &registry_of<C>, &build_class<C>};
    return entry;
}

bool register_class(const ClassEntry& entry);
/// The mapper of the class of `entry`, configuring its registry first.
const Mapper& mapper_of(const ClassEntry& entry);

}  // namespace retort::orm::detail
