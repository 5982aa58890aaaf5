#include "tpcb_retort.hpp"

#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <array>
#include <chrono>
#include <optional>
#include <random>
#include <retort/retort.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "run_on.hpp"

namespace retort::bench::tpcb {

namespace {

using namespace retort::sql;
using Clock = std::chrono::steady_clock;

/// pgbench's tables as `pgbench -i` creates them, with the columns the
/// transaction touches (the filler columns are left out). Nullable where
/// pgbench's DDL leaves them so: only the keys are NOT NULL.
struct PgbenchTables {
    MetaData metadata;
    Table accounts{metadata, "pgbench_accounts"};
    Column<std::int32_t> aid = accounts.column<std::int32_t>("aid", primary_key());
    Column<std::optional<std::int32_t>> abalance = accounts.column<std::optional<std::int32_t>>("abalance");

    Table tellers{metadata, "pgbench_tellers"};
    Column<std::int32_t> tid = tellers.column<std::int32_t>("tid", primary_key());
    Column<std::optional<std::int32_t>> tbalance = tellers.column<std::optional<std::int32_t>>("tbalance");

    Table branches{metadata, "pgbench_branches"};
    Column<std::int32_t> bid = branches.column<std::int32_t>("bid", primary_key());
    Column<std::optional<std::int32_t>> bbalance = branches.column<std::optional<std::int32_t>>("bbalance");

    Table history{metadata, "pgbench_history"};
    Column<std::optional<std::int32_t>> history_tid = history.column<std::optional<std::int32_t>>("tid");
    Column<std::optional<std::int32_t>> history_bid = history.column<std::optional<std::int32_t>>("bid");
    Column<std::optional<std::int32_t>> history_aid = history.column<std::optional<std::int32_t>>("aid");
    Column<std::optional<std::int32_t>> history_delta = history.column<std::optional<std::int32_t>>("delta");
    Column<std::optional<DateTime>> history_mtime = history.column<std::optional<DateTime>>("mtime");
};

/// One transaction's random choices, drawn as pgbench's script draws them.
struct Choice {
    std::int32_t aid = 0, bid = 0, tid = 0, delta = 0;
};

class Chooser {
public:
    Chooser(int scale, std::uint64_t seed)
        : rng_(seed), aid_(1, 100000 * scale), bid_(1, scale), tid_(1, 10 * scale), delta_(-5000, 5000) {}
    Choice next() { return {aid_(rng_), bid_(rng_), tid_(rng_), delta_(rng_)}; }

private:
    std::mt19937_64 rng_;
    std::uniform_int_distribution<std::int32_t> aid_, bid_, tid_, delta_;
};

/// The script's five statements, built once with named parameters.
struct BoundStatements {
    explicit BoundStatements(const PgbenchTables& t)
        : update_account(update(t.accounts).values({t.abalance, t.abalance + delta}).where(t.aid == aid)),
          select_balance(select(t.abalance).where(t.aid == aid)),
          update_teller(update(t.tellers).values({t.tbalance, t.tbalance + delta}).where(t.tid == tid)),
          update_branch(update(t.branches).values({t.bbalance, t.bbalance + delta}).where(t.bid == bid)),
          insert_history(insert(t.history).values({t.history_tid, tid}, {t.history_bid, bid}, {t.history_aid, aid},
                                                  {t.history_delta, delta}, {t.history_mtime, func::now()})) {}

