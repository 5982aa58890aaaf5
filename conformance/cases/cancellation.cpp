// Cancellation as applications use it: the caller's own timeout
// (`co_await (op || timer)`), a terminal cancellation_signal on a co_spawned
// coroutine, and an io_context torn down while a statement runs. Each must end
// the wait at once, stop the work on the server, and leave the pool clean.
#include <catch2/catch.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "support/kit.hpp"

using namespace retort;
using namespace retort::sql;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct Marks {
    MetaData metadata;
    Table marks{metadata, "cancel_marks"};
    Column<std::int64_t> id = marks.column<std::int64_t>("id", primary_key());
    Column<int> n = marks.column<int>("n");

    /// INSERT INTO cancel_marks (n) SELECT 1 FROM (SELECT sleep(seconds)) q: the
    /// row appears only if the server runs the statement to its end.
    Insert slow_insert(double seconds) const {
        auto slept = select(func::sleep(seconds).label("s")).subquery("q");
        return insert(marks).from_select(select(literal<int>(1).label("n")).select_from(slept), n);
    }
};

/// Waits until `deadline`, then counts the marks on a connection of its own.
awaitable<std::int64_t> marks_after(AsyncEngine& engine, const Marks& m, Clock::time_point deadline) {
    co_await test::sleep_for(deadline - Clock::now());
    co_return co_await test::count_rows(engine, m.marks);
}

// Spawned coroutines are free functions taking their state by value.
awaitable<void> run_slow_insert(AsyncEngine engine, std::shared_ptr<Marks> m, std::shared_ptr<std::exception_ptr> error) {
    try {
        auto conn = co_await engine.connect();
        auto ins = m->slow_insert(3);
        co_await conn.execute(ins);
        co_await conn.close();
    } catch (...) {
        *error = std::current_exception();
    }
}

}  // namespace

TEST_CASE("cancel: a statement the caller's timer cancels ends at once, and the server does not finish it",
          "[cancel]") {
    using namespace boost::asio::experimental::awaitable_operators;
    // Autocommit: the row is committed by the statement itself if the server runs it to its end.
    auto engine = test::make_engine({.pool_size = 1, .max_overflow = 0, .isolation_level = IsolationLevel::autocommit});
    Marks m;
    Clock::duration took{};
    std::int64_t rows = -1;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, m.metadata);
        auto conn = co_await engine.connect();
        auto ins = m.slow_insert(3);
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, 300ms);
        auto start = Clock::now();
        try {
            co_await (conn.execute(ins) || timer.async_wait(boost::asio::use_awaitable));
        } catch (const std::exception&) {
            // Cancelled: operation_aborted or the server's "canceled" error; what matters is when, and what ran.
        }
        took = Clock::now() - start;
        co_await conn.close();
        // The connection went back clean, or was discarded: the next one works.
        auto next = co_await engine.connect();
        auto v = co_await next.scalar<std::int64_t>(select(literal<std::int64_t>(6) * 7));
        CHECK(v == 42);
        co_await next.close();
        rows = co_await marks_after(engine, m, start + 3500ms);
    });
    INFO("the cancelled statement returned after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                                    << " ms");
    CHECK(took < 1500ms);
    CHECK(rows == 0);
    CHECK(engine.pool_status().checked_out == 0);
}

TEST_CASE("cancel: a terminal cancellation of a co_spawned coroutine ends its statement at once", "[cancel]") {
    auto engine = test::make_engine({.pool_size = 1, .max_overflow = 0, .isolation_level = IsolationLevel::autocommit});
    auto m = std::make_shared<Marks>();
    auto error = std::make_shared<std::exception_ptr>();
    Clock::duration took{};
    std::int64_t rows = -1;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, m->metadata);
        auto ex = co_await boost::asio::this_coro::executor;
        boost::asio::cancellation_signal signal;
        auto done = std::make_shared<bool>(false);
        auto start = Clock::now();
        boost::asio::co_spawn(ex, run_slow_insert(engine, m, error),
                              boost::asio::bind_cancellation_slot(signal.slot(), [done](std::exception_ptr) { *done = true; }));
        co_await test::sleep_for(300ms);
        signal.emit(boost::asio::cancellation_type::terminal);
        while (!*done && Clock::now() - start < 5s) co_await test::sleep_for(10ms);
        took = Clock::now() - start;
        rows = co_await marks_after(engine, *m, start + 3500ms);
    });
    INFO("the cancelled coroutine ended after " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                                << " ms");
    CHECK(took < 1500ms);
    CHECK(*error);  // it did not complete
    CHECK(rows == 0);
    CHECK(engine.pool_status().checked_out == 0);
}

