// AsyncSession on every backend: the unit of work, the identity map,
// transactions, and what a failed flush leaves behind.
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace orm_session_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Item;

struct Owner {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    std::optional<std::string> note;
    orm::Defaulted<DateTime> created;
    orm::Defaulted<std::string> code;
    orm::Collection<Item> items;

    static auto mapping() {
        return orm::table(registry(), "os_owner",
                          orm::column(&Owner::id, orm::primary_key()),
                          orm::column(&Owner::name, types::String(40), orm::unique()),
                          orm::column(&Owner::note, types::String(100)),
                          orm::column(&Owner::created, orm::server_default(sql::func::now())),
                          orm::column(&Owner::code, types::String(20), orm::default_value(std::string("std"))),
                          orm::relationship(&Owner::items, {.back_populates = "owner",
                                                            .cascade = "all, delete-orphan",
                                                            .order_by = {"id"}}));
    }
};
RETORT_MAPPED(Owner, id, name, note, created, code, items)

struct Item {
    orm::Defaulted<std::int64_t> id;
    std::int64_t owner_id = 0;
    std::string label;
    orm::Reference<Owner> owner;

    static auto mapping() {
        return orm::table(registry(), "os_item",
                          orm::column(&Item::id, orm::primary_key()),
                          orm::column(&Item::owner_id, orm::foreign_key(&Owner::id)),
                          orm::column(&Item::label, types::String(40)),
                          orm::relationship(&Item::owner, {.back_populates = "items"}));
    }
};
RETORT_MAPPED(Item, id, owner_id, label, owner)

// A one-to-many without a link back: its children know nothing of their box.
struct Marble;
struct Box {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Marble> marbles;

    static auto mapping() {
        return orm::table(registry(), "os_box", orm::column(&Box::id, orm::primary_key()),
                          orm::column(&Box::name, types::String(40)),
                          orm::relationship(&Box::marbles, {.cascade = "all, delete-orphan"}));
    }
};
RETORT_MAPPED(Box, id, name, marbles)

struct Marble {
    orm::Defaulted<std::int64_t> id;
    std::int64_t box_id = 0;
    std::string colour;

    static auto mapping() {
        return orm::table(registry(), "os_marble", orm::column(&Marble::id, orm::primary_key()),
                          orm::column(&Marble::box_id, orm::foreign_key(&Box::id)),
                          orm::column(&Marble::colour, types::String(40)));
    }
};
RETORT_MAPPED(Marble, id, box_id, colour)

std::shared_ptr<Owner> owner(std::string name, std::vector<std::string> labels = {}) {
    auto o = std::make_shared<Owner>();
    o->name = std::move(name);
    std::vector<std::shared_ptr<Item>> items;
    for (auto& l : labels) items.push_back(std::make_shared<Item>(Item{.label = l}));
    o->items = std::move(items);
    return o;
}

/// Rows of one of this file's tables, as another session sees them.
awaitable<std::int64_t> count_rows(AsyncEngine& engine, const char* table) {
    co_return co_await test::count_rows(engine, registry().metadata().table(table));
}

}  // namespace orm_session_test

using namespace orm_session_test;

TEST_CASE("orm session: a flush inserts objects with their children, generated keys and defaults", "[orm][smoke]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto a = owner("ann", {"a1", "a2"});
        auto b = owner("bob", {"b1"});
        session.add_all(std::vector{a, b});
        CHECK(session.size() == 5);  // the items came along (save-update cascade)
        log.sql.clear();
        co_await session.commit();
        // One multi-row INSERT per table.
        CHECK(log.count_starting("INSERT INTO os_owner") == 1);
        CHECK(log.count_starting("INSERT INTO os_item") == 1);
        CHECK(a->id > 0);
        CHECK(b->id > a->id);
        CHECK(a->code == "std");                    // client default
        CHECK(a->created != DateTime{});            // server default, fetched back
        CHECK(a->items[0]->owner_id == a->id);      // foreign key filled from the relationship
        CHECK(b->items[0]->owner_id == b->id);
        CHECK(a->items[0]->id > 0);

        auto n_owners = co_await count_rows(engine, "os_owner");
        auto n_items = co_await count_rows(engine, "os_item");
        CHECK(n_owners == 2);
        CHECK(n_items == 3);
        co_await session.close();
    });
}

