// Heap allocations counted where the speed work (issue 13) promises none: a
// primary-key get of an object already in the session's identity map is
// answered from the map, with no I/O and no allocation. Counted by the bench's
// counter (bench/alloc_counter.cpp), which replaces malloc and its relatives:
// what Asio allocates for coroutine frames counts too.
#include <catch2/catch.hpp>

#include "alloc_counter.hpp"
#include "retort/orm.hpp"
#include "support/test_support.hpp"

using namespace retort;

namespace allocations_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Widget {
    orm::Defaulted<std::int64_t> id;
    std::string name;

    static auto mapping() {
        return orm::table(registry(), "al_widget", orm::column(&Widget::id, orm::primary_key()),
                          orm::column(&Widget::name, types::String(40)));
    }
};
RETORT_MAPPED(Widget, id, name)

}  // namespace allocations_test

using namespace allocations_test;

TEST_CASE("allocations: a get of an object in the identity map allocates nothing", "[orm][allocations]") {
    auto engine = create_async_engine(test::backend_url());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine);
        auto w = std::make_shared<Widget>(Widget{.name = "sprocket"});
        session.add(w);
        co_await session.commit();
        const std::int64_t id = *w->id;
        // Asio keeps the coroutine frames it frees, a few per size, for reuse:
        // the first gets fill that store.
        for (int i = 0; i < 10; ++i) CHECK(co_await session.get<Widget>(id) == w);
        bench::heap_start();
        std::shared_ptr<Widget> found;
        for (int i = 0; i < 100; ++i) found = co_await session.get<Widget>(id);
        const auto made = bench::heap_since_start().allocations;
        CHECK(found == w);
        CHECK(made == 0);
        co_await session.close();
        co_await engine.dispose();
    });
}