    TypedExpr<std::int32_t> aid = bindparam<std::int32_t>("aid"), bid = bindparam<std::int32_t>("bid"),
                            tid = bindparam<std::int32_t>("tid"), delta = bindparam<std::int32_t>("delta");
    Statement update_account, select_balance, update_teller, update_branch, insert_history;
};

std::runtime_error missing_account(std::int32_t aid) {
    return std::runtime_error("no pgbench_accounts row with aid " + std::to_string(aid) + ": was pgbench -i run?");
}

// pgbench's "<builtin: TPC-B (sort of)>", in the order it runs them; the
// engine's transaction (begin()) holds them between BEGIN and COMMIT.
awaitable<void> bound_transaction(AsyncConnection& conn, const BoundStatements& st, const Choice& c) {
    Params params({"aid", c.aid}, {"bid", c.bid}, {"tid", c.tid}, {"delta", c.delta});
    co_await conn.execute(st.update_account, params);
    auto balance = co_await conn.execute(st.select_balance, params);
    if (balance.empty()) throw missing_account(c.aid);
    co_await conn.execute(st.update_teller, params);
    co_await conn.execute(st.update_branch, params);
    co_await conn.execute(st.insert_history, params);
}

awaitable<void> inline_transaction(AsyncConnection& conn, const PgbenchTables& t, const Choice& c) {
    co_await conn.execute(update(t.accounts).values({t.abalance, t.abalance + c.delta}).where(t.aid == c.aid));
    auto balance = co_await conn.execute(select(t.abalance).where(t.aid == c.aid));
    if (balance.empty()) throw missing_account(c.aid);
    co_await conn.execute(update(t.tellers).values({t.tbalance, t.tbalance + c.delta}).where(t.tid == c.tid));
    co_await conn.execute(update(t.branches).values({t.bbalance, t.bbalance + c.delta}).where(t.bid == c.bid));
    co_await conn.execute(insert(t.history).values({t.history_tid, c.tid}, {t.history_bid, c.bid}, {t.history_aid, c.aid},
                                                   {t.history_delta, c.delta}, {t.history_mtime, func::now()}));
}

/// What the clients share: how many transactions they committed, and the
/// first failure, which stops them all.
struct Tally {
    std::uint64_t transactions = 0;
    std::exception_ptr failure;
};

/// One of pgbench's clients: transactions until the deadline, each with a
/// connection from the pool for its duration (engine.begin()).
awaitable<void> client(AsyncEngine engine, const PgbenchTables& tables, const BoundStatements* bound, Chooser chooser,
                       Clock::time_point deadline, Tally& tally) {
    Choice choice;
    auto body = [&](AsyncConnection& conn) -> awaitable<void> {
        if (bound) co_await bound_transaction(conn, *bound, choice);
        else co_await inline_transaction(conn, tables, choice);
    };
    while (!tally.failure && Clock::now() < deadline) {
        choice = chooser.next();
        co_await engine.begin(body);
        ++tally.transactions;
    }
}

/// Opens the pool's connections before the clock starts, as pgbench connects
/// its clients before its own.
awaitable<void> open_connections(AsyncEngine engine, int count) {
    std::vector<AsyncConnection> connections;
    for (int i = 0; i < count; ++i) connections.push_back(co_await engine.connect());
    for (auto& c : connections) co_await c.close();
}

awaitable<void> dispose(AsyncEngine engine) { co_await engine.dispose(); }

/// This process's CPU time so far, user and system, every thread included.
std::pair<double, double> process_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
    return {seconds(u.ru_utime), seconds(u.ru_stime)};
}

awaitable<std::vector<std::optional<std::int64_t>>> balance_sums(AsyncEngine engine, const PgbenchTables& t) {
    auto conn = co_await engine.connect();
    std::vector<std::optional<std::int64_t>> sums;
    // Read as 64-bit: PostgreSQL's sum() of an int4 column is a bigint, though
    // func::sum() types it as the column's std::int32_t.
    const std::array columns{t.abalance, t.tbalance, t.bbalance, t.history_delta};
    for (const auto& column : columns) {
        auto stmt = select(func::sum(column));
        sums.push_back(co_await conn.scalar<std::optional<std::int64_t>>(stmt));
    }
    co_await conn.close();
    co_await engine.dispose();
    co_return sums;
}

}  // namespace

ClientRun run_retort(const Url& url, const Settings& s, StatementStyle style) {
    PgbenchTables tables;
    std::optional<BoundStatements> bound;
    if (style == StatementStyle::bindparam) bound.emplace(tables);
    // Created before the CPU is counted: the dialect plugin is loaded once per
    // process, not once per run, as pgbench's libraries are loaded once per process.
    auto engine = create_async_engine(url, {.pool_size = static_cast<std::size_t>(s.clients), .max_overflow = 0});
    boost::asio::io_context io;

    auto cpu_before = process_cpu_seconds();
    run_on(io, open_connections(engine, s.clients));
    Tally tally;
    auto start = Clock::now();
    auto deadline = start + std::chrono::seconds(s.seconds);
    std::random_device seeds;
    io.restart();
    for (int i = 0; i < s.clients; ++i)
        boost::asio::co_spawn(io, client(engine, tables, bound ? &*bound : nullptr, Chooser(s.scale, seeds()), deadline, tally),
                              [&](std::exception_ptr e) {
                                  if (e && !tally.failure) tally.failure = e;
                              });
    io.run();
    auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    run_on(io, dispose(engine));
    auto cpu_after = process_cpu_seconds();
    if (tally.failure) std::rethrow_exception(tally.failure);

    ClientRun out;
    out.transactions = tally.transactions;
    out.tps = elapsed > 0 ? static_cast<double>(tally.transactions) / elapsed : 0;
    out.user_seconds = cpu_after.first - cpu_before.first;
    out.system_seconds = cpu_after.second - cpu_before.second;
    return out;
}

void check_balances(const Url& url) {
    PgbenchTables tables;
    boost::asio::io_context io;
    std::vector<std::optional<std::int64_t>> sums;
    auto read = [&]() -> awaitable<void> { sums = co_await balance_sums(create_async_engine(url), tables); };
    run_on(io, read());
    auto text = [](const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("NULL"); };
    for (const auto& sum : sums)
        if (sum.value_or(0) != sums[0].value_or(0))
            throw std::runtime_error("the balances do not add up: accounts " + text(sums[0]) + ", tellers " + text(sums[1]) +
                                     ", branches " + text(sums[2]) + ", history " + text(sums[3]));
}

}  // namespace retort::bench::tpcb