TEST_CASE("orm session: get() answers from the identity map without a statement", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        std::int64_t id = 0;
        {
            orm::AsyncSession s(engine);
            auto a = owner("ann");
            s.add(a);
            co_await s.commit();
            id = *a->id;
            co_await s.close();
        }
        orm::AsyncSession session(engine);
        log.sql.clear();
        auto first = co_await session.get<Owner>(id);
        REQUIRE(first);
        CHECK(first->name == "ann");
        CHECK(log.sql.size() == 1);  // the SELECT by key

        log.sql.clear();
        auto again = co_await session.get<Owner>(id);
        CHECK(again == first);       // one object per identity
        CHECK(log.sql.empty());      // and no SQL for it

        auto queried = co_await session.scalar(orm::select<Owner>().where(orm::attr(&Owner::name) == "ann"));
        CHECK(queried == first);

        log.sql.clear();
        auto missing = co_await session.get<Owner>(id + 1000);
        CHECK(!missing);
        CHECK(log.sql.size() == 1);
        co_await session.close();
    });
}

TEST_CASE("orm session: a plain assignment is flushed as an UPDATE of the changed column only", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto a = owner("ann");
        auto b = owner("bob");
        session.add_all(std::vector{a, b});
        co_await session.commit();

        log.sql.clear();
        co_await session.flush();  // nothing changed: nothing sent
        CHECK(log.sql.empty());

        a->note = "changed";
        b->note = "also";
        co_await session.commit();
        // Two rows of one shape: one execute_many, whose rows the hook sees one by one.
        REQUIRE(log.count_starting("UPDATE") == 2);
        CHECK(log.sql.front() == log.sql.back());
        auto update = *std::find_if(log.sql.begin(), log.sql.end(), [](auto& s) { return s.rfind("UPDATE", 0) == 0; });
        CHECK(update.find("note") != std::string::npos);
        CHECK(update.find("name") == std::string::npos);
        CHECK(update.find("code") == std::string::npos);

        orm::AsyncSession check(engine);
        auto read = co_await check.get<Owner>(a->id);
        CHECK(read->note == std::optional<std::string>("changed"));
        co_await check.close();
        co_await session.close();
    });
}

TEST_CASE("orm session: autoflush makes pending changes visible to the next query", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine);
        session.add(owner("ann"));
        auto found = co_await session.scalars(orm::select<Owner>().where(orm::attr(&Owner::name) == "ann"));
        CHECK(found.size() == 1);
        co_await session.rollback();
        auto n = co_await count_rows(engine, "os_owner");
        CHECK(n == 0);
        co_await session.close();
    });
}

TEST_CASE("orm session: execute() runs ORM and Core statements in the session's transaction", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::async_sessionmaker make_session(engine, {.expire_on_commit = false});
        auto session = make_session();
        session.add_all(std::vector{owner("ann", {"a1"}), owner("bob"), owner("cy")});

        // ORM statements: autoflushed first; Result -> scalars() -> one().
        auto result = co_await session.execute(orm::select<Owner>().where(orm::attr(&Owner::name) == "bob"));
        CHECK(result.size() == 1);
        auto bob = result.scalars().one();
        CHECK(bob->id > 0);
        auto none = co_await session.scalar(orm::select<Owner>().where(orm::attr(&Owner::name) == "nobody"));
        CHECK(none == nullptr);
        auto last = co_await session.scalar(orm::select<Owner>().order_by(orm::attr(&Owner::id).desc()).limit(1));
        REQUIRE(last);
        CHECK(last->name == "cy");
        auto many = co_await session.execute(orm::select<Owner>());
        auto more_than_one = co_await test::capture<MultipleResultsFound>([&]() -> awaitable<void> {
            many.scalars().one();
            co_return;
        }());
        CHECK(more_than_one.has_value());

        // A Core statement with parameters, in the same transaction as the ORM's writes.
        auto table = registry().metadata().table("os_owner");
        auto note = table.c<std::optional<std::string>>("note");
        auto name = table.c<std::string>("name");
        auto updated = co_await session.execute(
            sql::update(table).values({note, sql::bindparam<std::string>("note")}).where(name != "ann"),
            {{"note", std::string("set by Core; DROP TABLE os_owner; --")}});
        CHECK(updated.rowcount() == 2);
        // Rows changed behind the identity map are read into objects on refresh().
        CHECK(!bob->note.has_value());
        co_await session.refresh(bob);
        CHECK(bob->note == std::optional<std::string>("set by Core; DROP TABLE os_owner; --"));

        // Rolling back undoes the ORM's INSERTs and the Core UPDATE alike.
        co_await session.rollback();
        auto owners_left = co_await count_rows(engine, "os_owner");
        CHECK(owners_left == 0);
        co_await session.close();
    });
}

