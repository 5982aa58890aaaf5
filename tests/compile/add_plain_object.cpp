// Must not compile, and say why first: the session shares objects through std::shared_ptr.
#include <retort/orm.hpp>

using namespace retort;

struct Book {
    orm::Defaulted<std::int64_t> id{};
    static auto mapping() { return orm::table("book", orm::column(&Book::id, orm::primary_key())); }
};
RETORT_MAPPED(Book, id)

void f(orm::AsyncSession& session) {
    Book b;
    session.add(b);
}
