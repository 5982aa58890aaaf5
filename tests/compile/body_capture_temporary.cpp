// Must not compile on GCC 12: the closure owns a shared_ptr and is a temporary
// of the co_await expression (docs/gcc12.md).
#include <retort/orm.hpp>

using namespace retort;

struct Person {
    orm::Defaulted<std::int64_t> id;
    static auto mapping() { return orm::table("person", orm::column(&Person::id, orm::primary_key())); }
};
RETORT_MAPPED(Person, id)

awaitable<void> run(orm::AsyncSession& session) {
    auto bob = std::make_shared<Person>();
    co_await session.begin_nested([bob](orm::AsyncSession& s) -> awaitable<void> {
        s.add(bob);
        co_return;
    });
}