TEST_CASE("orm session: flushes and queries of the same shape reuse their compiled SQL", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto round = [&](int i) -> awaitable<void> {
            auto o = owner("owner-" + std::to_string(i), {"x", "y"});
            session.add(o);
            co_await session.flush();
            o->note = "changed";
            o->items[0]->label = "relabelled";
            auto found = co_await session.scalars(orm::select<Owner>()
                                                      .where(orm::attr(&Owner::name) == o->name)
                                                      .options(orm::selectinload(&Owner::items)));
            session.delete_(o);
            co_await session.commit();
            session.expunge_all();
            CHECK(found.size() == 1);
        };
        co_await round(0);  // compiles each shape once
        auto before = engine.compiled_cache_stats();
        for (int i = 1; i <= 20; ++i) co_await round(i);
        auto after = engine.compiled_cache_stats();
        CHECK(after.misses == before.misses);
        CHECK(after.hits > before.hits);
        co_await session.close();
    });
}

TEST_CASE("orm session: a failed flush commits nothing and leaves the session usable", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann");
        session.add(ann);
        co_await session.commit();

        // One transaction: an update that succeeds, then new rows, one of which clashes.
        ann->note = "updated in the failed transaction";
        co_await session.flush();
        auto good = owner("carl", {"c1", "c2"});
        auto clash = owner("ann");  // the name is unique
        session.add_all(std::vector{good, clash});
        auto error = co_await test::capture<IntegrityError>(session.commit());
        REQUIRE(error);

        // Nothing of it reached the database.
        auto owners = co_await count_rows(engine, "os_owner");
        auto items = co_await count_rows(engine, "os_item");
        CHECK(owners == 1);
        CHECK(items == 0);
        {
            orm::AsyncSession check(engine);
            auto read = co_await check.get<Owner>(*ann->id);
            CHECK(!read->note.has_value());
            co_await check.close();
        }
        // As in SQLAlchemy: the objects added in the transaction left the session
        // (their generated keys cleared), the updated one holds its row's values again.
        CHECK(!session.in_transaction());
        CHECK(!session.contains(good));
        CHECK(!session.contains(clash));
        CHECK(!session.contains(good->items[0]));
        CHECK(!good->id.has_value());
        CHECK(!good->items[0]->id.has_value());
        CHECK(!good->created.has_value());
        CHECK(session.contains(ann));
        CHECK(!ann->note.has_value());

        // So the next flush does not fail on the same objects again.
        auto dora = owner("dora");
        session.add(dora);
        co_await session.commit();
        // And the failed objects can be fixed and added again.
        clash->name = "eve";
        session.add_all(std::vector{good, clash});
        co_await session.commit();
        CHECK(*good->id > 0);
        auto owners_after = co_await count_rows(engine, "os_owner");
        auto items_after = co_await count_rows(engine, "os_item");
        CHECK(owners_after == 4);
        CHECK(items_after == 2);
        co_await session.close();
    });
}

TEST_CASE("orm session: after rollback() the objects added in the transaction are expunged", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto kept = owner("kept");
        session.add(kept);
        co_await session.commit();

        auto flushed = owner("flushed", {"f1"});
        auto unflushed = owner("unflushed");
        session.add(flushed);
        co_await session.flush();
        session.add(unflushed);
        kept->note = "not kept";
        co_await session.rollback();
        CHECK(!session.contains(flushed));
        CHECK(!session.contains(flushed->items[0]));
        CHECK(!session.contains(unflushed));
        CHECK(session.contains(kept));
        CHECK(!kept->note.has_value());
        CHECK(session.size() == 1);
        co_await session.commit();  // nothing left to write
        auto owners = co_await count_rows(engine, "os_owner");
        auto items = co_await count_rows(engine, "os_item");
        CHECK(owners == 1);
        CHECK(items == 0);
        co_await session.close();
    });
}

