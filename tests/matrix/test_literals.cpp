// Literals the dialect writes into SQL itself (server defaults, LIKE's escape
// character) mean what the program said, whatever the session's SQL mode: on
// MySQL, a backslash is an escape in a string literal unless the session has
// NO_BACKSLASH_ESCAPES, which an application's init_command may set.
#include <catch2/catch.hpp>

#include <vector>

#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;

namespace {

struct Defaults {
    MetaData metadata;
    Table t{metadata, "literal_defaults"};
    Column<std::int64_t> id = t.column<std::int64_t>("id", primary_key());
    Column<std::string> v = t.column<std::string>("v", types::String(20), server_default(std::string("a\\b'c\\")));
    Column<std::optional<std::string>> note = t.column<std::optional<std::string>>("note", types::String(40));
};

}  // namespace

TEST_CASE("literals: a server default and a LIKE escape holding backslashes and quotes mean the same in every SQL mode",
          "[literals]") {
    auto base = Url::parse(test::backend_url());
    std::vector<Url> urls{base};
    if (base.dialect() == "mysql")
        urls.push_back(base.with_query_option("init_command", "SET sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"));
    for (const auto& url : urls) {
        INFO(url.to_string());
        auto engine = create_async_engine(url);
        Defaults d;
        test::run([&]() -> awaitable<void> {
            co_await test::recreate_tables(engine, d.metadata);
            auto conn = co_await engine.connect();
            co_await conn.execute(insert(d.t).values({d.id, std::int64_t{1}}, {d.note, std::string("50%\\off_now")}));
            auto v = co_await conn.scalar<std::string>(select(d.v).where(d.id == std::int64_t{1}));
            CHECK(v == "a\\b'c\\");
            // 50%\off_now, matched with its %, \ and _ taken literally, escaped by \ and by !.
            auto by_backslash = co_await conn.scalar<std::int64_t>(
                select(func::count()).select_from(d.t).where(d.note.like(std::string("50\\%\\\\off\\_now"), '\\')));
            auto by_bang = co_await conn.scalar<std::int64_t>(
                select(func::count()).select_from(d.t).where(d.note.like(std::string("50!%\\off!_now"), '!')));
            auto not_literal = co_await conn.scalar<std::int64_t>(
                select(func::count()).select_from(d.t).where(d.note.like(std::string("50\\%\\\\off\\_nix"), '\\')));
            CHECK(by_backslash == 1);
            CHECK(by_bang == 1);
            CHECK(not_literal == 0);
            co_await conn.commit();
            co_await conn.close();
        });
    }
}
