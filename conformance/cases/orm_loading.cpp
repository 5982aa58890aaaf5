// Loaders on every backend: selectinload (batched IN, chained), joinedload
// (de-duplicated parents), default loaders, streaming, explicit loads.
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace orm_loading_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Book;
struct Chapter;

struct Author {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Book> books;

    static auto mapping() {
        return orm::table(registry(), "ol_author",
                          orm::column(&Author::id, orm::primary_key()),
                          orm::column(&Author::name, types::String(40)),
                          orm::relationship(&Author::books, {.back_populates = "author", .order_by = {orm::desc("title")}}));
    }
};
RETORT_MAPPED(Author, id, name, books)

struct Book {
    orm::Defaulted<std::int64_t> id;
    std::int64_t author_id = 0;
    std::string title;
    orm::Reference<Author> author;
    orm::Collection<Chapter> chapters;

    static auto mapping() {
        return orm::table(registry(), "ol_book",
                          orm::column(&Book::id, orm::primary_key()),
                          orm::column(&Book::author_id, orm::foreign_key(&Author::id)),
                          orm::column(&Book::title, types::String(40)),
                          orm::relationship(&Book::author, {.back_populates = "books"}),
                          orm::relationship(&Book::chapters, {.lazy = orm::Lazy::selectin, .order_by = {"number"}}));
    }
};
RETORT_MAPPED(Book, id, author_id, title, author, chapters)

struct Chapter {
    orm::Defaulted<std::int64_t> id;
    std::int64_t book_id = 0;
    int number = 0;

    static auto mapping() {
        return orm::table(registry(), "ol_chapter",
                          orm::column(&Chapter::id, orm::primary_key()),
                          orm::column(&Chapter::book_id, orm::foreign_key(&Book::id)));
    }
};
RETORT_MAPPED(Chapter, id, book_id, number)

/// `authors` authors with 2 books of 3 chapters each, committed.
awaitable<void> populate(AsyncEngine& engine, int authors) {
    co_await test::recreate_tables(engine, registry().metadata());
    orm::AsyncSession s(engine);
    for (int a = 0; a < authors; ++a) {
        auto author = std::make_shared<Author>(Author{.name = "author-" + std::to_string(a)});
        std::vector<std::shared_ptr<Book>> books;
        for (int b = 0; b < 2; ++b) {
            auto book = std::make_shared<Book>(Book{.title = "title-" + std::to_string(b)});
            book->chapters = {std::make_shared<Chapter>(Chapter{.number = 1}), std::make_shared<Chapter>(Chapter{.number = 2}),
                              std::make_shared<Chapter>(Chapter{.number = 3})};
            books.push_back(book);
        }
        author->books = books;
        s.add(author);
    }
    co_await s.commit();
    co_await s.close();
}

}  // namespace orm_loading_test

using namespace orm_loading_test;

TEST_CASE("orm loading: selectinload sends one query per batch of 500 parents", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await populate(engine, 1200);
        orm::AsyncSession session(engine);
        log.sql.clear();
        auto authors = co_await session.scalars(
            orm::select<Author>().order_by(&Author::id).options(orm::selectinload(&Author::books)));
        CHECK(authors.size() == 1200);
        CHECK(log.count_containing("FROM ol_author") == 1);
        CHECK(log.count_containing("FROM ol_book") == 3);     // 500 + 500 + 200 parents
        CHECK(log.count_containing("FROM ol_chapter") == 5);  // the default selectin of Book::chapters, 2400 books
        std::size_t books = 0, ordered = 0;
        for (const auto& a : authors) {
            books += a->books.size();
            ordered += a->books.size() == 2 && a->books[0]->title == "title-1";  // order_by title desc
            REQUIRE(a->books[0]->author.get() == a);  // the many-to-one side is filled too
            REQUIRE(a->books[0]->chapters.size() == 3);
            REQUIRE(a->books[0]->chapters[0]->number == 1);
        }
        CHECK(books == 2400);
        CHECK(ordered == 1200);

        // A smaller batch size, and the loaded collections are not loaded again.
        orm::AsyncSession other(engine);
        log.sql.clear();
        auto some = co_await other.scalars(orm::select<Author>().options(orm::selectinload(&Author::books, 100)));
        CHECK(log.count_containing("FROM ol_book") == 12);
        log.sql.clear();
        co_await other.scalars(orm::select<Author>().options(orm::selectinload(&Author::books, 100)));
        CHECK(log.count_containing("FROM ol_book") == 0);
        co_await other.close();
        co_await session.close();
    });
}

TEST_CASE("orm loading: chained loaders and the many-to-one direction", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await populate(engine, 3);
        orm::AsyncSession session(engine);
        log.sql.clear();
        auto books = co_await session.scalars(
            orm::select<Book>().order_by(&Book::id).options(
                orm::selectinload(&Book::author).selectinload(&Author::books).raiseload(&Book::chapters),
                orm::raiseload(&Book::chapters)));
        CHECK(books.size() == 6);
        CHECK(log.sql.size() == 3);  // the books, their authors, the authors' books
        for (const auto& b : books) {
            REQUIRE(b->author.loaded());
            CHECK(b->author->id == b->author_id);
            CHECK(!b->chapters.loaded());  // raiseload overrides the default selectin
        }
        co_await session.close();
    });
}

