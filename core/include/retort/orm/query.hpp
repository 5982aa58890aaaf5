// ORM queries: SELECTs of mapped classes, their attributes as typed column
// expressions, and the loader options that fill relationships.
//
//   auto stmt = orm::select<A>()
//                   .where(orm::attr(&A::data) == "a1")
//                   .order_by(&A::id)
//                   .options(orm::selectinload(&A::bs).selectinload(&B::cs));
//   auto as = co_await session.scalars(stmt);
#pragma once

#include <cstddef>
#include <vector>

#include "retort/orm/mapping.hpp"
#include "retort/sql/select.hpp"

namespace retort::orm {

/// A mapped column attribute as a typed column expression of its class's table:
/// `attr(&A::data) == "a1"`, `attr(&A::id).desc()`.
template <class C, class M>
    requires(!detail::slot_traits<M>::is_slot)
sql::Column<column_value_t<M>> attr(M C::*member) {
    return mapper<C>().table().template c<column_value_t<M>>(detail::member_name(member));
}

/// The default number of parent keys per IN (...) of a selectin load.
inline constexpr std::size_t default_selectin_batch_size = 500;

/// One relationship along a loader option's path, and how to load it.
struct LoadStep {
    const RelationshipProperty* relationship;
    Lazy strategy;
    std::size_t batch_size = default_selectin_batch_size;
};

/// How to load a relationship, and optionally the relationships of what it loads:
/// `selectinload(&A::bs).selectinload(&B::cs)`, `joinedload(&A::bs)`.
class LoaderOption {
public:
    template <class C, class S>
    LoaderOption selectinload(S C::*member, std::size_t batch_size = default_selectin_batch_size) const {
        return then(step(member, Lazy::selectin, batch_size));
    }
    template <class C, class S>
    LoaderOption joinedload(S C::*member) const {
        return then(step(member, Lazy::joined, 0));
    }
    /// Leaves the relationship unloaded (reading it throws), overriding its default loader.
    template <class C, class S>
    LoaderOption raiseload(S C::*member) const {
        return then(step(member, Lazy::raise, 0));
    }
    const std::vector<LoadStep>& path() const { return path_; }

