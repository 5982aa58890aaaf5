// A tour of Retort's SQL core: declare tables, create them, insert and query
// through the expression language, and show the SQL each dialect compiles.
//
//   core_tour [database-url]        (default: sqlite:///retort_tour.db, a file here;
//                                    sqlite:// is one in-memory database per engine)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "retort/plugin/loader.hpp"
#include "retort/retort.hpp"

using namespace retort;
using namespace retort::sql;

struct Schema {
    MetaData metadata;
    Table users{metadata, "users"};
    Column<std::int64_t> id = users.column<std::int64_t>("id", primary_key());
    Column<std::string> name = users.column<std::string>("name", types::String(50), unique());
    Column<std::optional<std::string>> fullname = users.column<std::optional<std::string>>("fullname", types::String(100));
    Column<DateTime> created = users.column<DateTime>("created_at", server_default(func::now()));

    Table addresses{metadata, "addresses"};
    Column<std::int64_t> address_id = addresses.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> user_id = addresses.column<std::int64_t>("user_id", references(id, ReferentialAction::cascade));
    Column<std::string> email = addresses.column<std::string>("email", types::String(100));
};

awaitable<void> tour(AsyncEngine engine, const Schema& s) {
    co_await engine.begin([&](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([&](Connection& c) {
            s.metadata.drop_all(c);
            s.metadata.create_all(c);
        });
        co_await conn.execute(insert(s.users).values({s.name, "ed"}, {s.fullname, "Ed Jones"}));
        co_await conn.execute(insert(s.users).values({s.name, "wendy"}));
        auto rows = std::vector<std::vector<Assignment>>{{{s.user_id, 1}, {s.email, "ed@example.com"}},
                                                          {{s.user_id, 1}, {s.email, "ed@work.org"}},
                                                          {{s.user_id, 2}, {s.email, "wendy@example.com"}}};
        co_await conn.execute(insert(s.addresses).rows(rows));
    });

    auto conn = co_await engine.connect();
    auto query = select(s.name, func::coalesce(s.fullname, s.name).label("display"), func::count(s.address_id).label("addresses"))
                     .outerjoin(s.addresses)
                     .group_by(s.name, s.fullname)
                     .order_by(s.name);
    std::cout << "\nusers and their address counts:\n";
    for (const auto& row : (co_await conn.execute(query)).all())
        std::cout << "  " << row.get<std::string>("name") << " (" << row.get<std::string>("display") << "): "
                  << row.get<std::int64_t>("addresses") << " addresses\n";

    std::cout << "\nemails at example.com, streamed:\n";
    auto stream = co_await conn.stream(select(s.email).where(s.email.like("%@example.com")).order_by(s.email));
    while (auto row = co_await stream.fetchone()) std::cout << "  " << row->get<std::string>(0) << "\n";

    auto created = co_await conn.scalar<DateTime>(select(s.created).where(s.name == "ed"));
    std::cout << "\ned was created at " << format_datetime(created) << " (server default)\n";
    co_await conn.close();

    std::cout << "\nthe same query as each dialect compiles it:\n";
    for (const char* dialect : {"sqlite", "postgresql", "mysql"})
        std::cout << "  " << dialect << ": " << plugin::load_dialect(dialect)->compiler().compile(*Statement(query).statement_node()).sql
                  << "\n";
}

int main(int argc, char** argv) {
    try {
        std::string url = argc > 1 ? argv[1] : "sqlite:///retort_tour.db";
        Schema schema;
        auto engine = create_async_engine(url);
        std::cout << "Retort core tour on " << engine.url().to_string() << "\n";
        boost::asio::io_context io;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, tour(engine, schema), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