TEST_CASE("orm loading: joinedload fills collections in one query with parents de-duplicated", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await populate(engine, 4);
        orm::AsyncSession session(engine);
        log.sql.clear();
        auto authors = co_await session.scalars(orm::select<Author>()
                                                    .order_by(&Author::id)
                                                    .options(orm::joinedload(&Author::books).raiseload(&Book::chapters)));
        CHECK(authors.size() == 4);
        CHECK(log.sql.size() == 1);
        CHECK(log.count_containing("LEFT OUTER JOIN") == 1);
        for (const auto& a : authors) {
            REQUIRE(a->books.size() == 2);
            CHECK(a->books[0]->title == "title-1");
        }
        // An author without books gets an empty, loaded collection.
        auto lonely = std::make_shared<Author>(Author{.name = "lonely"});
        session.add(lonely);
        co_await session.commit();
        orm::AsyncSession other(engine);
        auto all = co_await other.scalars(orm::select<Author>().options(orm::joinedload(&Author::books)));
        CHECK(all.size() == 5);
        std::size_t empty = 0;
        for (const auto& a : all) empty += a->books.loaded() && a->books.empty();
        CHECK(empty == 1);
        // LIMIT with a joined collection would count joined rows: refused.
        auto refused = co_await test::capture<ArgumentError>(
            other.scalars(orm::select<Author>().limit(2).options(orm::joinedload(&Author::books))));
        CHECK(refused);
        co_await other.close();
        co_await session.close();
    });
}

TEST_CASE("orm loading: a stream loads each chunk's relationships", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await populate(engine, 1200);
        orm::AsyncSession session(engine);
        log.sql.clear();
        auto stream = co_await session.stream_scalars(
            orm::select<Author>().order_by(&Author::id).options(orm::selectinload(&Author::books).raiseload(&Book::chapters)), 400);
        std::size_t authors = 0, books = 0, most_read_ahead = 0;
        while (auto a = co_await stream.next()) {
            ++authors;
            books += a->books.size();
            most_read_ahead = std::max(most_read_ahead, stream.read_ahead());
        }
        CHECK(authors == 1200);
        CHECK(books == 2400);
        CHECK(log.count_containing("FROM ol_book") == 3);  // one per chunk of 400

        // Memory holds one chunk where the loaders' queries run between fetches;
        // elsewhere the first chunk's loaders wait for the rest of the rows.
        auto conn = co_await engine.connect();
        co_await conn.begin();  // as the session's stream runs: in a transaction
        auto probe = co_await conn.stream(sql::select(sql::literal(1)));
        bool beside = probe.allows_other_statements();
        co_await probe.close();
        co_await conn.close();
        CHECK(most_read_ahead == (beside ? 0u : 800u));

        // commit() during a stream is refused before anything changes; rollback() ends the stream.
        auto renamed = co_await session.get<Author>(std::int64_t{1});
        REQUIRE(renamed);
        renamed->name = "renamed during a stream";
        auto open = co_await session.stream_scalars(orm::select<Author>().order_by(&Author::id), 100);
        auto head = co_await open.next();
        REQUIRE(head);
        auto refused = co_await test::capture<InvalidRequestError>(session.commit());
        CHECK(refused.has_value());
        CHECK(renamed->name == "renamed during a stream");
        co_await open.close();
        co_await session.commit();
        orm::AsyncSession check(engine);
        auto reread = co_await check.get<Author>(std::int64_t{1});
        REQUIRE(reread);
        CHECK(reread->name == "renamed during a stream");
        co_await check.close();

        auto again = co_await session.stream_scalars(orm::select<Author>().order_by(&Author::id), 100);
        auto one = co_await again.next();
        REQUIRE(one);
        co_await session.rollback();
        auto after_rollback = co_await test::capture<InvalidRequestError>(again.next());
        CHECK(after_rollback.has_value());

        // The objects a stream holds are its own: expunging them, or closing the
        // session, leaves it safe to use (objects, then an error).
        auto third = co_await session.stream_scalars(orm::select<Author>().order_by(&Author::id), 100);
        auto a1 = co_await third.next();
        session.expunge_all();
        auto a2 = co_await third.next();
        REQUIRE(a2);
        CHECK(a2->id == *a1->id + 1);
        co_await session.close();
        auto after_close = co_await test::capture<InvalidRequestError>(third.next());
        CHECK(after_close.has_value());
        co_await session.close();
    });
}

TEST_CASE("orm loading: load() fills one relationship of one object", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await populate(engine, 2);
        orm::AsyncSession session(engine);
        auto author = co_await session.scalar(orm::select<Author>().order_by(&Author::id));
        REQUIRE(author);
        CHECK(!author->books.loaded());
        log.sql.clear();
        auto books = co_await session.load(author, &Author::books);
        CHECK(books.size() == 2);
        CHECK(author->books.size() == 2);
        CHECK(log.count_containing("FROM ol_book") == 1);
        log.sql.clear();
        co_await session.load(author, &Author::books);  // loaded: no SQL
        CHECK(log.sql.empty());
        co_await session.close();
    });
}
