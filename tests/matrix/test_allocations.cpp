// Heap allocations counted where the speed work (issue 13) promises none: a
// primary-key get of an object already in the session's identity map is
// answered from the map, with no I/O and no allocation. A binary of its own,
// because counting means replacing the global operator new.
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdlib>
#include <new>

#include "retort/orm.hpp"
#include "support/test_support.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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
        CHECK(co_await session.get<Widget>(id) == w);  // (warms the coroutine frame recycling)
        std::size_t before = allocations.load();
        std::shared_ptr<Widget> found;
        for (int i = 0; i < 100; ++i) found = co_await session.get<Widget>(id);
        std::size_t made = allocations.load() - before;
        CHECK(found == w);
        CHECK(made == 0);
        co_await session.close();
        co_await engine.dispose();
    });
}
