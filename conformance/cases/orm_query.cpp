// The ORM query API on every backend: joins along relationships (aliases
// for a second join of one class), several entities and columns per row,
// aggregates with GROUP BY / HAVING, any()/has(), with_for_update(),
// populate_existing() and merge().
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace orm_query_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Book;
struct Tag;

struct Author {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    std::optional<std::int64_t> mentor_id;
    orm::Reference<Author> mentor;
    orm::Collection<Book> books;

    static auto mapping() {
        return orm::table(registry(), "oq_author", orm::column(&Author::id, orm::primary_key()),
                          orm::column(&Author::name, types::String(40), orm::unique()),
                          orm::column(&Author::mentor_id, orm::foreign_key(&Author::id)),
                          orm::relationship(&Author::mentor, {}),
                          orm::relationship(&Author::books, {.back_populates = "author", .cascade = "all"}));
    }
};
RETORT_MAPPED(Author, id, name, mentor_id, mentor, books)

struct Book {
    orm::Defaulted<std::int64_t> id;
    std::int64_t author_id = 0;
    std::string title;
    Decimal price;
    orm::Reference<Author> author;
    orm::Collection<Tag> tags;

    static auto mapping() {
        return orm::table(registry(), "oq_book", orm::column(&Book::id, orm::primary_key()),
                          orm::column(&Book::author_id, orm::foreign_key(&Author::id)),
                          orm::column(&Book::title, types::String(40)),
                          orm::column(&Book::price, types::Numeric(8, 2)),
                          orm::relationship(&Book::author, {.back_populates = "books"}),
                          orm::relationship(&Book::tags, {.secondary = "oq_book_tag"}));
    }
};
RETORT_MAPPED(Book, id, author_id, title, price, author, tags)

struct Tag {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    static auto mapping() {
        return orm::table(registry(), "oq_tag", orm::column(&Tag::id, orm::primary_key()),
                          orm::column(&Tag::name, types::String(20)));
    }
};
RETORT_MAPPED(Tag, id, name)

[[maybe_unused]] const bool book_tag =
    orm::association_table(registry(), "oq_book_tag", {{"book_id", "oq_book.id"}, {"tag_id", "oq_tag.id"}});

std::shared_ptr<Book> book(std::string title, const char* price, std::vector<std::shared_ptr<Tag>> tags = {}) {
    auto b = std::make_shared<Book>(Book{.title = std::move(title), .price = Decimal(price)});
    b->tags = std::move(tags);
    return b;
}

/// ann (mentor of bob) wrote two books, bob one, carl none.
awaitable<void> seed(AsyncEngine& engine) {
    co_await test::recreate_tables(engine, registry().metadata());
    orm::AsyncSession s(engine);
    auto sf = std::make_shared<Tag>(Tag{.name = "sf"});
    auto poetry = std::make_shared<Tag>(Tag{.name = "poetry"});
    auto ann = std::make_shared<Author>(Author{.name = "ann"});
    ann->books = {book("a-one", "12.50", {sf}), book("a-two", "40.00", {sf, poetry})};
    auto bob = std::make_shared<Author>(Author{.name = "bob"});
    bob->mentor = ann;
    bob->books = {book("b-one", "8.00")};
    auto carl = std::make_shared<Author>(Author{.name = "carl"});
    s.add_all(std::vector{ann, bob, carl});
    co_await s.commit();
    co_await s.close();
}

awaitable<std::int64_t> count_rows(AsyncEngine& engine, const char* table) {
    co_return co_await test::count_rows(engine, registry().metadata().table(table));
}

template <class T>
std::vector<std::string> names(const T& objects) {
    std::vector<std::string> out;
    for (const auto& o : objects) {
        if constexpr (requires { o->title; }) out.push_back(o->title);
        else out.push_back(o->name);
    }
    return out;
}

}  // namespace orm_query_test

using namespace orm_query_test;
using orm::attr;