TEST_CASE("orm session: begin() commits when its body returns and rolls back when it throws", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        co_await session.begin([](orm::AsyncSession& s) -> awaitable<void> {
            s.add(owner("ann"));
            co_return;
        });
        auto n = co_await count_rows(engine, "os_owner");
        CHECK(n == 1);

        auto failed = co_await test::capture<std::runtime_error>(
            session.begin([](orm::AsyncSession& s) -> awaitable<void> {
                s.add(owner("bob"));
                co_await s.flush();
                throw std::runtime_error("changed my mind");
            }));
        CHECK(failed);
        auto still = co_await count_rows(engine, "os_owner");
        CHECK(still == 1);

        // A second begin() while a transaction is open is refused.
        co_await session.connection();
        auto nested = co_await test::capture<InvalidRequestError>(
            session.begin([](orm::AsyncSession&) -> awaitable<void> { co_return; }));
        CHECK(nested);
        co_await session.close();
    });
}

TEST_CASE("orm session: begin_nested() rolls back only what its body did", "[orm]") {
    auto engine = test::make_engine();
    RETORT_REQUIRE_CAPABILITY(engine.dialect(), savepoints);
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann");
        session.add(ann);
        co_await session.flush();
        auto bob = owner("bob");
        // A body that captures by value is named first (GCC 12: retort/coroutine_body.hpp).
        auto add_bob = [bob](orm::AsyncSession& s) -> awaitable<void> {
            s.add(bob);
            co_await s.flush();
            throw std::runtime_error("undo the savepoint");
        };
        auto failed = co_await test::capture<std::runtime_error>(session.begin_nested(add_bob));
        CHECK(failed);
        CHECK(!bob->id.has_value());  // its INSERT undone
        CHECK(!session.contains(bob));
        CHECK(*ann->id > 0);          // the outer transaction's work stands
        co_await session.begin_nested([](orm::AsyncSession& s) -> awaitable<void> {
            s.add(owner("carl"));
            co_return;
        });
        co_await session.commit();
        auto n = co_await count_rows(engine, "os_owner");
        CHECK(n == 2);  // ann and carl
        co_await session.close();
    });
}

TEST_CASE("orm session: a failed flush in begin_nested() rolls back to the savepoint only", "[orm]") {
    auto engine = test::make_engine();
    RETORT_REQUIRE_CAPABILITY(engine.dialect(), savepoints);
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann", {"a1"});
        auto bob = owner("bob");
        session.add_all(std::vector{ann, bob});
        co_await session.commit();

        // The outer transaction: a new object (flushed by begin_nested before its
        // SAVEPOINT) and a change; inside: a change to bob and a duplicate name.
        auto carl = owner("carl");
        session.add(carl);
        ann->note = "outer";
        auto dup = owner("ann", {"d1"});
        auto inner = [dup, bob](orm::AsyncSession& s) -> awaitable<void> {
            bob->note = "inner";
            s.add(dup);
            co_await s.flush();
        };
        auto error = co_await test::capture<IntegrityError>(session.begin_nested(inner));
        REQUIRE(error);
        CHECK(session.in_transaction());
        CHECK(!session.contains(dup));             // pending inside: expunged
        CHECK(!session.contains(dup->items[0]));
        CHECK(!bob->note.has_value());             // persistent: back to its row at the savepoint
        CHECK(ann->note == std::optional<std::string>("outer"));
        CHECK(*carl->id > 0);

        co_await session.commit();  // the outer transaction goes on, with what it had
        orm::AsyncSession check(engine);
        auto rows = co_await check.scalars(orm::select<Owner>().order_by(&Owner::name));
        std::vector<std::string> names;
        for (const auto& o : rows) names.push_back(o->name);
        CHECK(names == std::vector<std::string>{"ann", "bob", "carl"});
        auto ann_row = co_await check.get<Owner>(*ann->id);
        auto bob_row = co_await check.get<Owner>(*bob->id);
        CHECK(ann_row->note == std::optional<std::string>("outer"));
        CHECK(!bob_row->note.has_value());
        auto items = co_await count_rows(engine, "os_item");
        CHECK(items == 1);  // a1 only
        co_await check.close();
        co_await session.close();
    });
}

