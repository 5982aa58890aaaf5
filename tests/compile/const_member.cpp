// Must not compile, and say why first: loading an object assigns its members.
#include <retort/orm.hpp>

using namespace retort;

struct Book {
    orm::Defaulted<std::int64_t> id{};
    const std::string kind = "book";
    static auto mapping() { return orm::table("book", orm::column(&Book::id, orm::primary_key())); }
};
RETORT_MAPPED(Book, id, kind)

int main() { return static_cast<int>(orm::mapper<Book>().columns().size()); }
