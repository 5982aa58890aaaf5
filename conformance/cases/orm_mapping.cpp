// What a mapping declares, checked on every backend: members of every column
// type, unique and index options, table-level constraints, composite primary
// and foreign keys (and the loaders over them), and a class whose flush does
// without RETURNING.
#include <catch2/catch.hpp>
#include <set>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;
using namespace std::chrono;

namespace orm_mapping_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

/// An integer key the application chooses: autoincrement(false).
struct Country {
    std::int64_t code = 0;
    std::string name;

    static auto mapping() {
        return orm::table(registry(), "om_country",
                          orm::column(&Country::code, orm::primary_key(), orm::autoincrement(false)),
                          orm::column(&Country::name, types::String(40)));
    }
};
RETORT_MAPPED(Country, code, name)

struct Sample {
    orm::Defaulted<std::int64_t> id;
    bool flag = false;
    std::int32_t small = 0;
    double ratio = 0;
    Decimal price;
    Date day{};
    Time at{};
    DateTime local{};
    Timestamp instant{};
    Uuid uid{};
    Json doc;
    Bytes blob;
    std::optional<std::string> note;
    std::optional<Decimal> maybe_price;
    std::optional<Date> maybe_day;
    std::optional<bool> maybe_flag;

    static auto mapping() {
        return orm::table(registry(), "om_sample",
                          orm::column(&Sample::id, orm::primary_key()),
                          orm::column(&Sample::price, types::Numeric(14, 2)),
                          orm::column(&Sample::note, types::String(60)),
                          orm::column(&Sample::maybe_price, types::Numeric(14, 2)));
    }
};
RETORT_MAPPED(Sample, id, flag, small, ratio, price, day, at, local, instant, uid, doc, blob, note, maybe_price,
              maybe_day, maybe_flag)

struct Account {
    orm::Defaulted<std::int64_t> id;
    std::string email;
    std::string org;
    std::string handle;
    std::string code;
    std::int64_t score = 0;

    static auto mapping() {
        return orm::table(registry(), "om_account",
                          orm::column(&Account::id, orm::primary_key()),
                          orm::column(&Account::email, types::String(80), orm::unique()),
                          orm::column(&Account::org, types::String(20)),
                          orm::column(&Account::handle, types::String(20)),
                          orm::column(&Account::code, types::String(20)),
                          orm::column(&Account::score, orm::index()),
                          orm::unique_constraint({"org", "handle"}),
                          orm::table_index("ix_om_account_org_code", {"org", "code"}, true));
    }
};
RETORT_MAPPED(Account, id, email, org, handle, code, score)

struct Line;

/// A composite natural key: (region, number), neither generated.
struct Order {
    std::string region;
    std::int64_t number = 0;
    std::string customer;
    orm::Collection<Line> lines;

    static auto mapping() {
        return orm::table(registry(), "om_order",
                          orm::column(&Order::region, types::String(8), orm::primary_key()),
                          orm::column(&Order::number, orm::primary_key()),
                          orm::column(&Order::customer, types::String(40)),
                          orm::relationship(&Order::lines, {.back_populates = "order",
                                                            .cascade = "all, delete-orphan",
                                                            .order_by = {"position"}}));
    }
};
RETORT_MAPPED(Order, region, number, customer, lines)

struct Line {
    orm::Defaulted<std::int64_t> id;
    std::string order_region;
    std::int64_t order_number = 0;
    int position = 0;
    orm::Reference<Order> order;

    static auto mapping() {
        return orm::table(registry(), "om_line",
                          orm::column(&Line::id, orm::primary_key()),
                          orm::column(&Line::order_region, types::String(8)),
                          orm::foreign_key_constraint({"order_region", "order_number"}, "om_order",
                                                      {"region", "number"}),
                          orm::relationship(&Line::order, {.back_populates = "lines"}));
    }
};
RETORT_MAPPED(Line, id, order_region, order_number, position, order)

/// Flushed without RETURNING: generated keys from the driver, defaults by SELECT.
struct Note {
    orm::Defaulted<std::int64_t> id;
    std::string text;
    orm::Defaulted<DateTime> created;

    static auto mapping() {
        return orm::table(registry(), "om_note",
                          orm::column(&Note::id, orm::primary_key()),
                          orm::column(&Note::text, types::String(40)),
                          orm::column(&Note::created, orm::server_default(sql::func::now())),
                          orm::implicit_returning(false));
    }
};
RETORT_MAPPED(Note, id, text, created)

