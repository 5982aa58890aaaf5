// Must not compile, and say why first: a string column compared with a number.
#include <retort/orm.hpp>

using namespace retort;

struct Book {
    orm::Defaulted<std::int64_t> id{};
    std::string title{};
    static auto mapping() { return orm::table("book", orm::column(&Book::id, orm::primary_key())); }
};
RETORT_MAPPED(Book, id, title)

int main() {
    auto q = orm::select<Book>().where(orm::attr(&Book::title) == 5);
}