TEST_CASE("cancel: an io_context destroyed while a statement runs neither crashes nor blocks", "[cancel]") {
    auto engine = test::make_engine({.pool_size = 2, .max_overflow = 0, .isolation_level = IsolationLevel::autocommit});
    auto m = std::make_shared<Marks>();
    test::run([&]() -> awaitable<void> { co_await test::recreate_tables(engine, m->metadata); });
    const auto first = Clock::now();
    Clock::duration teardown{};
    for (int round = 0; round < 3; ++round) {
        auto error = std::make_shared<std::exception_ptr>();
        {
            std::optional<boost::asio::io_context> ctx(std::in_place);
            boost::asio::co_spawn(*ctx, run_slow_insert(engine, m, error), [](std::exception_ptr) {});
            ctx->run_for(300ms);
            auto start = Clock::now();
            ctx.reset();  // the statement is still running on the server (or the SQLite worker)
            teardown = std::max(teardown, Clock::now() - start);
        }
    }
    INFO("tearing down an io_context took up to "
         << std::chrono::duration_cast<std::chrono::milliseconds>(teardown).count() << " ms");
    CHECK(teardown < 1000ms);
    // The engine still works, from a new io_context, and no slot was kept; the
    // statements of the destroyed connections were stopped on the server.
    std::int64_t rows = -1;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto v = co_await conn.scalar<std::int64_t>(select(literal<std::int64_t>(7)));
        CHECK(v == 7);
        co_await conn.close();
        rows = co_await marks_after(engine, *m, first + 4500ms);
    });
    CHECK(engine.pool_status().checked_out == 0);
    CHECK(rows == 0);
}

namespace {

struct Pairs {
    MetaData metadata;
    Table pairs{metadata, "cancel_pairs"};
    Column<std::int64_t> id = pairs.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> n = pairs.column<std::int64_t>("n");
};

// One round's work: a transaction writing two rows (n and -n), committed.
awaitable<void> write_pair(AsyncEngine& engine, const Pairs& p, std::int64_t n) {
    auto conn = co_await engine.connect();
    co_await conn.execute(insert(p.pairs).values({p.n, n}));
    co_await conn.execute(insert(p.pairs).values({p.n, -n}));
    co_await conn.commit();
    co_await conn.close();
}

awaitable<std::int64_t> read_value(AsyncEngine& engine, std::int64_t n) {
    auto conn = co_await engine.connect();
    auto v = co_await conn.scalar<std::int64_t>(select(literal<std::int64_t>(n) * 3));
    co_await conn.close();
    co_return v;
}

}  // namespace

TEST_CASE("cancel: 1,000 cancellations at random points: no stale result, no half-written pair, no leaked slot",
          "[cancel]") {
    using namespace boost::asio::experimental::awaitable_operators;
    auto engine = test::make_engine({.pool_size = 2, .max_overflow = 0, .pool_timeout = 5s});
    Pairs p;
    std::mt19937 random(11);
    std::uniform_int_distribution<int> delay_us(0, 1000);
    std::vector<std::string> problems;
    int completed = 0;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, p.metadata);
        auto ex = co_await boost::asio::this_coro::executor;
        for (std::int64_t round = 1; round <= 1000 && problems.size() < 10; ++round) {
            boost::asio::steady_timer timer(ex, std::chrono::microseconds(delay_us(random)));
            bool wrote = false;
            try {
                if (round % 2) {
                    auto first = co_await (write_pair(engine, p, round) || timer.async_wait(boost::asio::use_awaitable));
                    wrote = first.index() == 0;
                } else {
                    auto first = co_await (read_value(engine, round) || timer.async_wait(boost::asio::use_awaitable));
                    if (first.index() == 0 && std::get<0>(first) != round * 3)
                        problems.push_back("round " + std::to_string(round) + ": wrong result");
                }
            } catch (const std::exception&) {
            }
            if (wrote) ++completed;
            // A connection the cancelled coroutine dropped without close() is
            // rolled back and returned by a coroutine its destructor spawned:
            // give it the moment that takes, then it must be back.
            for (int wait = 0; wait < 100 && engine.pool_status().checked_out != 0; ++wait) co_await test::sleep_for(2ms);
            auto s = engine.pool_status();
            if (s.checked_out != 0 || s.waiting != 0)
                problems.push_back("round " + std::to_string(round) + ": checked_out=" + std::to_string(s.checked_out));
            // The next statement gets its own answer, never a cancelled one's.
            auto v = co_await read_value(engine, round + 100000);
            if (v != (round + 100000) * 3) problems.push_back("round " + std::to_string(round) + ": stale result " + std::to_string(v));
            if (round % 2) {
                auto conn = co_await engine.connect();
                auto rows = co_await conn.scalar<std::int64_t>(
                    select(func::count()).select_from(p.pairs).where(or_(p.n == round, p.n == -round)));
                co_await conn.close();
                if (rows != 0 && rows != 2) problems.push_back("round " + std::to_string(round) + ": half a pair written");
                if (wrote && rows != 2) problems.push_back("round " + std::to_string(round) + ": reported written, but " +
                                                           std::to_string(rows) + " rows");
            }
        }
    });
    INFO(completed << " of 500 writes completed before their timer");
    for (const auto& pr : problems) UNSCOPED_INFO(pr);
    CHECK(problems.empty());
    CHECK(engine.pool_status().checked_out == 0);
}