/// No generated key, a server default, no RETURNING: multi-row INSERTs, then one SELECT.
struct Tag {
    std::string code;
    orm::Defaulted<std::int64_t> weight;

    static auto mapping() {
        return orm::table(registry(), "om_tag",
                          orm::column(&Tag::code, types::String(20), orm::primary_key()),
                          orm::column(&Tag::weight, orm::server_default(std::int64_t{7})),
                          orm::implicit_returning(false));
    }
};
RETORT_MAPPED(Tag, code, weight)

/// A key column filled by its server default: (shelf, code) with code defaulted.
struct Slot {
    std::int64_t shelf = 0;
    orm::Defaulted<std::string> code;
    std::string label;

    static auto mapping() {
        return orm::table(registry(), "om_slot",
                          orm::column(&Slot::shelf, orm::primary_key(), orm::autoincrement(false)),
                          orm::column(&Slot::code, types::String(20), orm::primary_key(),
                                      orm::server_default(std::string("auto"))),
                          orm::column(&Slot::label, types::String(20)));
    }
};
RETORT_MAPPED(Slot, shelf, code, label)

/// The same without RETURNING: its defaulted key cannot be read back.
struct PlainSlot {
    std::int64_t shelf = 0;
    orm::Defaulted<std::string> code;

    static auto mapping() {
        return orm::table(registry(), "om_plain_slot",
                          orm::column(&PlainSlot::shelf, orm::primary_key(), orm::autoincrement(false)),
                          orm::column(&PlainSlot::code, types::String(20), orm::primary_key(),
                                      orm::server_default(std::string("auto"))),
                          orm::implicit_returning(false));
    }
};
RETORT_MAPPED(PlainSlot, shelf, code)

// Mistakes, each in a registry of its own so that the mappers above stay valid.
orm::Registry& bad_index_registry() {
    static orm::Registry r;
    return r;
}
struct BadIndex {
    orm::Defaulted<std::int64_t> id;
    static auto mapping() {
        return orm::table(bad_index_registry(), "om_bad_index", orm::column(&BadIndex::id, orm::primary_key()),
                          orm::table_index("ix_om_bad", {"id", "missing"}));
    }
};
RETORT_MAPPED(BadIndex, id)

orm::Registry& bad_key_registry() {
    static orm::Registry r;
    return r;
}
struct BadParent {
    orm::Defaulted<std::int64_t> id;
    static auto mapping() {
        return orm::table(bad_key_registry(), "om_bad_parent", orm::column(&BadParent::id, orm::primary_key()));
    }
};
RETORT_MAPPED(BadParent, id)
struct BadChild {
    orm::Defaulted<std::int64_t> id;
    std::int64_t a = 0;
    std::int64_t b = 0;
    static auto mapping() {
        return orm::table(bad_key_registry(), "om_bad_child", orm::column(&BadChild::id, orm::primary_key()),
                          orm::foreign_key_constraint({"a", "b"}, "om_bad_parent", {"id"}));
    }
};
RETORT_MAPPED(BadChild, id, a, b)

// Whether a column may be left to a default is said by the member's type.
orm::Registry& plain_key_registry() {
    static orm::Registry r;
    return r;
}
struct PlainKey {
    std::int64_t id = 0;  // a generated key, but a plain member: 0 would be written
    static auto mapping() {
        return orm::table(plain_key_registry(), "om_plain_key", orm::column(&PlainKey::id, orm::primary_key()));
    }
};
RETORT_MAPPED(PlainKey, id)
orm::Registry& plain_default_registry() {
    static orm::Registry r;
    return r;
}
struct PlainDefault {
    orm::Defaulted<std::int64_t> id;
    bool in_stock = true;
    static auto mapping() {
        return orm::table(plain_default_registry(), "om_plain_default",
                          orm::column(&PlainDefault::id, orm::primary_key()),
                          orm::column(&PlainDefault::in_stock, orm::server_default(true)));
    }
};
RETORT_MAPPED(PlainDefault, id, in_stock)
orm::Registry& no_default_registry() {
    static orm::Registry r;
    return r;
}
struct NoDefault {
    orm::Defaulted<std::int64_t> id;
    orm::Defaulted<std::string> name;
    static auto mapping() {
        return orm::table(no_default_registry(), "om_no_default", orm::column(&NoDefault::id, orm::primary_key()));
    }
};
RETORT_MAPPED(NoDefault, id, name)

