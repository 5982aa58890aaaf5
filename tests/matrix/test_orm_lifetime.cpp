// An application's memory is bounded by what it still holds: objects in
// two-way relationships (back_populates) are freed once the session and the
// application let go of them, however often they are loaded.
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/test_support.hpp"

using namespace retort;

namespace orm_lifetime_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

/// Counts the live objects of the classes below (a member left out of
/// RETORT_MAPPED is not mapped).
struct Live {
    static inline int count = 0;
    Live() { ++count; }
    Live(const Live&) { ++count; }
    Live& operator=(const Live&) = default;
    ~Live() { --count; }
};

struct Child;
struct Parent {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Child> children;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_parent", orm::column(&Parent::id, orm::primary_key()),
                          orm::column(&Parent::name, types::String(40)),
                          orm::relationship(&Parent::children, {.back_populates = "parent", .cascade = "all"}));
    }
};
RETORT_MAPPED(Parent, id, name, children)

struct Child {
    orm::Defaulted<std::int64_t> id;
    std::int64_t parent_id = 0;
    std::string name;
    orm::Reference<Parent> parent;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_child", orm::column(&Child::id, orm::primary_key()),
                          orm::column(&Child::parent_id, orm::foreign_key(&Parent::id)),
                          orm::column(&Child::name, types::String(40)),
                          orm::relationship(&Child::parent, {.back_populates = "children"}));
    }
};
RETORT_MAPPED(Child, id, parent_id, name, parent)

/// 10 parents with 10 children each, both sides of each link assigned by the program.
awaitable<void> seed(AsyncEngine& engine) {
    co_await test::recreate_tables(engine, registry().metadata());
    orm::AsyncSession s(engine, {.expire_on_commit = false});  // the links stay loaded after commit
    for (int p = 0; p < 10; ++p) {
        auto parent = std::make_shared<Parent>(Parent{.name = "p" + std::to_string(p)});
        std::vector<std::shared_ptr<Child>> children;
        for (int c = 0; c < 10; ++c) {
            auto child = std::make_shared<Child>(Child{.name = "c" + std::to_string(c)});
            child->parent = parent;
            children.push_back(child);
        }
        parent->children = children;
        s.add(parent);
    }
    co_await s.commit();
    co_await s.close();
}

}  // namespace orm_lifetime_test

using namespace orm_lifetime_test;

TEST_CASE("orm lifetime: objects linked both ways are freed when nothing holds them", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        CHECK(Live::count == 0);  // what the program built and flushed both ways

        // Loaded in a loop, as a service handling requests would: nothing accumulates.
        for (int round = 0; round < 300; ++round) {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>().options(orm::selectinload(&Parent::children)));
            std::size_t linked = 0;
            for (const auto& p : parents)
                for (const auto& c : p->children) linked += c->parent.get() == p;  // the reverse side is filled
            CHECK(linked == 100);
            co_await s.close();
        }
        CHECK(Live::count == 0);

        // A session dropped without close() lets go of them too.
        {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>().options(orm::selectinload(&Parent::children)));
            CHECK(Live::count == 110);
            co_await s.rollback();
        }
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: a child whose parent was released says so", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        std::shared_ptr<Child> kept;
        std::shared_ptr<Parent> parent;
        {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>()
                                                  .where(orm::attr(&Parent::name) == "p3")
                                                  .options(orm::selectinload(&Parent::children)));
            parent = parents.one();
            kept = parent->children[0];
            CHECK(!kept->parent.owning());
            co_await s.close();
        }
        CHECK(kept->parent->name == "p3");  // alive while the application holds the parent
        parent.reset();
        CHECK_THROWS_WITH(kept->parent.get(), Catch::Contains("Child.parent refers to a") &&
                                                  Catch::Contains("that was released"));
        // A reference the program assigns owns its target again.
        kept->parent = std::make_shared<Parent>(Parent{.name = "new"});
        CHECK(kept->parent.owning());
        CHECK(kept->parent->name == "new");
        kept.reset();
        CHECK(Live::count == 0);
    });
}