    template <class C, class S>
    static LoadStep step(S C::*member, Lazy strategy, std::size_t batch_size) {
        static_assert(detail::slot_traits<S>::is_slot, "a loader option takes a relationship member");
        if (strategy == Lazy::selectin && batch_size == 0) throw ArgumentError("selectinload: batch_size must be positive");
        return {&mapper<C>().relationship(detail::member_name(member)), strategy, batch_size};
    }

private:
    /// Appends a step; it must start from the class the previous step loads.
    LoaderOption then(LoadStep s) const;
    std::vector<LoadStep> path_;
};

template <class C, class S>
LoaderOption selectinload(S C::*member, std::size_t batch_size = default_selectin_batch_size) {
    return LoaderOption{}.selectinload(member, batch_size);
}
template <class C, class S>
LoaderOption joinedload(S C::*member) {
    return LoaderOption{}.joinedload(member);
}
template <class C, class S>
LoaderOption raiseload(S C::*member) {
    return LoaderOption{}.raiseload(member);
}

namespace detail {
template <class T>
decltype(auto) order_operand(const T& item) {
    if constexpr (std::is_member_object_pointer_v<T>) return attr(item);
    else return (item);
}
template <class T>
struct member_class;
template <class C, class M>
struct member_class<M C::*> {
    using type = C;
    using member = M;
};

/// `rel` joined onto `stmt`: from `parent` (the parent's table or an alias of
/// it) to `target` (the target's table or an alias), through the association
/// table for a many-to-many.
sql::Select join_relationship(const sql::Select& stmt, const RelationshipProperty& rel, const sql::FromPtr& parent,
                              const sql::FromPtr& target, bool outer);
/// EXISTS (SELECT 1 FROM target WHERE <rel's join> [AND condition]).
sql::ExprPtr relationship_exists(const RelationshipProperty& rel, const sql::ExprPtr& condition);
}  // namespace detail

/// Another FROM entry for mapped class T (SQLAlchemy's aliased()), for joining
/// the same class twice: `auto boss = orm::aliased<Employee>("boss");`
/// `select<Employee>().join(&Employee::manager, boss).where(boss.attr(&Employee::name) == "ann")`.
template <class T>
class Aliased {
public:
    explicit Aliased(std::string name) : from_(sql::FromClause(mapper<T>().table().from_node()).alias(std::move(name))) {}
    template <class M>
    sql::Column<column_value_t<M>> attr(M T::*member) const {
        return from_.template c<column_value_t<M>>(detail::member_name(member));
    }
    const sql::FromClause& from() const { return from_; }

private:
    sql::FromClause from_;
};
template <class T>
Aliased<T> aliased(std::string name) {
    return Aliased<T>(std::move(name));
}

namespace detail {
template <class C, class S>
sql::TypedExpr<bool> exists_over(S C::*member, sql::ExprPtr condition) {
    return sql::TypedExpr<bool>(relationship_exists(mapper<C>().relationship(member_name(member)), std::move(condition)));
}
}  // namespace detail

/// `Author.books.any(cond)`: the parent has at least one related object
/// (matching `condition`): EXISTS over the relationship.
///   orm::select<Author>().where(orm::any(&Author::books, orm::attr(&Book::price) > 30))
template <class C, class S>
    requires detail::slot_traits<S>::is_collection
sql::TypedExpr<bool> any(S C::*member) {
    return detail::exists_over(member, nullptr);
}
template <class C, class S, sql::BooleanOperand Cond>
    requires detail::slot_traits<S>::is_collection
sql::TypedExpr<bool> any(S C::*member, const Cond& condition) {
    return detail::exists_over(member, sql::to_node(condition));
}
/// `Book.author.has(cond)`: the many-to-one target exists (and matches `condition`).
template <class C, class S>
    requires(detail::slot_traits<S>::is_slot && !detail::slot_traits<S>::is_collection)
sql::TypedExpr<bool> has(S C::*member) {
    return detail::exists_over(member, nullptr);
}
template <class C, class S, sql::BooleanOperand Cond>
    requires(detail::slot_traits<S>::is_slot && !detail::slot_traits<S>::is_collection)
sql::TypedExpr<bool> has(S C::*member, const Cond& condition) {
    return detail::exists_over(member, sql::to_node(condition));
}

/// What every ORM SELECT can do, whatever its rows are (Select<T> for objects,
/// RowSelect for tuples). Every builder method returns a new statement.
template <class Derived>
class QueryBuilder {
public:
    template <sql::BooleanOperand Cond>
    Derived where(const Cond& condition) const {
        return with(statement_.where(condition));
    }
    /// ORDER BY mapped members (`&A::id`), expressions (`attr(&A::id).desc()`)
    /// or names of selected columns and labels.
    template <class... O>
    Derived order_by(const O&... items) const {
        return with(statement_.order_by(detail::order_operand(items)...));
    }
    template <class... G>
    Derived group_by(const G&... items) const {
        return with(statement_.group_by(detail::order_operand(items)...));
    }
    template <sql::BooleanOperand Cond>
    Derived having(const Cond& condition) const {
        return with(statement_.having(condition));
    }
    Derived limit(std::int64_t n) const { return with(statement_.limit(n)); }
    Derived offset(std::int64_t n) const { return with(statement_.offset(n)); }
    Derived distinct() const { return with(statement_.distinct()); }

    /// JOIN along a relationship (`join(&Book::author)`), its ON clause from the
    /// relationship's keys; through the association table for a many-to-many.
    /// The relationship starts from a class of the query or one joined before.
    template <class C, class S>
        requires detail::slot_traits<S>::is_slot
    Derived join(S C::*member) const {
        return join_along<C, S>(member, nullptr, false);
    }
    /// The same, to an alias of the target (for the second join of one class).
    template <class C, class S>
        requires detail::slot_traits<S>::is_slot
    Derived join(S C::*member, const Aliased<typename detail::slot_traits<S>::target>& alias) const {
        return join_along<C, S>(member, alias.from().from_node(), false);
    }
    template <class C, class S>
        requires detail::slot_traits<S>::is_slot
    Derived outerjoin(S C::*member) const {
        return join_along<C, S>(member, nullptr, true);
    }
    template <class C, class S>
        requires detail::slot_traits<S>::is_slot
    Derived outerjoin(S C::*member, const Aliased<typename detail::slot_traits<S>::target>& alias) const {
        return join_along<C, S>(member, alias.from().from_node(), true);
    }
    /// JOIN another table by an explicit ON condition (or its foreign keys).
    template <class Cond>
    Derived join(const sql::FromClause& right, const Cond& on) const {
        return with(statement_.join(right, on));
    }
    Derived join(const sql::FromClause& right) const { return with(statement_.join(right)); }

