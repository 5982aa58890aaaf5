// Must not compile, and say why first: a transaction body is a coroutine.
#include <retort/orm.hpp>

using namespace retort;

awaitable<void> f(orm::AsyncSession& session) {
    co_await session.begin([](orm::AsyncSession&) {});
}