orm::Registry& column_on_relationship_registry() {
    static orm::Registry r;
    return r;
}
struct ColumnOnRelationship;
struct ColumnOnRelationshipChild {
    orm::Defaulted<std::int64_t> id;
    std::int64_t parent_id = 0;
    static auto mapping();
};
struct ColumnOnRelationship {
    orm::Defaulted<std::int64_t> id;
    orm::Collection<ColumnOnRelationshipChild> children;
    static auto mapping() {
        return orm::table(column_on_relationship_registry(), "om_col_rel",
                          orm::column(&ColumnOnRelationship::id, orm::primary_key()),
                          orm::column(&ColumnOnRelationship::children, orm::unique()));
    }
};
auto ColumnOnRelationshipChild::mapping() {
    return orm::table(column_on_relationship_registry(), "om_col_rel_child",
                      orm::column(&ColumnOnRelationshipChild::id, orm::primary_key()),
                      orm::column(&ColumnOnRelationshipChild::parent_id, orm::foreign_key(&ColumnOnRelationship::id)));
}
RETORT_MAPPED(ColumnOnRelationship, id, children)
RETORT_MAPPED(ColumnOnRelationshipChild, id, parent_id)

orm::Registry& declared_twice_registry() {
    static orm::Registry r;
    return r;
}
struct DeclaredTwice {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    static auto mapping() {
        return orm::table(declared_twice_registry(), "om_declared_twice",
                          orm::column(&DeclaredTwice::id, orm::primary_key()),
                          orm::column(&DeclaredTwice::name, orm::unique()),
                          orm::column(&DeclaredTwice::name, types::String(20)));
    }
};
RETORT_MAPPED(DeclaredTwice, id, name)

/// Rows of one of this file's tables, as another session sees them.
awaitable<std::int64_t> count_rows(AsyncEngine& engine, const char* table) {
    co_return co_await test::count_rows(engine, registry().metadata().table(table));
}

Sample first_sample() {
    Sample s;
    s.flag = true;
    s.small = -32000;
    s.ratio = 0.1 + 0.2;
    s.price = Decimal("-1234567.25");
    s.day = Date{year{2024}, February, day{29}};
    s.at = Time{hours{23} + minutes{59} + seconds{58} + microseconds{654321}};
    s.local = DateTime{local_days{Date{year{1999}, December, day{31}}}.time_since_epoch() + hours{23} + microseconds{5}};
    s.instant = Timestamp{sys_days{Date{year{2030}, January, day{2}}}.time_since_epoch() + hours{3} + microseconds{42}};
    s.uid = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff");
    s.doc = Json{R"({"a": [1, 2]})"};
    s.blob = Bytes{0, 1, 2, 0xfe, 0xff, 0};
    s.note = "O'Brien; DROP TABLE om_sample; --";
    s.maybe_price = Decimal("0.50");
    s.maybe_day = std::nullopt;
    s.maybe_flag = false;
    return s;
}

/// Compares every mapped member; CHECKs name the one that differs.
void check_same(const Sample& got, const Sample& want) {
    CHECK(got.flag == want.flag);
    CHECK(got.small == want.small);
    CHECK(got.ratio == want.ratio);
    CHECK(got.price.to_double() == want.price.to_double());
    CHECK(got.day == want.day);
    CHECK(got.at == want.at);
    CHECK(got.local == want.local);
    CHECK(got.instant == want.instant);
    CHECK(got.uid == want.uid);
    CHECK(got.doc == want.doc);
    CHECK(got.blob == want.blob);
    CHECK(got.note == want.note);
    CHECK(got.maybe_price.has_value() == want.maybe_price.has_value());
    if (got.maybe_price && want.maybe_price) CHECK(got.maybe_price->to_double() == want.maybe_price->to_double());
    CHECK(got.maybe_day == want.maybe_day);
    CHECK(got.maybe_flag == want.maybe_flag);
}

}  // namespace orm_mapping_test

using namespace orm_mapping_test;

