// The server killed with SIGKILL under 16 coroutines (Core transactions, ORM
// flushes, a streaming reader), then started again on its data: every failure
// is a typed DBAPIError, nothing is half-committed (read back), and the pool
// recovers without restarting the process.
#include <catch2/catch.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "retort/orm.hpp"
#include "support/test_support.hpp"

using namespace retort;
using namespace retort::sql;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace faults_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Twin {
    orm::Defaulted<std::int64_t> id;
    std::int64_t n = 0;
    static auto mapping() { return orm::table(registry(), "fault_twins", orm::column(&Twin::id, orm::primary_key())); }
};
RETORT_MAPPED(Twin, id, n)

struct Pairs {
    MetaData& metadata = registry().metadata();
    Table pairs{metadata, "fault_pairs"};
    Column<std::int64_t> id = pairs.column<std::int64_t>("id", primary_key());
    Column<std::int64_t> n = pairs.column<std::int64_t>("n");
};

struct Shared {
    bool stop = false;
    int finished = 0;
    std::atomic<std::int64_t> next{1};
    std::set<std::int64_t> core_committed, orm_committed;
    std::map<std::string, int> typed_errors;
    std::vector<std::string> other_errors;
    int successes_after_relaunch = 0;
    bool relaunched = false;
    int stream_rows = 0;
};

std::string kind_of(const DBAPIError& e) {
    if (dynamic_cast<const OperationalError*>(&e)) return "OperationalError";
    if (dynamic_cast<const InternalError*>(&e)) return "InternalError";
    return "other DBAPIError";
}

// Spawned coroutines take their state by value.
awaitable<void> worker(AsyncEngine engine, std::shared_ptr<const Pairs> p, int index, std::shared_ptr<Shared> s) {
    while (!s->stop) {
        std::int64_t n = s->next++;
        try {
            if (index % 4 == 0) {
                // ORM: two objects in one flush and commit.
                orm::AsyncSession session(engine);
                auto a = std::make_shared<Twin>(), b = std::make_shared<Twin>();
                a->n = n;
                b->n = -n;
                session.add(a);
                session.add(b);
                co_await session.commit();
                co_await session.close();
                s->orm_committed.insert(n);
            } else if (index == 1) {
                // A reader streaming the table in small batches.
                auto conn = co_await engine.connect();
                auto result = co_await conn.stream(select(p->id, p->n).order_by(p->id));
                while (auto row = co_await result.fetchone()) ++s->stream_rows;
                co_await conn.close();
            } else {
                // Core: a pair of rows in one transaction.
                auto conn = co_await engine.connect();
                co_await conn.execute(insert(p->pairs).values({p->n, n}));
                co_await conn.execute(insert(p->pairs).values({p->n, -n}));
                co_await conn.commit();
                co_await conn.close();
                s->core_committed.insert(n);
            }
            if (s->relaunched) ++s->successes_after_relaunch;
        } catch (const DBAPIError& e) {
            ++s->typed_errors[kind_of(e)];
        } catch (const std::exception& e) {
            s->other_errors.push_back(e.what());
        }
        co_await test::sleep_for(5ms);
    }
    ++s->finished;
}

/// A throwaway server of this test's own (`tools/servers start NAME` in a
/// directory of its own), stopped when it goes out of scope: killing it
/// disturbs no other test, and no other test's tables are in its way.
class OwnServer {
public:
    explicit OwnServer(std::string name) : name_(std::move(name)), dir_(std::string(RETORT_FAULT_SERVERS_DIR) + "/" + name_) {
        std::string var = name_ == "postgresql" ? "RETORT_TEST_POSTGRESQL_URL" : "RETORT_TEST_MYSQL_URL";
        // The suite's own servers' URLs are in the environment: unset, so that
        // start starts one rather than taking theirs.
        std::string command = "env -u RETORT_TEST_POSTGRESQL_URL -u RETORT_TEST_MYSQL_URL " + env() +
                              " bash -c 'eval \"$(\"$0\" start \"$1\")\" && printf %s \"$" + var + "\"' " +
                              RETORT_SERVERS_CTL + " " + name_ + " 2>" + dir_ + ".start.log";
        std::filesystem::create_directories(RETORT_FAULT_SERVERS_DIR);
        std::unique_ptr<FILE, int (*)(FILE*)> out(popen(command.c_str(), "r"), pclose);
        if (!out) throw std::runtime_error("cannot run " + command);
        char buf[512];
        while (auto n = std::fread(buf, 1, sizeof buf, out.get())) url_.append(buf, n);
        if (url_.empty()) throw std::runtime_error("could not start a " + name_ + " of the test's own: see " + dir_ + ".start.log");
    }
    ~OwnServer() {
        // A server that would not stop is replaced by the next start.
        if (std::system(command("stop").c_str()) != 0) std::fprintf(stderr, "could not stop %s\n", dir_.c_str());
    }
    OwnServer(const OwnServer&) = delete;
    OwnServer& operator=(const OwnServer&) = delete;