TEST_CASE("orm query: joins along relationships, many-to-many and aliased", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession s(engine);
        auto anns = co_await s.scalars(
            orm::select<Book>().join(&Book::author).where(attr(&Author::name) == "ann").order_by(&Book::title));
        CHECK(names(anns) == std::vector<std::string>{"a-one", "a-two"});

        auto tagged = co_await s.scalars(
            orm::select<Book>().join(&Book::tags).where(attr(&Tag::name) == "sf").order_by(&Book::title));
        CHECK(names(tagged) == std::vector<std::string>{"a-one", "a-two"});

        // Authors with a book over 30, once each however many books match.
        auto rich = co_await s.scalars(
            orm::select<Author>().join(&Author::books).where(attr(&Book::price) > 30).distinct());
        CHECK(names(rich) == std::vector<std::string>{"ann"});

        // A second join of one class goes to an alias.
        auto mentor = orm::aliased<Author>("mentor");
        auto mentored = co_await s.scalars(orm::select<Book>()
                                               .join(&Book::author)
                                               .join(&Author::mentor, mentor)
                                               .where(mentor.attr(&Author::name) == "ann"));
        CHECK(names(mentored) == std::vector<std::string>{"b-one"});
        CHECK(log.count_containing("JOIN oq_author AS mentor ON") == 1);
        co_await s.close();
    });
}

TEST_CASE("orm query: rows of several entities and of entities with aggregates", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession s(engine);
        auto pairs = co_await s.execute(
            orm::select<Author, Book>().outerjoin(&Author::books).order_by(&Author::name, &Book::title));
        REQUIRE(pairs.size() == 4);
        auto& [ann, ann_first] = pairs[0];
        CHECK(ann->name == "ann");
        CHECK(ann_first->title == "a-one");
        CHECK(std::get<0>(pairs[1]) == ann);  // one object per identity
        CHECK(std::get<1>(pairs[2])->title == "b-one");
        CHECK(std::get<0>(pairs[3])->name == "carl");
        CHECK(std::get<1>(pairs[3]) == nullptr);  // the outer join found no book

        auto book_id = attr(&Book::id);
        auto totals = co_await s.execute(orm::select<Author>(sql::func::count(book_id), sql::func::sum(attr(&Book::price)))
                                             .outerjoin(&Author::books)
                                             .group_by(&Author::id, &Author::name, &Author::mentor_id)
                                             .order_by(&Author::name));
        REQUIRE(totals.size() == 3);
        static_assert(std::is_same_v<std::decay_t<decltype(totals[0])>,
                                     std::tuple<std::shared_ptr<Author>, std::int64_t, std::optional<Decimal>>>);
        CHECK(std::get<0>(totals[0]) == ann);
        CHECK(std::get<1>(totals[0]) == 2);
        CHECK(std::get<2>(totals[0]) == Decimal("52.50"));
        CHECK(std::get<1>(totals[2]) == 0);
        CHECK(!std::get<2>(totals[2]).has_value());

        // A subquery's columns by the member or label they came from, typed as those.
        auto n_books = sql::func::count(book_id).label("n_books");
        auto per_author = sql::select(attr(&Book::author_id), n_books).group_by(attr(&Book::author_id)).subquery("per_author");
        auto counted = co_await s.execute(orm::select<Author>(per_author[n_books])
                                              .join(per_author, per_author[attr(&Book::author_id)] == attr(&Author::id))
                                              .order_by(&Author::name));
        REQUIRE(counted.size() == 2);
        static_assert(std::is_same_v<std::decay_t<decltype(std::get<1>(counted[0]))>, std::int64_t>);
        CHECK(std::get<1>(counted[0]) == 2);
        CHECK(std::get<0>(counted[1])->name == "bob");

        auto prolific = co_await s.execute(orm::select<Author>(sql::func::count(book_id))
                                               .join(&Author::books)
                                               .group_by(&Author::id, &Author::name, &Author::mentor_id)
                                               .having(sql::func::count(book_id) > 1));
        REQUIRE(prolific.size() == 1);
        CHECK(std::get<0>(prolific[0])->name == "ann");
        co_await s.close();
    });
}