TEST_CASE("orm mapping: members of every column type are written, read back and updated", "[orm]") {
    const auto& table = registry().metadata().table("om_sample").table();
    CHECK(table.columns[1].type.kind == TypeKind::boolean);
    CHECK(table.columns[4].type.kind == TypeKind::numeric);
    CHECK(table.columns[4].type.scale == 2);
    CHECK(!table.columns[11].nullable);  // Bytes
    CHECK(table.columns[12].nullable);   // optional<string>

    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        const Sample want = first_sample();
        std::int64_t id = 0;
        {
            orm::AsyncSession s(engine);
            auto sample = std::make_shared<Sample>(want);
            s.add(sample);
            co_await s.commit();
            id = *sample->id;
            co_await s.close();
        }
        CHECK(id > 0);
        Sample changed = want;
        {
            orm::AsyncSession s(engine);
            auto got = co_await s.get<Sample>(id);
            REQUIRE(got);
            check_same(*got, want);

            // Every member changes; one UPDATE carries them all.
            changed.flag = false;
            changed.small = 7;
            changed.ratio = -2.5e-300;
            changed.price = Decimal("99999999.99");
            changed.day = Date{year{1970}, January, day{1}};
            changed.at = Time{microseconds{1}};
            changed.local = DateTime{local_days{Date{year{2000}, March, day{1}}}.time_since_epoch()};
            changed.instant = Timestamp{sys_days{Date{year{1990}, July, day{4}}}.time_since_epoch() + seconds{1}};
            changed.uid = Uuid::parse("ffffffff-0000-4000-8000-000000000001");
            changed.doc = Json{"{\"b\": \"\u00e9t\u00e9\"}"};  // UTF-8 in canonical form: stored as written everywhere
            changed.blob = Bytes{};
            changed.note = std::nullopt;
            changed.maybe_price = std::nullopt;
            changed.maybe_day = Date{year{2026}, November, day{25}};
            changed.maybe_flag = std::nullopt;
            changed.id = id;
            *got = changed;
            log.sql.clear();
            co_await s.commit();
            CHECK(log.count_starting("UPDATE") == 1);
            co_await s.close();
        }
        {
            orm::AsyncSession s(engine);
            auto got = co_await s.get<Sample>(id);
            REQUIRE(got);
            check_same(*got, changed);
            co_await s.close();
        }
    });
}

TEST_CASE("orm mapping: an integer key with autoincrement(false) is the application's", "[orm]") {
    CHECK(!orm::mapper<Country>().generated_key());
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        s.add_all(std::vector{std::make_shared<Country>(Country{.code = 250, .name = "France"}),
                              std::make_shared<Country>(Country{.code = 76, .name = "Brazil"})});
        co_await s.commit();
        orm::AsyncSession other(engine);
        auto france = co_await other.get<Country>(std::int64_t{250});
        REQUIRE(france);
        CHECK(france->name == "France");
        // The key is inserted as given: a taken one is the database's IntegrityError.
        other.add(std::make_shared<Country>(Country{.code = 76, .name = "again"}));
        auto clash = co_await test::capture<IntegrityError>(other.commit());
        CHECK(clash.has_value());
        co_await other.close();
        co_await s.close();
    });
}

TEST_CASE("orm mapping: unique, index and table-level constraints reach the database", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        CHECK(log.count_containing("CREATE UNIQUE INDEX ix_om_account_org_code") == 1);
        CHECK(log.count_containing("CREATE INDEX ix_om_account_score") == 1);

        orm::AsyncSession s(engine);
        auto account = [](std::string email, std::string org, std::string handle, std::string code) {
            return std::make_shared<Account>(Account{.email = std::move(email), .org = std::move(org),
                                                     .handle = std::move(handle), .code = std::move(code)});
        };
        s.add_all(std::vector{account("a@x", "acme", "ann", "c1"), account("b@x", "acme", "bob", "c2"),
                              account("c@x", "other", "ann", "c1")});  // same handle and code, other org: allowed
        co_await s.commit();
        auto accounts = co_await count_rows(engine, "om_account");
        CHECK(accounts == 3);

        // Each constraint refuses its duplicate; nothing of the failed flush is
        // written, and the object leaves the session with the rolled-back transaction.
        std::vector<std::shared_ptr<Account>> duplicates{account("a@x", "new", "new", "n1"),     // email
                                                         account("d@x", "acme", "ann", "n2"),    // (org, handle)
                                                         account("e@x", "acme", "eve", "c2")};  // (org, code)
        for (const auto& d : duplicates) {
            s.add(d);
            auto error = co_await test::capture<IntegrityError>(s.commit());
            CHECK(error.has_value());
            CHECK(!s.contains(d));
        }
        auto accounts_after = co_await count_rows(engine, "om_account");
        CHECK(accounts_after == 3);
        co_await s.close();
    });
}