TEST_CASE("orm session: the savepoint idiom: try an INSERT, ignore the duplicate, carry on", "[orm]") {
    auto engine = test::make_engine();
    RETORT_REQUIRE_CAPABILITY(engine.dialect(), savepoints);
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        int duplicates = 0;
        for (std::string name : {"ann", "bob", "ann", "carl", "bob", "dora"}) {
            auto sp = co_await session.begin_nested();
            session.add(owner(name, {name + "-item"}));
            auto error = co_await test::capture<IntegrityError>(sp.commit());
            if (error) ++duplicates;
        }
        CHECK(duplicates == 2);
        co_await session.commit();

        orm::AsyncSession check(engine);
        auto rows = co_await check.scalars(orm::select<Owner>().order_by(&Owner::name));
        std::vector<std::string> names;
        for (const auto& o : rows) names.push_back(o->name);
        CHECK(names == std::vector<std::string>{"ann", "bob", "carl", "dora"});
        auto items = co_await count_rows(engine, "os_item");
        CHECK(items == 4);
        co_await check.close();
        co_await session.close();
    });
}

TEST_CASE("orm session: delete, cascade delete and delete-orphan", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann", {"a1", "a2", "a3"});
        auto bob = owner("bob", {"b1"});
        session.add_all(std::vector{ann, bob});
        co_await session.commit();

        ann->items.remove(ann->items[0]);  // an orphan: deleted
        co_await session.commit();
        auto items = co_await count_rows(engine, "os_item");
        CHECK(items == 3);

        // Deleting an owner whose items are not loaded loads and deletes them.
        orm::AsyncSession other(engine);
        auto bob_again = co_await other.get<Owner>(bob->id);
        REQUIRE(bob_again);
        CHECK(!bob_again->items.loaded());
        other.delete_(bob_again);
        co_await other.commit();
        auto owners = co_await count_rows(engine, "os_owner");
        auto left = co_await count_rows(engine, "os_item");
        CHECK(owners == 1);
        CHECK(left == 2);
        CHECK(!other.contains(bob_again));
        co_await other.close();

        // A rolled-back delete leaves the object persistent.
        session.delete_(ann);
        co_await session.flush();
        co_await session.rollback();
        CHECK(session.contains(ann));
        auto ann_again = co_await session.get<Owner>(ann->id);
        CHECK(ann_again == ann);
        co_await session.close();
    });
}

TEST_CASE("orm session: refresh() and expire() take the database's values", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann");
        session.add(ann);
        co_await session.commit();

        auto set_note = [&](std::string note) -> awaitable<void> {
            auto conn = co_await engine.connect();
            auto table = registry().metadata().table("os_owner");
            co_await conn.execute(sql::update(table).values({table.c<std::optional<std::string>>("note"), note}));
            co_await conn.commit();
            co_await conn.close();
        };
        co_await set_note("from elsewhere");
        co_await session.refresh(ann);
        CHECK(ann->note == std::optional<std::string>("from elsewhere"));
        CHECK(!ann->items.loaded());
        co_await session.commit();

        co_await set_note("again");
        auto stale = co_await session.scalar(orm::select<Owner>());
        CHECK(stale->note == std::optional<std::string>("from elsewhere"));  // the identity map wins
        co_await session.commit();
        session.expire(ann);
        auto fresh = co_await session.scalar(orm::select<Owner>());
        CHECK(fresh == ann);
        CHECK(ann->note == std::optional<std::string>("again"));
        co_await session.close();
    });
}

TEST_CASE("orm session: thousands of objects go out in multi-row batches with their own keys", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        std::vector<std::shared_ptr<Owner>> owners;
        for (int i = 0; i < 2500; ++i) owners.push_back(owner("owner-" + std::to_string(i)));
        session.add_all(owners);
        log.sql.clear();
        co_await session.commit();
        auto inserts = log.count_starting("INSERT INTO os_owner");
        const auto& caps = engine.dialect().capabilities();
        std::size_t per_statement = std::min(caps.max_rows_per_insert, caps.max_parameters / 3);
        CHECK(inserts == (2500 + per_statement - 1) / per_statement);

        // Every object got the key of its own row.
        auto conn = co_await engine.connect();
        auto table = registry().metadata().table("os_owner");
        auto rows = co_await conn.execute(sql::select(table.c<std::int64_t>("id"), table.c<std::string>("name")));
        co_await conn.close();
        std::map<std::int64_t, std::string> by_id;
        for (const auto& row : rows.all()) by_id[row.get<std::int64_t>(0)] = row.get<std::string>(1);
        REQUIRE(by_id.size() == 2500);
        std::size_t wrong = 0;
        for (const auto& o : owners) wrong += by_id[*o->id] != o->name;
        CHECK(wrong == 0);
        co_await session.close();
    });
}

