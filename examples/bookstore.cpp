// A small bookstore backend: authors, books, tags (many-to-many) and reviews,
// filled by several reviewers at once (one session each, on one event loop),
// then reported on with joins and aggregates.
//
//   bookstore [URL | --config FILE [ENGINE]] [-v]
//
// It shows: server defaults next to explicit false/0 (orm::Defaulted), the
// savepoint idiom that skips a duplicate and carries on, sessions running
// concurrently, rows of an entity with aggregates, any() over a relationship,
// a row locked with with_for_update(), and exact Decimal sums.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <iostream>
#include <retort/orm.hpp>

using namespace retort;
using orm::attr;

struct Book;
struct Review;
struct Tag;

struct Author {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Book> books;

    static auto mapping() {
        return orm::table("bs_author", orm::column(&Author::id, orm::primary_key()),
                          orm::column(&Author::name, types::String(40), orm::unique()),
                          orm::relationship(&Author::books, {.back_populates = "author", .cascade = "all"}));
    }
};
RETORT_MAPPED(Author, id, name, books)

struct Book {
    orm::Defaulted<std::int64_t> id;
    std::int64_t author_id = 0;
    std::string title;
    Decimal price;
    orm::Defaulted<std::int32_t> stock;    // unassigned: the server default, 10
    orm::Defaulted<bool> in_print;          // unassigned: true; an explicit false stays false
    orm::Reference<Author> author;
    orm::Collection<Tag> tags;
    orm::Collection<Review> reviews;

    static auto mapping() {
        return orm::table("bs_book", orm::column(&Book::id, orm::primary_key()),
                          orm::column(&Book::author_id, orm::foreign_key(&Author::id)),
                          orm::column(&Book::title, types::String(60)),
                          orm::column(&Book::price, types::Numeric(8, 2)),
                          orm::column(&Book::stock, orm::server_default(std::int32_t{10})),
                          orm::column(&Book::in_print, orm::server_default(true)),
                          orm::relationship(&Book::author, {.back_populates = "books"}),
                          orm::relationship(&Book::tags, {.order_by = {"name"}, .secondary = "bs_book_tag"}),
                          orm::relationship(&Book::reviews, {.back_populates = "book", .cascade = "all, delete-orphan"}));
    }
};
RETORT_MAPPED(Book, id, author_id, title, price, stock, in_print, author, tags, reviews)

struct Tag {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    static auto mapping() {
        return orm::table("bs_tag", orm::column(&Tag::id, orm::primary_key()),
                          orm::column(&Tag::name, types::String(20), orm::unique()));
    }
};
RETORT_MAPPED(Tag, id, name)

[[maybe_unused]] const bool book_tag =
    orm::association_table(orm::default_registry(), "bs_book_tag", {{"book_id", "bs_book.id"}, {"tag_id", "bs_tag.id"}});

struct Review {
    orm::Defaulted<std::int64_t> id;
    std::int64_t book_id = 0;
    std::string reviewer;
    std::int32_t rating = 0;
    orm::Reference<Book> book;

    static auto mapping() {
        return orm::table("bs_review", orm::column(&Review::id, orm::primary_key()),
                          orm::column(&Review::book_id, orm::foreign_key(&Book::id)),
                          orm::column(&Review::reviewer, types::String(20)),
                          orm::unique_constraint({"book_id", "reviewer"}),  // one review per reader and book
                          orm::relationship(&Review::book, {.back_populates = "reviews"}));
    }
};
RETORT_MAPPED(Review, id, book_id, reviewer, rating, book)

using Books = std::vector<std::shared_ptr<Book>>;

awaitable<void> create_schema(AsyncEngine& engine) {
    auto conn = co_await engine.connect();
    co_await conn.run_sync([](Connection& c) {
        orm::metadata().drop_all(c);
        orm::metadata().create_all(c);
    });
    co_await conn.commit();
    co_await conn.close();
}

awaitable<void> stock_the_shelves(orm::async_sessionmaker& sessions) {
    auto session = sessions();
    auto tx = co_await session.begin();
    auto sf = std::make_shared<Tag>(Tag{.name = "sf"});
    auto classic = std::make_shared<Tag>(Tag{.name = "classic"});
    auto poetry = std::make_shared<Tag>(Tag{.name = "poetry"});
    auto book = [](std::string title, const char* price, std::vector<std::shared_ptr<Tag>> tags) {
        auto b = std::make_shared<Book>(Book{.title = std::move(title), .price = Decimal(price)});
        b->tags = std::move(tags);
        return b;
    };
    auto le_guin = std::make_shared<Author>(Author{.name = "Le Guin"});
    le_guin->books = {book("The Dispossessed", "14.99", {sf, classic}), book("The Lathe of Heaven", "11.50", {sf})};
    auto dickinson = std::make_shared<Author>(Author{.name = "Dickinson"});
    dickinson->books = {book("Poems", "9.99", {poetry, classic})};
    auto lem = std::make_shared<Author>(Author{.name = "Lem"});
    auto solaris = book("Solaris", "12.00", {sf});
    auto eden = book("Eden", "10.00", {sf});
    eden->stock = 0;          // sold out: 0 is written, not the default 10
    eden->in_print = false;   // and false stays false
    lem->books = {solaris, eden};
    session.add_all(std::vector{le_guin, dickinson, lem});
    co_await tx.commit();
    co_await session.close();
}

