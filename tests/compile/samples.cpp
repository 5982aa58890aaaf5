// The code samples of README.md and of the public headers' comments, each in
// a function of its own with the declarations it assumes, compiled with
// -Wall -Wextra -Wpedantic -Werror against every public header: a sample
// that stops compiling, or a header that warns in user code, fails the build
// of this test. When a sample changes, change it here too.
#include <iostream>
#include <retort/config.hpp>
#include <retort/coroutine_body.hpp>
#include <retort/orm.hpp>
#include <retort/plugin/abi.hpp>
#include <retort/plugin/dialect.hpp>
#include <retort/plugin/driver.hpp>
#include <retort/plugin/loader.hpp>
#include <retort/plugin/support/worker_thread.hpp>
#include <retort/retort.hpp>

using namespace retort;
using namespace retort::sql;

// ---- README: the ORM in one screen ---------------------------------------------------
namespace readme {
struct B;
struct A {
    orm::Defaulted<std::int64_t> id{};
    std::optional<std::string> data{};
    orm::Defaulted<DateTime> create_date{};
    orm::Collection<B> bs{};
    static auto mapping() {
        return orm::table("a", orm::column(&A::id, orm::primary_key()), orm::column(&A::data, types::String(50)),
                          orm::column(&A::create_date, orm::server_default(sql::func::now())),
                          orm::relationship(&A::bs, {.lazy = orm::Lazy::raise}));
    }
};
RETORT_MAPPED(A, id, data, create_date, bs)
struct B {
    orm::Defaulted<std::int64_t> id{};
    std::int64_t a_id = 0;
    static auto mapping() {
        return orm::table("b", orm::column(&B::id, orm::primary_key()), orm::column(&B::a_id, orm::foreign_key(&A::id)));
    }
};
RETORT_MAPPED(B, id, a_id)

awaitable<void> one_screen(AsyncEngine engine) {
    orm::async_sessionmaker async_session(engine, {.expire_on_commit = false});
    auto session = async_session();
    session.add(std::make_shared<A>(A{.data = "a1", .bs = {std::make_shared<B>()}}));
    co_await session.commit();
    auto as = co_await session.scalars(
        orm::select<A>().where(orm::attr(&A::data) == "a1").options(orm::selectinload(&A::bs)));
    as.first()->data = "new data";
    co_await session.commit();
}

struct Book;
struct Author {
    orm::Defaulted<std::int64_t> id{};
    std::string name{};
    orm::Collection<Book> books{};
    static auto mapping() {
        return orm::table("s_author", orm::column(&Author::id, orm::primary_key()),
                          orm::relationship(&Author::books, {.back_populates = "author"}));
    }
};
RETORT_MAPPED(Author, id, name, books)
struct Book {
    orm::Defaulted<std::int64_t> id{};
    std::int64_t author_id = 0;
    std::string title{};
    Decimal price{};
    orm::Defaulted<std::int32_t> stock{};
    orm::Reference<Author> author{};
    static auto mapping() {
        return orm::table("s_book", orm::column(&Book::id, orm::primary_key()),
                          orm::column(&Book::author_id, orm::foreign_key(&Author::id)),
                          orm::column(&Book::stock, orm::server_default(10)),
                          orm::relationship(&Book::author, {.back_populates = "books"}));
    }
};
RETORT_MAPPED(Book, id, author_id, title, price, stock, author)

awaitable<void> queries(orm::AsyncSession& session, std::int64_t id) {
    using orm::attr;
    auto books = co_await session.scalars(
        orm::select<Book>().join(&Book::author).where(attr(&Author::name) == "Lem").order_by(&Book::title));
    for (auto& [author, n] : co_await session.execute(orm::select<Author>(sql::func::count(attr(&Book::id)))
                                                          .outerjoin(&Author::books)
                                                          .group_by(&Author::id, &Author::name)
                                                          .order_by(&Author::name)))
        std::cout << author->name << ": " << n << "\n";
    auto cheap = co_await session.scalars(orm::select<Author>().where(orm::any(&Author::books, attr(&Book::price) < 10)));
    auto tx = co_await session.begin();
    auto b = co_await session.scalar(orm::select<Book>().where(attr(&Book::id) == id).with_for_update());
    b->stock = *b->stock - 1;
    co_await tx.commit();
    (void)books;
    (void)cheap;
}

awaitable<void> savepoint_idiom(orm::AsyncSession& session, std::vector<std::shared_ptr<Book>> incoming) {
    for (auto& tag : incoming) {
        auto sp = co_await session.begin_nested();
        session.add(tag);
        try {
            co_await sp.commit();
        } catch (const IntegrityError&) {
        }
    }
    co_await session.commit();
}

// orm/session.hpp and orm/query.hpp (B has no further relationship here: the
// query sample's second selectinload is shown on Author's books instead).
awaitable<void> session_and_query_hpp(AsyncEngine engine, std::shared_ptr<A> a) {
    orm::async_sessionmaker make_session(engine, {.expire_on_commit = false});
    auto session = make_session();
    auto tx = co_await session.begin();
    session.add(a);
    co_await tx.commit();
    auto as = co_await session.scalars(orm::select<A>().options(orm::selectinload(&A::bs)));
    as.first()->data = "new data";
    co_await session.commit();
    auto stmt = orm::select<A>().where(orm::attr(&A::data) == "a1").order_by(&A::id).options(orm::selectinload(&A::bs));
    auto again = co_await session.scalars(stmt);
    auto chained = orm::selectinload(&Author::books).selectinload(&Book::author);
    (void)again, (void)chained;
    co_await session.close();
}

// orm/defaulted.hpp
struct Stocked {
    orm::Defaulted<std::int64_t> id{};
    std::string title{};
    orm::Defaulted<bool> in_stock{};
    orm::Defaulted<DateTime> added{};
    static auto mapping() {
        return orm::table("stocked", orm::column(&Stocked::id, orm::primary_key()),
                          orm::column(&Stocked::in_stock, orm::server_default(true)),
                          orm::column(&Stocked::added, orm::server_default(sql::func::now())));
    }
};
RETORT_MAPPED(Stocked, id, title, in_stock, added)
inline Stocked written_false() { return Stocked{.title = "t", .in_stock = false}; }

void configuration() {
    auto a = retort::create_async_engine("postgresql://app:secret@db/app", {.pool_size = 10});
    auto b = retort::create_async_engine_from_env("APP_DATABASE_URL");
    auto c = retort::Config::load("app.toml").create_engine("default");
}
}  // namespace readme

