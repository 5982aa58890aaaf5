// 64 coroutines, each running 2,000 transactions (two rounds of 1,000) of mixed
// ORM and Core work on a pool of 8, on one engine: every committed change is
// counted exactly, every rolled-back one leaves nothing, and the process's
// resident memory after the second round is what it was after the first.
#include <catch2/catch.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#include <unistd.h>

#include "retort/orm.hpp"
#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;

namespace soak_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Account {
    orm::Defaulted<std::int64_t> id;
    std::string owner;
    std::int64_t balance = 0;
    static auto mapping() {
        return orm::table(registry(), "soak_accounts", orm::column(&Account::id, orm::primary_key()),
                          orm::column(&Account::owner, types::String(40)));
    }
};
RETORT_MAPPED(Account, id, owner, balance)

struct Ledger {
    MetaData& metadata = registry().metadata();
    Table entries{metadata, "soak_entries"};
    Column<std::int64_t> id = entries.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> worker = entries.column<std::int64_t>("worker");
    Column<std::int64_t> amount = entries.column<std::int64_t>("amount");
};

/// What the workers committed, counted on the side to compare with the database.
struct Tally {
    std::int64_t entries = 0;          // Core inserts committed
    std::int64_t entry_amount = 0;     // their amounts summed
    std::int64_t accounts = 0;         // ORM objects added and committed
    std::int64_t deposits = 0;         // ORM updates of one account's balance committed
    std::vector<std::string> errors;
    int finished = 0;
};

constexpr int workers = 64;
constexpr int per_round = 1000;

std::size_t resident_kib() {
    std::ifstream statm("/proc/self/statm");
    std::size_t pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) / 1024;
}

// Spawned coroutines take their state by value.
awaitable<void> worker(AsyncEngine engine, std::shared_ptr<const Ledger> ledger, int index, int round,
                       std::int64_t bank, std::shared_ptr<Tally> tally) {
    std::mt19937 random(static_cast<unsigned>(index * 7919 + round));
    try {
        for (int i = 0; i < per_round; ++i) {
            switch (random() % 5) {
                case 0: {  // Core: an insert, committed
                    auto conn = co_await engine.connect();
                    std::int64_t amount = static_cast<std::int64_t>(random() % 100) + 1;
                    co_await conn.execute(insert(ledger->entries).values({ledger->worker, std::int64_t{index}},
                                                                         {ledger->amount, amount}));
                    co_await conn.commit();
                    co_await conn.close();
                    ++tally->entries;
                    tally->entry_amount += amount;
                    break;
                }
                case 1: {  // Core: an insert, rolled back
                    auto conn = co_await engine.connect();
                    co_await conn.execute(insert(ledger->entries).values({ledger->worker, std::int64_t{-1}},
                                                                         {ledger->amount, std::int64_t{1000000}}));
                    co_await conn.rollback();
                    co_await conn.close();
                    break;
                }
                case 2: {  // ORM: a new object
                    orm::AsyncSession s(engine);
                    auto a = std::make_shared<Account>();
                    a->owner = "w" + std::to_string(index) + "-" + std::to_string(round) + "-" + std::to_string(i);
                    s.add(a);
                    co_await s.commit();
                    co_await s.close();
                    ++tally->accounts;
                    break;
                }
                case 3: {  // ORM: load the shared account and add to it (row lock: the others wait)
                    orm::AsyncSession s(engine);
                    auto rows = co_await s.scalars(orm::select<Account>()
                                                       .where(orm::attr(&Account::id) == bank)
                                                       .with_for_update(sql::ForUpdate{}));
                    rows.all()[0]->balance += 1;
                    co_await s.commit();
                    co_await s.close();
                    ++tally->deposits;
                    break;
                }
                default: {  // Core: a read
                    auto conn = co_await engine.connect();
                    auto n = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(ledger->entries));
                    if (n < 0) throw std::runtime_error("a negative count");
                    co_await conn.close();
                    break;
                }
            }
        }
    } catch (const std::exception& e) {
        tally->errors.push_back("worker " + std::to_string(index) + ": " + e.what());
    }
    ++tally->finished;
}

}  // namespace soak_test

using namespace soak_test;

TEST_CASE("soak: 64 coroutines x 2,000 mixed ORM and Core transactions on a pool of 8: exact counts, flat memory",
          "[soak]") {
    EngineOptions options{.pool_size = 8, .max_overflow = 0, .pool_timeout = std::chrono::seconds(120)};
    auto url = Url::parse(test::backend_url());
    // SQLite: each transaction takes the write lock at BEGIN, so that the
    // read-modify-write of the shared account waits instead of failing with
    // SQLITE_BUSY_SNAPSHOT (SQLite has no SELECT ... FOR UPDATE).
    if (url.dialect() == "sqlite") url = url.with_query_option("begin", "immediate");
    auto engine = create_async_engine(url, options);
    auto ledger = std::make_shared<const Ledger>();
    auto tally = std::make_shared<Tally>();
    std::int64_t bank = 0;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession s(engine);
        auto a = std::make_shared<Account>();
        a->owner = "bank";
        s.add(a);
        co_await s.commit();
        bank = *a->id;
        co_await s.close();
    });
    std::vector<std::size_t> rss;
    for (int round = 0; round < 2; ++round) {
        tally->finished = 0;
        test::run([&]() -> awaitable<void> {
            auto ex = co_await boost::asio::this_coro::executor;
            for (int i = 0; i < workers; ++i)
                boost::asio::co_spawn(ex, worker(engine, ledger, i, round, bank, tally), boost::asio::detached);
            boost::asio::steady_timer wait(ex);
            while (tally->finished < workers) {
                wait.expires_after(std::chrono::milliseconds(20));
                co_await wait.async_wait(boost::asio::use_awaitable);
            }
        });
        rss.push_back(resident_kib());
        REQUIRE(tally->errors.empty());
    }
    for (const auto& e : tally->errors) UNSCOPED_INFO(e);
    REQUIRE(tally->errors.empty());

    std::int64_t entries = 0, amount = 0, accounts = 0, balance = 0;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        entries = co_await conn.scalar<std::int64_t>(select(func::count()).select_from(ledger->entries));
        amount = co_await conn.scalar<std::int64_t>(select(func::coalesce(func::sum(ledger->amount), std::int64_t{0})));
        co_await conn.close();
        orm::AsyncSession s(engine);
        auto all = co_await s.scalars(orm::select<Account>());
        accounts = static_cast<std::int64_t>(all.size());
        auto b = co_await s.get<Account>(bank);
        balance = b->balance;
        co_await s.close();
    });
    INFO("after round 1: " << rss[0] << " KiB resident; after round 2: " << rss[1] << " KiB");
    CHECK(entries == tally->entries);
    CHECK(amount == tally->entry_amount);
    CHECK(accounts == tally->accounts + 1);  // and the bank
    CHECK(balance == tally->deposits);
    CHECK(tally->entries + tally->accounts + tally->deposits > workers * per_round);  // most of the 128,000 wrote
    // Flat: the second round, as long as the first, holds no more than a few MiB
    // more. (Under AddressSanitizer, freed memory sits in its quarantine and the
    // resident size means nothing; LeakSanitizer checks there instead.)
#if !defined(__SANITIZE_ADDRESS__)
    CHECK(rss[1] <= rss[0] + 8 * 1024);
#endif
    CHECK(engine.pool_status().checked_out == 0);
}