/// One reader reviews every book in a session of their own; a review they
/// already wrote is skipped by its savepoint, the others stand.
awaitable<void> review_all(orm::async_sessionmaker& sessions, std::string reader, int bias, int& skipped) {
    auto session = sessions();
    auto books = co_await session.scalars(orm::select<Book>().order_by(&Book::title));
    co_await session.commit();
    for (const auto& b : books) {
        auto sp = co_await session.begin_nested();
        auto review = std::make_shared<Review>(Review{.reviewer = reader, .rating = 1 + (bias + static_cast<int>(b->title.size())) % 5});
        review->book = b;
        session.add(review);
        try {
            co_await sp.commit();
        } catch (const IntegrityError&) {
            ++skipped;  // already reviewed by this reader: rolled back to the savepoint
        }
        co_await session.commit();
    }
    co_await session.close();
}

/// Sells one copy, the row locked against concurrent sellers.
awaitable<void> sell(orm::async_sessionmaker& sessions, std::string title) {
    auto session = sessions();
    auto tx = co_await session.begin();
    auto b = co_await session.scalar(orm::select<Book>().where(attr(&Book::title) == title).with_for_update());
    if (b && *b->stock > 0) b->stock = *b->stock - 1;
    co_await tx.commit();
    co_await session.close();
}

awaitable<void> report(orm::async_sessionmaker& sessions) {
    auto session = sessions();
    // Each book with its author, number of reviews and average rating.
    auto rows = co_await session.execute(
        orm::select<Book, Author>(sql::func::count(attr(&Review::id)), sql::func::avg(attr(&Review::rating)))
            .join(&Book::author)
            .outerjoin(&Book::reviews)
            .group_by(&Book::id, &Book::author_id, &Book::title, &Book::price, &Book::stock, &Book::in_print,
                      &Author::id, &Author::name)
            .order_by(&Book::title));
    for (const auto& [book, author, reviews, average] : rows) {
        char avg[16];
        std::snprintf(avg, sizeof avg, "%.1f", average.value_or(0));
        std::cout << book->title << " by " << author->name << ": " << reviews << " reviews, average " << avg
                  << ", stock " << *book->stock << (*book->in_print ? "" : ", out of print") << "\n";
    }
    // Authors with a book someone rated 5.
    auto loved = co_await session.scalars(
        orm::select<Author>()
            .where(orm::any(&Author::books, orm::any(&Book::reviews, attr(&Review::rating) == 5)))
            .order_by(&Author::name));
    std::cout << "authors with a 5-star book:";
    for (const auto& a : loved) std::cout << " " << a->name;
    std::cout << "\n";
    // Stock value, exact: sum of price * stock.
    auto value = co_await session.execute(sql::select(sql::func::sum(attr(&Book::price) * attr(&Book::stock))));
    std::cout << "stock value: " << value.scalar<std::optional<Decimal>>().value_or(Decimal("0")).with_scale(2).str()
              << "\n";
    co_await session.close();
}

awaitable<void> bookstore(AsyncEngine engine) {
    co_await create_schema(engine);
    orm::async_sessionmaker sessions(engine, {.expire_on_commit = false});
    co_await stock_the_shelves(sessions);

    // Four readers at once, one of them twice: each a coroutine with its own session.
    auto ex = co_await boost::asio::this_coro::executor;
    int skipped = 0, running = 0;
    boost::asio::steady_timer all_done(ex, std::chrono::steady_clock::time_point::max());
    std::exception_ptr failure;
    for (auto [reader, bias] : std::vector<std::pair<std::string, int>>{{"ann", 0}, {"bob", 1}, {"cy", 2}, {"ann", 0}, {"dee", 4}}) {
        ++running;
        boost::asio::co_spawn(ex, review_all(sessions, reader, bias, skipped), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
            if (--running == 0) all_done.cancel();
        });
    }
    for (int i = 0; i < 3; ++i) {
        ++running;
        boost::asio::co_spawn(ex, sell(sessions, "Solaris"), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
            if (--running == 0) all_done.cancel();
        });
    }
    boost::system::error_code ec;
    co_await all_done.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    if (failure) std::rethrow_exception(failure);
    std::cout << "duplicate reviews skipped: " << skipped << "\n";

    co_await report(sessions);
    co_await engine.dispose();
}

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        EngineOptions options;
        std::erase_if(args, [&](const std::string& a) { return a == "-v" ? (options.echo = true) : false; });
        AsyncEngine engine = [&] {
            if (!args.empty() && args[0] == "--config") {
                if (args.size() < 2) throw ArgumentError("--config needs a file name");
                auto config = Config::load(args[1]).engine(args.size() > 2 ? args[2] : "default");
                config.options.echo |= options.echo;
                return create_async_engine(config.url, config.options);
            }
            return create_async_engine(args.empty() ? "sqlite://" : args[0], options);
        }();
        boost::asio::io_context io;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, bookstore(engine), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