TEST_CASE("orm mapping: composite primary and foreign keys are written, loaded and followed", "[orm]") {
    const auto& line_table = registry().metadata().table("om_line").table();
    REQUIRE(line_table.foreign_keys.size() == 1);
    CHECK(line_table.foreign_keys[0].columns.size() == 2);
    CHECK(orm::mapper<Order>().primary_key().size() == 2);
    CHECK(!orm::mapper<Order>().generated_key());
    CHECK(orm::mapper<Order>().relationship("lines").local_columns.size() == 2);

    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        constexpr int orders = 700;  // more than one IN batch of 500 keys
        {
            orm::AsyncSession s(engine);
            for (int i = 0; i < orders; ++i) {
                auto o = std::make_shared<Order>(Order{.region = i % 2 ? "eu" : "us", .number = i / 2,
                                                       .customer = "c" + std::to_string(i)});
                o->lines = {std::make_shared<Line>(Line{.position = 2}), std::make_shared<Line>(Line{.position = 1})};
                s.add(o);
            }
            co_await s.commit();
            co_await s.close();
        }
        auto lines_written = co_await count_rows(engine, "om_line");
        CHECK(lines_written == 2 * orders);

        orm::AsyncSession s(engine);
        log.sql.clear();
        auto loaded = co_await s.scalars(orm::select<Order>().options(orm::selectinload(&Order::lines)));
        CHECK(loaded.size() == orders);
        CHECK(log.count_containing("FROM om_order") == 1);
        CHECK(log.count_containing("FROM om_line") == 2);  // 500 + 200 composite keys
        std::size_t right = 0;
        for (const auto& o : loaded)
            right += o->lines.size() == 2 && o->lines[0]->position == 1 && o->lines[1]->position == 2 &&
                     o->lines[0]->order.get() == o && o->lines[0]->order_region == o->region &&
                     o->lines[0]->order_number == o->number;
        CHECK(right == orders);

        // Served by the identity map from a composite key.
        log.sql.clear();
        auto eu3 = co_await s.get<Order>(std::string("eu"), std::int64_t{3});
        REQUIRE(eu3);
        CHECK(eu3->customer == "c7");
        CHECK(log.sql.empty());

        // Many-to-one over the composite key, selectin and joined.
        orm::AsyncSession other(engine);
        log.sql.clear();
        auto lines = co_await other.scalars(orm::select<Line>()
                                                .where(orm::attr(&Line::position) == 1)
                                                .options(orm::selectinload(&Line::order)));
        CHECK(lines.size() == orders);
        CHECK(log.count_containing("FROM om_order") == 2);
        std::size_t linked = 0;
        for (const auto& l : lines) linked += l->order.get() && l->order->number == l->order_number;
        CHECK(linked == orders);
        orm::AsyncSession third(engine);
        log.sql.clear();
        auto joined = co_await third.scalars(orm::select<Order>()
                                                 .where(orm::attr(&Order::region) == "eu")
                                                 .options(orm::joinedload(&Order::lines)));
        CHECK(joined.size() == orders / 2);
        CHECK(log.sql.size() == 1);
        CHECK(joined.first()->lines.size() == 2);

        // Moving a line to another order rewrites both foreign key columns.
        auto us0 = co_await s.get<Order>(std::string("us"), std::int64_t{0});
        REQUIRE(us0);
        auto moved = eu3->lines[0];
        moved->order = us0;
        co_await s.commit();
        orm::AsyncSession fourth(engine);
        auto reread = co_await fourth.get<Line>(moved->id);
        REQUIRE(reread);
        CHECK(reread->order_region == "us");
        CHECK(reread->order_number == 0);

        // Deleting an order deletes its lines (cascade "all").
        auto us1 = co_await fourth.get<Order>(std::string("us"), std::int64_t{1});
        REQUIRE(us1);
        fourth.delete_(us1);
        co_await fourth.commit();
        auto lines_left = co_await count_rows(engine, "om_line");
        CHECK(lines_left == 2 * orders - 2);
        auto orders_left = co_await count_rows(engine, "om_order");
        CHECK(orders_left == orders - 1);
        co_await fourth.close();
        co_await third.close();
        co_await other.close();
        co_await s.close();
    });
}