TEST_CASE("orm session: a flush whose INSERT batches fail part-way leaves nothing written", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        // Three batches or more on every backend; the clash is in the last one,
        // after batches the server has already run (pipelined where it can).
        std::vector<std::shared_ptr<Owner>> owners;
        for (int i = 0; i < 2500; ++i) owners.push_back(owner("batch-" + std::to_string(i)));
        owners[2400]->name = "batch-3";  // the name is unique
        session.add_all(owners);
        auto error = co_await test::capture<IntegrityError>(session.commit());
        REQUIRE(error);
        CHECK(co_await count_rows(engine, "os_owner") == 0);
        CHECK(!owners[0]->id.has_value());  // the keys of rows that were rolled back are gone
        CHECK(!session.contains(owners[0]));
        // Fixed and added again, all of them go in.
        owners[2400]->name = "batch-2400";
        session.add_all(owners);
        co_await session.commit();
        CHECK(co_await count_rows(engine, "os_owner") == 2500);
        CHECK(*owners[2499]->id > *owners[0]->id);
        co_await session.close();
    });
}

TEST_CASE("orm session: an object a stream handed out and the program took out of a collection is still orphaned at flush",
          "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        {
            orm::AsyncSession seed(engine);
            auto box = std::make_shared<Box>(Box{.name = "b"});
            for (int i = 0; i < 30; ++i) box->marbles.push_back(std::make_shared<Marble>(Marble{.colour = "c" + std::to_string(i)}));
            seed.add(box);
            co_await seed.commit();
            co_await seed.close();
        }
        orm::AsyncSession session(engine);
        auto box = (co_await session.scalars(orm::select<Box>().options(orm::selectinload(&Box::marbles)))).one();
        REQUIRE(box->marbles.size() == 30);
        // Streamed in chunks of 10: the session lets go of what the program
        // dropped as each chunk passes. c5 leaves the box (delete-orphan) and
        // the program keeps no hold on it: the flush must still delete its row.
        auto stream = co_await session.stream_scalars(orm::select<Marble>().order_by(&Marble::id), 10);
        while (auto marble = co_await stream.next())
            if (marble->colour == "c5") box->marbles.remove(marble);
        co_await session.commit();
        co_await session.close();
        CHECK(co_await count_rows(engine, "os_marble") == 29);
    });
}

TEST_CASE("orm session: an UPDATE of a row deleted elsewhere raises StaleDataError", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto ann = owner("ann");
        session.add(ann);
        co_await session.commit();
        {
            auto conn = co_await engine.connect();
            co_await conn.execute(sql::delete_(registry().metadata().table("os_owner")));
            co_await conn.commit();
            co_await conn.close();
        }
        ann->note = "lost";
        auto error = co_await test::capture<StaleDataError>(session.commit());
        CHECK(error);
        co_await session.close();
    });
}

TEST_CASE("orm session: an unloaded relationship throws LazyLoadError naming it", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        std::int64_t id = 0;
        {
            orm::AsyncSession s(engine);
            auto a = owner("ann", {"a1"});
            s.add(a);
            co_await s.commit();
            id = *a->id;
            co_await s.close();
        }
        orm::AsyncSession session(engine);
        auto ann = co_await session.get<Owner>(id);
        REQUIRE(ann);
        CHECK(!ann->items.loaded());
        CHECK_THROWS_AS(ann->items.size(), LazyLoadError);
        CHECK_THROWS_WITH(ann->items.begin(), Catch::Contains("Owner.items") && Catch::Contains("not loaded"));
        CHECK_THROWS_AS(ann->items.push_back(std::make_shared<Item>()), LazyLoadError);
        auto item = co_await session.scalar(orm::select<Item>());
        CHECK_THROWS_WITH(item->owner.get(), Catch::Contains("Item.owner"));

        // Explicit loading, then it reads normally.
        auto items = co_await session.load(ann, &Owner::items);
        CHECK(items.size() == 1);
        CHECK(ann->items.size() == 1);
        CHECK(ann->items[0] == item);
        co_await session.close();
    });
}
