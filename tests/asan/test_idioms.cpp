// Idioms from the README and the examples, written as users write them, under
// AddressSanitizer: bodies that capture by value (named first, as GCC 12
// requires: docs/gcc12.md), transaction objects committed, rolled back and
// abandoned, and two-way relationships loaded in a loop (LeakSanitizer checks
// at exit that nothing is left).
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/test_support.hpp"

// Leaks are errors here, and the first report ends the run. (Compiled in:
// catch_discover_tests cannot pass ASAN_OPTIONS beside RETORT_TEST_BACKEND.)
extern "C" const char* __asan_default_options() { return "detect_leaks=1:halt_on_error=1"; }

using namespace retort;

namespace asan_idioms_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Pet;
struct Person {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Pet> pets;
    static auto mapping() {
        return orm::table(registry(), "ai_person", orm::column(&Person::id, orm::primary_key()),
                          orm::column(&Person::name, types::String(40), orm::unique()),
                          orm::relationship(&Person::pets, {.back_populates = "owner", .cascade = "all"}));
    }
};
RETORT_MAPPED(Person, id, name, pets)

struct Pet {
    orm::Defaulted<std::int64_t> id;
    std::int64_t owner_id = 0;
    std::string name;
    orm::Reference<Person> owner;
    static auto mapping() {
        return orm::table(registry(), "ai_pet", orm::column(&Pet::id, orm::primary_key()),
                          orm::column(&Pet::owner_id, orm::foreign_key(&Person::id)),
                          orm::column(&Pet::name, types::String(40)),
                          orm::relationship(&Pet::owner, {.back_populates = "pets"}));
    }
};
RETORT_MAPPED(Pet, id, owner_id, name, owner)

std::shared_ptr<Person> person(std::string name) {
    auto p = std::make_shared<Person>(Person{.name = std::move(name)});
    p->pets = {std::make_shared<Pet>(Pet{.name = p->name + "'s cat"})};
    return p;
}

awaitable<std::int64_t> count_people(AsyncEngine& engine) {
    co_return co_await test::count_rows(engine, registry().metadata().table("ai_person"));
}

}  // namespace asan_idioms_test

using namespace asan_idioms_test;

TEST_CASE("asan idioms: bodies capturing by value, named before the co_await", "[asan]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = person("ann");
        auto bob = person("bob");

        auto add_ann = [ann](orm::AsyncSession& s) -> awaitable<void> {
            s.add(ann);
            co_return;
        };
        co_await session.begin(add_ann);
        CHECK(ann.use_count() == 3);  // here, in add_ann, in the session

        if (engine.dialect().capabilities().savepoints) {
            auto add_bob_then_fail = [bob](orm::AsyncSession& s) -> awaitable<void> {
                s.add(bob);
                co_await s.flush();
                throw std::runtime_error("undo");
            };
            for (int round = 0; round < 20; ++round) {
                auto failed = co_await test::capture<std::runtime_error>(session.begin_nested(add_bob_then_fail));
                CHECK(failed);
            }
            CHECK(bob.use_count() == 2);  // here and in the body: the session let go of it
            CHECK(bob->name == "bob");
            co_await session.commit();
        }

        auto conn = co_await engine.connect();
        auto name = std::make_shared<std::string>("carl");
        auto insert_carl = [name](AsyncConnection& c) -> awaitable<void> {
            const auto& t = registry().metadata().table("ai_person");
            co_await c.execute(sql::insert(t).values({t.c<std::string>("name"), *name}));
        };
        co_await conn.transaction(insert_carl);
        auto count_in_thread = [name](Connection& c) {
            const auto& t = registry().metadata().table("ai_person");
            return c.scalar<std::int64_t>(sql::select(sql::func::count()).select_from(t).where(
                t.c<std::string>("name") == *name));
        };
        auto carls = co_await conn.run_sync(count_in_thread);
        CHECK(carls == 1);
        co_await conn.close();
        CHECK(name.use_count() == 3);

        auto in_engine = [name](AsyncConnection& c) -> awaitable<void> {
            const auto& t = registry().metadata().table("ai_person");
            co_await c.execute(sql::insert(t).values({t.c<std::string>("name"), *name + "2"}));
        };
        co_await engine.begin(in_engine);
        auto people = co_await count_people(engine);
        CHECK(people == 3);  // ann, carl, carl2
        co_await session.close();
    });
}

TEST_CASE("asan idioms: transaction objects committed, rolled back and abandoned", "[asan]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        {
            auto tx = co_await session.begin();
            session.add(person("ann"));
            co_await tx.commit();
            CHECK(!tx.is_active());
        }
        {
            auto tx = co_await session.begin();
            session.add(person("rolled back"));
            co_await tx.rollback();
        }
        auto dropped = person("abandoned");
        {
            auto tx = co_await session.begin();
            session.add(dropped);
            co_await session.flush();
            CHECK(dropped->id.has_value());
        }  // abandoned: rolled back, the objects at once
        CHECK(!session.in_transaction());
        CHECK(!session.contains(dropped));
        CHECK(!dropped->id.has_value());

        if (engine.dialect().capabilities().savepoints) {
            auto tx = co_await session.begin();
            session.add(person("outer"));
            {
                auto sp = co_await session.begin_nested();
                session.add(person("inner, abandoned"));
                co_await session.flush();
            }
            {
                auto sp = co_await session.begin_nested();
                session.add(person("inner, kept"));
                co_await sp.commit();
            }
            co_await tx.commit();
        }
        auto people = co_await count_people(engine);
        CHECK(people == (engine.dialect().capabilities().savepoints ? 3 : 1));
        co_await session.close();
    });
}

TEST_CASE("asan idioms: two-way relationships loaded in a loop leave nothing behind", "[asan]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        {
            orm::AsyncSession s(engine, {.expire_on_commit = false});
            for (int i = 0; i < 10; ++i) s.add(person("p" + std::to_string(i)));
            co_await s.commit();
            co_await s.close();
        }
        for (int round = 0; round < 50; ++round) {
            orm::AsyncSession s(engine);
            auto people = co_await s.scalars(orm::select<Person>().options(orm::selectinload(&Person::pets)));
            for (const auto& p : people) CHECK(p->pets[0]->owner.get() == p);
            co_await s.close();
        }
    });
}