    /// SELECT ... FOR UPDATE [NOWAIT | SKIP LOCKED]: the rows stay locked until
    /// the session's transaction ends (left out on SQLite, whose write
    /// transactions lock the whole database: capability for_update).
    Derived with_for_update(sql::ForUpdate options = {}) const { return with(statement_.with_for_update(options)); }
    /// Objects already in the session get the values of the rows read (by
    /// default the session keeps what it has and only fills what is new).
    Derived populate_existing() const {
        Derived out = with(statement_);
        out.populate_existing_ = true;
        return out;
    }
    template <class... L>
        requires(std::is_same_v<L, LoaderOption> && ...)
    Derived options(const L&... loaders) const {
        Derived out = with(statement_);
        (out.loaders_.push_back(loaders), ...);
        return out;
    }

    const sql::Select& statement() const { return statement_; }
    const std::vector<LoaderOption>& loaders() const { return loaders_; }
    bool populates_existing() const { return populate_existing_; }

protected:
    explicit QueryBuilder(sql::Select statement) : statement_(std::move(statement)) {}
    Derived with(sql::Select statement) const {
        Derived out = static_cast<const Derived&>(*this);
        out.statement_ = std::move(statement);
        return out;
    }

private:
    template <class C, class S>
    Derived join_along(S C::*member, sql::FromPtr target, bool outer) const {
        const auto& rel = mapper<C>().relationship(detail::member_name(member));
        if (!target) target = rel.target->table().from_node();
        return with(detail::join_relationship(statement_, rel, mapper<C>().table().from_node(), target, outer));
    }
    sql::Select statement_;
    std::vector<LoaderOption> loaders_;
    bool populate_existing_ = false;
};

/// A SELECT whose rows are objects of the mapped class T (and whatever its
/// loader options bring along).
template <class T>
class Select : public QueryBuilder<Select<T>> {
public:
    explicit Select(sql::Select statement) : QueryBuilder<Select<T>>(std::move(statement)) {}
};

/// A SELECT whose rows are tuples: objects of several classes and/or column
/// values: `orm::select<Book, Author>().join(&Book::author)` gives
/// std::tuple<std::shared_ptr<Book>, std::shared_ptr<Author>>;
/// `orm::select<Author>(func::count(attr(&Book::id)))` gives
/// std::tuple<std::shared_ptr<Author>, std::int64_t>. An entity the row does not
/// have (an outer join that matched nothing) is nullptr. Loader options apply to
/// the first class.
template <class Entities, class... Values>
class RowSelect;
template <class... E, class... V>
class RowSelect<std::tuple<E...>, V...> : public QueryBuilder<RowSelect<std::tuple<E...>, V...>> {
public:
    using row_type = std::tuple<std::shared_ptr<E>..., V...>;
    explicit RowSelect(sql::Select statement) : QueryBuilder<RowSelect>(std::move(statement)) {}
    /// The mappers of the entities, in order.
    static std::vector<const Mapper*> entity_mappers() { return {&mapper<E>()...}; }
};

/// SELECT every mapped column of T: `co_await session.scalars(orm::select<T>())`;
/// of several classes, and/or extra columns: rows of tuples (RowSelect).
template <class First, class... Rest, class... Columns>
auto select(const Columns&... columns) {
    if constexpr (sizeof...(Rest) == 0 && sizeof...(Columns) == 0) {
        return Select<First>(sql::select(mapper<First>().table()));
    } else {
        auto stmt = sql::select(mapper<First>().table(), mapper<Rest>().table()..., detail::order_operand(columns)...);
        return RowSelect<std::tuple<First, Rest...>,
                         sql::operand_value_t<decltype(detail::order_operand(columns))>...>(std::move(stmt));
    }
}

}  // namespace retort::orm
