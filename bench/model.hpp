// The seed example's two classes (examples/async_orm.cpp), as the benchmark
// maps them: the same tables, with deletes cascading from a parent to its
// children so that the delete phase is one call per parent.
#pragma once

#include <retort/orm.hpp>

namespace retort::bench {

struct B;

struct A {
    orm::Defaulted<std::int64_t> id;
    std::optional<std::string> data;
    orm::Defaulted<DateTime> create_date;
    orm::Collection<B> bs;

    static auto mapping() {
        return orm::table("a",
                          orm::column(&A::id, orm::primary_key()),
                          orm::column(&A::data, types::String(50)),
                          orm::column(&A::create_date, orm::server_default(sql::func::now())),
                          orm::relationship(&A::bs, {.lazy = orm::Lazy::raise, .cascade = "all"}));
    }
};

struct B {
    orm::Defaulted<std::int64_t> id;
    std::int64_t a_id = 0;
    std::optional<std::string> data;

    static auto mapping() {
        return orm::table("b",
                          orm::column(&B::id, orm::primary_key()),
                          orm::column(&B::a_id, orm::foreign_key(&A::id)),
                          orm::column(&B::data, types::String(50)));
    }
};

RETORT_MAPPED(A, id, data, create_date, bs)
RETORT_MAPPED(B, id, a_id, data)

}  // namespace retort::bench