    const std::string& url() const { return url_; }

    /// Runs `tools/servers <verb> <name>` (crash, relaunch) on a thread, the
    /// event loop going on meanwhile.
    awaitable<int> ctl(const std::string& verb) const {
        auto done = std::async(std::launch::async, [c = command(verb)] { return std::system(c.c_str()); });
        while (done.wait_for(0ms) != std::future_status::ready) co_await test::sleep_for(20ms);
        co_return done.get();
    }

private:
    std::string env() const { return "RETORT_SERVERS_DIR=" + dir_; }
    std::string command(const std::string& verb) const {
        return env() + " " + RETORT_SERVERS_CTL + " " + verb + " " + name_ + " >/dev/null 2>&1";
    }
    std::string name_, dir_, url_;
};

}  // namespace faults_test

using namespace faults_test;

TEST_CASE("faults: the server killed and started again under 16 coroutines: typed errors, nothing half-committed, "
          "the pool recovers", "[faults]") {
    // Only the backend's name matters: the suite's server of that backend is
    // not used.
    const char* backend = std::getenv("RETORT_TEST_BACKEND");
    std::string dialect = backend ? backend : "sqlite";
    if (dialect != "postgresql" && dialect != "mysql") test::skip("SQLite has no server to kill");
    OwnServer server(dialect == "postgresql" ? "postgresql" : "mariadb");
    auto engine = create_async_engine(Url::parse(server.url()),
                                      {.stream_batch_rows = 50, .pool_size = 8, .max_overflow = 8, .pool_timeout = 20s});
    auto p = std::make_shared<const Pairs>();
    auto s = std::make_shared<Shared>();
    int crashed = -1, relaunched = -1;
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        auto ex = co_await boost::asio::this_coro::executor;
        for (int i = 0; i < 16; ++i) boost::asio::co_spawn(ex, worker(engine, p, i, s), boost::asio::detached);
        co_await test::sleep_for(700ms);
        crashed = co_await server.ctl("crash");
        co_await test::sleep_for(300ms);  // the workers meet the dead server
        relaunched = co_await server.ctl("relaunch");
        s->relaunched = true;
        co_await test::sleep_for(1500ms);
        s->stop = true;
        while (s->finished < 16) co_await test::sleep_for(20ms);
    });
    REQUIRE(crashed == 0);
    REQUIRE(relaunched == 0);
    for (const auto& e : s->other_errors) UNSCOPED_INFO("not a DBAPIError: " << e);
    CHECK(s->other_errors.empty());
    CHECK(s->typed_errors["OperationalError"] > 0);  // the crash was seen
    CHECK(s->successes_after_relaunch > 16);         // and the pool recovered

    // Read back: every pair whole or absent, every reported commit there.
    std::map<std::int64_t, int> core_rows, orm_rows;
    test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        auto rows = co_await conn.execute(select(p->n));
        for (auto v : rows.scalars<std::int64_t>()) ++core_rows[v < 0 ? -v : v];
        auto twins_table = registry().metadata().table("fault_twins");
        auto twins = co_await conn.execute(select(twins_table.c<std::int64_t>("n")));
        for (const auto& r : twins.all()) {
            auto v = r.get<std::int64_t>(0);
            ++orm_rows[v < 0 ? -v : v];
        }
        co_await conn.close();
    });
    int half = 0, lost = 0;
    for (const auto& [n, count] : core_rows) half += count != 2;
    for (const auto& [n, count] : orm_rows) half += count != 2;
    for (auto n : s->core_committed) lost += core_rows[n] != 2;
    for (auto n : s->orm_committed) lost += orm_rows[n] != 2;
    INFO(s->core_committed.size() << " Core pairs and " << s->orm_committed.size() << " ORM pairs committed; "
                                  << s->typed_errors["OperationalError"] << " OperationalErrors; "
                                  << s->successes_after_relaunch << " successes after the relaunch; " << s->stream_rows
                                  << " rows streamed");
    CHECK(half == 0);
    CHECK(lost == 0);
    CHECK(engine.pool_status().checked_out == 0);
}
