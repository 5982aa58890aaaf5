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
}  // namespace detail

/// A SELECT whose rows are objects of the mapped class T (and whatever its
/// loader options bring along). Every builder method returns a new statement.
template <class T>
class Select {
public:
    Select(sql::Select statement, std::vector<LoaderOption> loaders)
        : statement_(std::move(statement)), loaders_(std::move(loaders)) {}

    template <sql::BooleanOperand Cond>
    Select where(const Cond& condition) const {
        return {statement_.where(condition), loaders_};
    }
    /// ORDER BY mapped members (`&A::id`) or expressions (`attr(&A::id).desc()`).
    template <class... O>
    Select order_by(const O&... items) const {
        return {statement_.order_by(detail::order_operand(items)...), loaders_};
    }
    Select limit(std::int64_t n) const { return {statement_.limit(n), loaders_}; }
    Select offset(std::int64_t n) const { return {statement_.offset(n), loaders_}; }
    /// JOIN another table (to filter on it); the rows stay objects of T.
    template <sql::BooleanOperand Cond>
    Select join(const sql::FromClause& right, const Cond& on) const {
        return {statement_.join(right, on), loaders_};
    }
    Select join(const sql::FromClause& right) const { return {statement_.join(right), loaders_}; }
    template <class... L>
        requires(std::is_same_v<L, LoaderOption> && ...)
    Select options(const L&... loaders) const {
        auto copy = loaders_;
        (copy.push_back(loaders), ...);
        return {statement_, std::move(copy)};
    }

    const sql::Select& statement() const { return statement_; }
    const std::vector<LoaderOption>& loaders() const { return loaders_; }

private:
    sql::Select statement_;
    std::vector<LoaderOption> loaders_;
};

/// SELECT every mapped column of T: `co_await session.scalars(orm::select<A>())`.
template <class T>
Select<T> select() {
    return Select<T>(sql::select(mapper<T>().table()), {});
}

}  // namespace retort::orm