TEST_CASE("orm query: any() and has() over relationships", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession s(engine);
        auto writers = co_await s.scalars(orm::select<Author>().where(orm::any(&Author::books)).order_by(&Author::name));
        CHECK(names(writers) == std::vector<std::string>{"ann", "bob"});
        auto cheap = co_await s.scalars(
            orm::select<Author>().where(orm::any(&Author::books, attr(&Book::price) < 10)).order_by(&Author::name));
        CHECK(names(cheap) == std::vector<std::string>{"bob"});
        auto none = co_await s.scalars(orm::select<Author>().where(!orm::any(&Author::books)));
        CHECK(names(none) == std::vector<std::string>{"carl"});
        auto bobs = co_await s.scalars(orm::select<Book>().where(orm::has(&Book::author, attr(&Author::name) == "bob")));
        CHECK(names(bobs) == std::vector<std::string>{"b-one"});
        auto poems = co_await s.scalars(orm::select<Book>().where(orm::any(&Book::tags, attr(&Tag::name) == "poetry")));
        CHECK(names(poems) == std::vector<std::string>{"a-two"});
        auto mentored = co_await s.scalars(orm::select<Author>().where(orm::has(&Author::mentor)));
        CHECK(names(mentored) == std::vector<std::string>{"bob"});
        co_await s.close();
    });
}

TEST_CASE("orm query: with_for_update locks the rows read until the transaction ends", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession first(engine);
        auto ann_q = orm::select<Author>().where(attr(&Author::name) == "ann");
        auto ann = co_await first.scalar(ann_q.with_for_update());
        REQUIRE(ann);
        if (!engine.dialect().capabilities().for_update) {
            // SQLite: left out (its write transactions lock the whole database).
            CHECK(log.count_containing("FOR UPDATE") == 0);
            co_await first.close();
            co_return;
        }
        CHECK(log.count_containing("FOR UPDATE") == 1);
        orm::AsyncSession second(engine);
        auto refused = co_await test::capture<DBAPIError>(second.scalar(ann_q.with_for_update({.nowait = true})));
        CHECK(refused.has_value());
        co_await second.rollback();
        auto skipped = co_await second.scalars(
            orm::select<Author>().with_for_update({.skip_locked = true}).order_by(&Author::name));
        CHECK(names(skipped) == std::vector<std::string>{"bob", "carl"});
        co_await second.close();
        co_await first.close();
    });
}

TEST_CASE("orm query: populate_existing() and merge()", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession s(engine, {.expire_on_commit = false});
        auto ann = co_await s.scalar(orm::select<Author>().where(attr(&Author::name) == "ann"));
        REQUIRE(ann);
        co_await s.commit();
        {
            orm::AsyncSession other(engine);
            auto same = co_await other.get<Author>(*ann->id);
            same->name = "ann renamed";
            co_await other.commit();
            co_await other.close();
        }
        auto kept = co_await s.scalar(orm::select<Author>().where(attr(&Author::id) == *ann->id));
        CHECK(kept == ann);
        CHECK(ann->name == "ann");  // the session keeps what it has
        auto fresh = co_await s.scalar(orm::select<Author>().where(attr(&Author::id) == *ann->id).populate_existing());
        CHECK(fresh == ann);
        CHECK(ann->name == "ann renamed");
        co_await s.close();

        // A detached object with a known key updates that row; one without a key is added.
        orm::AsyncSession m(engine);
        auto detached = std::make_shared<Author>(Author{.id = *ann->id, .name = "ann merged"});
        auto merged = co_await m.merge(detached);
        CHECK(merged != detached);
        CHECK(!m.contains(detached));
        CHECK(merged->name == "ann merged");
        // Named first: an aggregate temporary (Author{...}) inside co_await is
        // destroyed twice by GCC 12 (docs/gcc12.md).
        auto dora = std::make_shared<Author>(Author{.name = "dora"});
        auto added = co_await m.merge(dora);
        co_await m.commit();
        CHECK(*added->id > 0);
        co_await m.close();
        orm::AsyncSession check(engine);
        auto all = co_await check.scalars(orm::select<Author>().order_by(&Author::name));
        CHECK(names(all) == std::vector<std::string>{"ann merged", "bob", "carl", "dora"});
        co_await check.close();

        // A detached graph whose two sides point at each other (back_populates)
        // is merged once per object: each book's author is the merged author.
        auto eve = std::make_shared<Author>(Author{.name = "eve"});
        auto e1 = std::make_shared<Book>(Book{.title = "e-one", .price = Decimal("5.00")});
        e1->author = eve;
        eve->books = {e1};
        orm::AsyncSession g(engine);
        auto merged_eve = co_await g.merge(eve);
        REQUIRE(merged_eve->books.size() == 1);
        CHECK(merged_eve->books[0]->author.get() == merged_eve);
        co_await g.commit();
        co_await g.close();
        auto eve_books = co_await count_rows(engine, "oq_book");
        CHECK(eve_books == 4);
    });
}