// ---- header comments -----------------------------------------------------------------
namespace headers {
struct Schema {
    MetaData metadata;
    Table users{metadata, "users"};
    Column<std::int64_t> users_id = users.column<std::int64_t>("id", primary_key());
    Column<std::string> users_name = users.column<std::string>("name", types::String(50), unique());
    Column<std::optional<int>> users_age = users.column<std::optional<int>>("age");
    Table addresses{metadata, "addresses"};
    Column<std::int64_t> addresses_id = addresses.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> addresses_user_id = addresses.column<std::int64_t>("user_id", references(users_id));
};

awaitable<void> connection_hpp(AsyncEngine engine, Schema& s) {
    auto& users = s.users;
    auto& users_name = s.users_name;
    auto conn = co_await engine.connect();
    co_await conn.execute(insert(users).values({users_name, "ed"}));
    co_await conn.commit();
    co_await conn.transaction([&](AsyncConnection& c) -> awaitable<void> { co_await c.commit(); });
    co_await conn.close();
}

awaitable<void> engine_hpp(MetaData& metadata) {
    auto engine = retort::create_async_engine("sqlite:///app.db", {.echo = true});
    co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([&](Connection& c) { metadata.create_all(c); });
    });
}

void select_and_dml_hpp(Schema& s) {
    auto& [metadata, users, users_id, users_name, users_age, addresses, addresses_id, addresses_user_id] = s;
    auto q = select(users_name, func::count(addresses_id).label("n"))
                 .join(addresses)
                 .where(users_name.like("e%"))
                 .group_by(users_name)
                 .having(func::count(addresses_id) > 1)
                 .order_by(users_name.desc())
                 .limit(10);
    auto e = select(users).where(exists().where(addresses_user_id == users_id));
    auto i = insert(users).values({users_name, "ed"}, {users_age, 30}).returning(users_id);
    auto u = insert(users).values({users_name, "ed"}).on_conflict(users_name).do_update({users_age, excluded(users_age)});
    auto up = update(users).values({users_age, users_age + 1}).where(users_id == 5);
    auto d = delete_(users).where(users_name.like("tmp%")).returning(users_id);
    auto bracket = case_(When(users_age < 18, "minor"), When(users_age >= 65, "senior")).else_("adult");
    static_assert(std::is_same_v<decltype(bracket), TypedExpr<std::string>>);
    (void)metadata;
    (void)q, (void)e, (void)i, (void)u, (void)up, (void)d;
}

awaitable<void> result_and_params_hpp(AsyncConnection& conn, Schema& s) {
    auto result = co_await conn.execute(select(s.users_id, s.users_name));
    for (const auto& row : result.all())
        std::cout << row.get<std::int64_t>(0) << " " << row.get<std::string>("name") << "\n";
    auto stmt = select(s.users_id).where(s.users_name == bindparam<std::string>("name"));
    co_await conn.execute(stmt, {{"name", "ed"}, {"age", 30}});
}

void table_hpp() {
    MetaData metadata;
    Table users(metadata, "users");
    auto id = users.column<std::int64_t>("id", primary_key());
    auto name = users.column<std::string>("name", types::String(50), unique());
    auto note = users.column<std::optional<std::string>>("note");
    (void)id, (void)name, (void)note;
}

void config_hpp() {
    auto config = retort::Config::load("app.toml");
    auto engine = config.create_engine();
    auto replica = config.create_engine("replica");
}
}  // namespace headers

int main() {}