TEST_CASE("orm mapping: without RETURNING, keys come from the driver and defaults from a SELECT", "[orm]") {
    CHECK(!orm::mapper<Note>().implicit_returning());
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        std::vector<std::shared_ptr<Note>> notes;
        for (int i = 0; i < 5; ++i) notes.push_back(std::make_shared<Note>(Note{.text = "n" + std::to_string(i)}));
        std::vector<std::shared_ptr<Tag>> tags{std::make_shared<Tag>(Tag{.code = "red"}),
                                               std::make_shared<Tag>(Tag{.code = "blue"}),
                                               std::make_shared<Tag>(Tag{.code = "gold", .weight = 3})};
        s.add_all(notes);
        s.add_all(tags);
        log.sql.clear();
        co_await s.flush();
        CHECK(log.count_containing("RETURNING") == 0);
        CHECK(log.count_starting("INSERT INTO om_note") == 5);  // one per generated key
        CHECK(log.count_starting("INSERT INTO om_tag") == 2);   // two shapes: weight given or not
        CHECK(log.count_containing("FROM om_note") == 1);       // the defaults of each table, by key
        CHECK(log.count_containing("FROM om_tag") == 1);
        std::set<std::int64_t> ids;
        for (const auto& n : notes) {
            ids.insert(*n->id);
            CHECK(n->created != DateTime{});
        }
        CHECK(ids.size() == 5);
        CHECK(*ids.begin() > 0);
        CHECK(tags[0]->weight == 7);
        CHECK(tags[1]->weight == 7);
        CHECK(tags[2]->weight == 3);
        co_await s.commit();

        // The keys are the rows' keys.
        orm::AsyncSession other(engine);
        for (const auto& n : notes) {
            auto got = co_await other.get<Note>(n->id);
            REQUIRE(got);
            CHECK(got->text == n->text);
        }
        co_await other.close();
        co_await s.close();
    });
}

TEST_CASE("orm mapping: a key column left to its server default is read back row by row", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        std::vector<std::shared_ptr<Slot>> slots;
        for (int shelf = 1; shelf <= 3; ++shelf)
            slots.push_back(std::make_shared<Slot>(Slot{.shelf = shelf, .label = "s" + std::to_string(shelf)}));
        s.add_all(slots);
        log.sql.clear();
        co_await s.flush();
        // RETURNING cannot say which row is whose when the key is unknown: one INSERT each.
        CHECK(log.count_starting("INSERT INTO om_slot") == 3);
        for (const auto& slot : slots) CHECK(slot->code == "auto");
        auto found = co_await s.get<Slot>(std::int64_t{2}, std::string("auto"));
        CHECK(found == slots[1]);
        co_await s.commit();

        // Without RETURNING the row could not be found again: refused before any INSERT.
        auto plain = std::make_shared<PlainSlot>(PlainSlot{.shelf = 1});
        s.add(plain);
        log.sql.clear();
        auto error = co_await test::capture<FlushError>(s.flush());
        REQUIRE(error.has_value());
        CHECK_THAT(error->what(), Catch::Contains("PlainSlot.code") && Catch::Contains("give it a value"));
        CHECK(log.count_starting("INSERT INTO om_plain_slot") == 0);
        CHECK(!s.contains(plain));
        plain->code = "given";
        s.add(plain);
        co_await s.commit();
        auto rows = co_await count_rows(engine, "om_plain_slot");
        CHECK(rows == 1);
        co_await s.close();
    });
}

TEST_CASE("orm mapping: declarations that do not fit the tables or the members are refused", "[orm]") {
    CHECK_THROWS_WITH(bad_index_registry().configure(),
                      Catch::Contains("table_index of") && Catch::Contains("BadIndex") && Catch::Contains("missing"));
    CHECK_THROWS_WITH(bad_key_registry().configure(),
                      Catch::Contains("2 column(s) reference 1 column(s) of 'om_bad_parent'"));
    CHECK_THROWS_WITH(plain_key_registry().configure(),
                      Catch::Contains("PlainKey.id is a generated key") && Catch::Contains("orm::Defaulted"));
    CHECK_THROWS_WITH(plain_default_registry().configure(),
                      Catch::Contains("PlainDefault.in_stock has a default") &&
                          Catch::Contains("a plain member is always written"));
    CHECK_THROWS_WITH(no_default_registry().configure(),
                      Catch::Contains("NoDefault.name is orm::Defaulted but its column has no default"));
    // Column options on a relationship member, or two declarations of one
    // member, would have one of them ignored.
    CHECK_THROWS_WITH(column_on_relationship_registry().configure(),
                      Catch::Contains("ColumnOnRelationship.children is declared with column() but is a relationship"));
    CHECK_THROWS_WITH(declared_twice_registry().configure(),
                      Catch::Contains("DeclaredTwice.name is declared twice in mapping()"));
    // Asked again (its tables half-built), the registry repeats the first error.
    CHECK_THROWS_WITH(bad_key_registry().metadata(), Catch::Contains("failed to configure earlier") &&
                                                         Catch::Contains("2 column(s) reference 1 column(s)"));
}
