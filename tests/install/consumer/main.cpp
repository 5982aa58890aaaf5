// An application built against an installed Retort, as a user builds one:
// only the installed headers, the library found by find_package(Retort) or by
// pkg-config, and the dialect plugins the installed library finds by itself.
//
//   retort_consumer URL     writes, reads back and drops a table of its own;
//                           prints each plugin file the library can see.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <retort/orm.hpp>
#include <retort/plugin/loader.hpp>

using namespace retort;

namespace consumer {

struct Note {
    // `{}`: GCC 12's -Wextra warns of a designated initializer that leaves out
    // a member with no initializer of its own.
    orm::Defaulted<std::int64_t> id{};
    std::string text;
    bool done = false;

    static auto mapping() {
        return orm::table("retort_consumer_note", orm::column(&Note::id, orm::primary_key()),
                          orm::column(&Note::text, types::String(100)));
    }
};
RETORT_MAPPED(Note, id, text, done)

awaitable<void> run(AsyncEngine engine) {
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) {
            orm::metadata().drop_all(c);
            orm::metadata().create_all(c);
        });
    });
    orm::async_sessionmaker make_session(engine, {.expire_on_commit = false});
    {
        auto session = make_session();
        session.add(std::make_shared<Note>(Note{.text = "written by an installed Retort", .done = false}));
        session.add(std::make_shared<Note>(Note{.text = "it's 'quoted'; DROP TABLE x", .done = true}));
        co_await session.commit();
        co_await session.close();
    }
    {
        auto session = make_session();
        auto notes = co_await session.scalars(orm::select<Note>().order_by(&Note::id));
        int i = 0;
        for (const auto& n : notes) std::cout << "note " << ++i << ": " << n->text << " done=" << n->done << "\n";
        co_await session.close();
    }
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) { orm::metadata().drop_all(c); });
    });
    co_await engine.dispose();
}

}  // namespace consumer

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: retort_consumer URL\n";
        return 2;
    }
    try {
        auto engine = create_async_engine(argv[1]);
        std::cout << "dialect: " << engine.dialect_name() << "\n";
        for (const auto& p : plugin::available_plugins())
            std::cout << "plugin file: " << p.path.string() << (p.error.empty() ? "" : " (refused: " + p.error + ")")
                      << "\n";
        boost::asio::io_context io;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, consumer::run(engine), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
