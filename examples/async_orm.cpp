// Retort's port of SQLAlchemy's asyncio ORM example (examples/asyncio/async_orm.py):
// two mapped classes, a session that adds objects in a transaction, a query with
// selectinload printed with its create dates, the same query streamed, and an
// update committed and read back.
//
//   async_orm [URL | --config FILE [ENGINE]] [-v]
//
// The database is the URL given, else the engine of a config file, else the
// RETORT_DATABASE_URL environment variable, else an in-memory SQLite database.
// -v logs every statement (SQLAlchemy's echo=True).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <iostream>
#include <retort/orm.hpp>

using namespace retort;

struct B;

struct A {
    orm::Defaulted<std::int64_t> id;
    std::optional<std::string> data;
    orm::Defaulted<DateTime> create_date;
    orm::Collection<B> bs;

    static auto mapping() {
        return orm::table("a",
                          orm::column(&A::id, orm::primary_key()),
                          orm::column(&A::data, types::String(50)),
                          orm::column(&A::create_date, orm::server_default(sql::func::now())),
                          orm::relationship(&A::bs, {.lazy = orm::Lazy::raise}));
    }
};
RETORT_MAPPED(A, id, data, create_date, bs)

struct B {
    orm::Defaulted<std::int64_t> id;
    std::int64_t a_id = 0;
    std::optional<std::string> data;

    static auto mapping() {
        return orm::table("b",
                          orm::column(&B::id, orm::primary_key()),
                          orm::column(&B::a_id, orm::foreign_key(&A::id)),
                          orm::column(&B::data, types::String(50)));
    }
};
RETORT_MAPPED(B, id, a_id, data)

std::ostream& operator<<(std::ostream& out, const std::optional<std::string>& s) {
    return s ? out << '\'' << *s << '\'' : out << "None";
}
std::ostream& operator<<(std::ostream& out, const A& a) { return out << "A(id=" << a.id << ", data=" << a.data << ")"; }
std::ostream& operator<<(std::ostream& out, const B& b) {
    return out << "B(id=" << b.id << ", a_id=" << b.a_id << ", data=" << b.data << ")";
}

awaitable<void> async_main(AsyncEngine engine) {
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) { orm::metadata().drop_all(c); });
    });
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) { orm::metadata().create_all(c); });
    });

    // expire_on_commit = false keeps the objects' attributes after commit.
    orm::async_sessionmaker async_session(engine, {.expire_on_commit = false});

    auto session = async_session();
    co_await session.begin([](orm::AsyncSession& s) -> awaitable<void> {
        s.add_all(std::vector{
            std::make_shared<A>(A{.data = "a1", .bs = {std::make_shared<B>(), std::make_shared<B>()}}),
            std::make_shared<A>(A{.data = "a2", .bs = {std::make_shared<B>()}}),
            std::make_shared<A>(A{.data = "a3", .bs = {std::make_shared<B>(), std::make_shared<B>()}}),
        });
        co_return;
    });

    // Relationships are loaded by eager loaders: A::bs is lazy = raise.
    auto stmt = orm::select<A>().options(orm::selectinload(&A::bs));

    auto result = co_await session.scalars(stmt);
    for (const auto& a1 : result) {
        std::cout << *a1 << "\n";
        std::cout << "created at: " << format_datetime(*a1->create_date) << "\n";
        for (const auto& b1 : a1->bs) std::cout << *b1 << "\n";
    }

    // Streaming: rows are fetched as the loop goes.
    auto streamed = (co_await session.stream(stmt)).scalars();
    while (auto a1 = co_await streamed.next()) {
        std::cout << *a1 << "\n";
        for (const auto& b1 : a1->bs) std::cout << *b1 << "\n";
    }

    auto first = co_await session.scalars(orm::select<A>().order_by(&A::id));
    auto a1 = first.first();
    a1->data = "new data";  // plain assignment: the flush finds the change
    co_await session.commit();

    // Explicit async loading of one relationship (SQLAlchemy's awaitable_attrs).
    for (const auto& b1 : co_await session.load(a1, &A::bs)) std::cout << *b1 << "\n";
    co_await session.close();

    // Read back in a fresh session: the value comes from the database.
    auto check = async_session();
    auto again = co_await check.get<A>(a1->id);
    std::cout << "read back after commit: " << *again << "\n";
    co_await check.close();

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
                auto config = Config::load(args[1]);
                auto engine_config = config.engine(args.size() > 2 ? args[2] : "default");
                engine_config.options.echo |= options.echo;
                return create_async_engine(engine_config.url, engine_config.options);
            }
            if (!args.empty()) return create_async_engine(args[0], options);
            if (const char* url = std::getenv("RETORT_DATABASE_URL"); url && *url)
                return create_async_engine_from_env("RETORT_DATABASE_URL", options);
            return create_async_engine("sqlite://", options);
        }();

        boost::asio::io_context io;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, async_main(engine), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
