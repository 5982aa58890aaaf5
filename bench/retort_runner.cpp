#include "retort_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "model.hpp"
#include "run_on.hpp"

namespace retort::bench {

namespace {

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("retort: ") + what);
}

class RetortRunner final : public Runner {
public:
    explicit RetortRunner(const std::string& url)
        : url_(url), engine_(create_async_engine(url)), sessions_(engine_, {.expire_on_commit = false}) {}
    ~RetortRunner() override {
        try {
            run_on(io_, dispose());
        } catch (...) {
        }
    }

    std::string name() const override { return "retort"; }

    // Each phase a coroutine, run to its end on the runner's io_context.
    std::size_t insert(const Workload& w, Stopwatch& watch) override { return run_on(io_, insert_objects(w, watch)); }
    std::size_t load_selectin(const Workload& w, Stopwatch& watch) override {
        return run_on(io_, load(w, watch, orm::selectinload(&A::bs)));
    }
    std::size_t load_joined(const Workload& w, Stopwatch& watch) override {
        return run_on(io_, load(w, watch, orm::joinedload(&A::bs)));
    }
    std::size_t stream(const Workload& w, Stopwatch& watch) override { return run_on(io_, stream_objects(w, watch)); }
    std::size_t update(const Workload& w, Stopwatch& watch) override { return run_on(io_, update_objects(w, watch)); }
    std::size_t get(const Workload& w, Stopwatch& watch) override { return run_on(io_, get_objects(w, watch)); }
    std::size_t remove(const Workload& w, Stopwatch& watch) override { return run_on(io_, delete_objects(w, watch)); }
    std::size_t concurrent(const Workload& w, Stopwatch& watch) override;
    std::size_t core_insert(const Workload& w, Stopwatch& watch) override { return run_on(io_, insert_rows(w, watch)); }
    std::size_t core_select(const Workload& w, Stopwatch& watch) override { return run_on(io_, select_rows(w, watch)); }

private:
    awaitable<void> dispose() { co_await engine_.dispose(); }

    awaitable<std::size_t> insert_objects(const Workload& w, Stopwatch& watch) {
        watch.start();
        auto session = sessions_();
        std::vector<std::shared_ptr<A>> parents;
        parents.reserve(w.parents);
        for (std::size_t i = 0; i < w.parents; ++i) {
            auto a = std::make_shared<A>(A{.data = Workload::parent_data(i)});
            for (std::size_t j = 0; j < w.children_per_parent; ++j)
                a->bs.push_back(std::make_shared<B>(B{.data = Workload::child_data(i, j)}));
            parents.push_back(std::move(a));
        }
        session.add_all(parents);
        co_await session.commit();
        co_await session.close();
        watch.stop();
        check(parents.back()->id.has_value() && parents.back()->bs.back()->id.has_value(), "insert left ids unset");
        co_return w.rows();
    }

    awaitable<std::size_t> load(const Workload& w, Stopwatch& watch, orm::LoaderOption loader) {
        auto stmt = orm::select<A>().options(std::move(loader));
        watch.start();
        auto session = sessions_();
        auto parents = co_await session.scalars(stmt);
        std::size_t rows = 0, children = 0;
        for (const auto& a : parents) {
            ++rows;
            children += a->bs.size();
        }
        co_await session.close();
        watch.stop();
        check(rows == w.parents && children == w.parents * w.children_per_parent, "load found other rows");
        co_return rows + children;
    }

    awaitable<std::size_t> stream_objects(const Workload& w, Stopwatch& watch) {
        watch.start();
        auto session = sessions_();
        auto streamed = co_await session.stream_scalars(orm::select<A>());
        std::size_t rows = 0;
        while (auto a = co_await streamed.next()) rows += a->data ? 1 : 0;
        co_await session.close();
        watch.stop();
        check(rows == w.parents, "stream found other rows");
        co_return rows;
    }

    awaitable<std::size_t> update_objects(const Workload& w, Stopwatch& watch) {
        auto session = sessions_();
        auto parents = co_await session.scalars(orm::select<A>().order_by(&A::id));
        watch.start();
        std::size_t i = 0;
        for (const auto& a : parents) a->data = Workload::updated_data(i++);
        co_await session.commit();
        watch.stop();
        co_await session.close();
        check(i == w.parents, "update found other rows");
        co_return i;
    }

    /// The parents' primary keys in order, read before a phase's timing starts.
    awaitable<std::vector<std::int64_t>> parent_ids(const Workload& w) {
        auto conn = co_await engine_.connect();
        auto ids = co_await conn.scalars<std::int64_t>(sql::select(orm::attr(&A::id)).order_by(orm::attr(&A::id)));
        co_await conn.close();
        check(ids.size() == w.parents, "the parents are not all there");
        co_return ids;
    }

    awaitable<std::size_t> get_objects(const Workload& w, Stopwatch& watch) {
        auto ids = co_await parent_ids(w);
        watch.start();
        std::size_t found = 0;
        for (std::size_t k = 0; k < w.gets; ++k) {
            auto session = sessions_();
            auto a = co_await session.get<A>(ids[(k * 7919) % ids.size()]);
            found += a ? 1 : 0;
            co_await session.close();
        }
        watch.stop();
        check(found == w.gets, "get missed rows");
        co_return found;
    }

    awaitable<std::size_t> delete_objects(const Workload& w, Stopwatch& watch) {
        auto session = sessions_();
        auto parents = co_await session.scalars(orm::select<A>().options(orm::selectinload(&A::bs)));
        watch.start();
        std::size_t rows = 0;
        for (const auto& a : parents) {
            session.delete_(a);
            rows += 1 + a->bs.size();
        }
        co_await session.commit();
        watch.stop();
        co_await session.close();
        check(rows == w.rows(), "delete found other rows");
        co_return rows;
    }

    /// One client of the concurrent phase: its share of the operations, each a
    /// session of its own.
    static awaitable<void> client(orm::async_sessionmaker sessions, const Workload& w, const std::vector<std::int64_t>& ids,
                                  std::size_t first, std::size_t& done) {
        for (std::size_t k = first; k < w.operations; k += w.clients) {
            auto session = sessions();
            auto a = co_await session.get<A>(ids[w.concurrent_parent(k)]);
            check(a != nullptr, "concurrent get missed a row");
            if (w.is_write(k)) {
                a->data = Workload::concurrent_data(k);
                co_await session.commit();
            }
            co_await session.close();
            ++done;
        }
    }

    /// Opens `n` connections of `engine`'s pool, to find them there.
    static awaitable<void> warm_up(AsyncEngine engine, std::size_t n) {
        std::vector<AsyncConnection> warm;
        for (std::size_t i = 0; i < n; ++i) warm.push_back(co_await engine.connect());
        for (auto& c : warm) co_await c.close();
    }

    awaitable<std::size_t> insert_rows(const Workload& w, Stopwatch& watch) {
        auto conn = co_await engine_.connect();
        auto insert = sql::insert(orm::mapper<A>().table()).values({orm::attr(&A::data), sql::bindparam<std::string>("data")});
        watch.start();
        std::vector<Params> rows;
        rows.reserve(w.core_rows());
        for (std::size_t i = 0; i < w.core_rows(); ++i) rows.push_back(Params{{"data", Workload::core_data(i)}});
        auto r = co_await conn.execute_many(insert, rows);
        co_await conn.commit();
        watch.stop();
        co_await conn.close();
        check(r.rowcount() == static_cast<std::int64_t>(w.core_rows()), "core insert wrote other rows");
        co_return w.core_rows();
    }

    awaitable<std::size_t> select_rows(const Workload& w, Stopwatch& watch) {
        auto conn = co_await engine_.connect();
        auto stmt = sql::select(orm::attr(&A::id), orm::attr(&A::data), orm::attr(&A::create_date));
        watch.start();
        auto result = co_await conn.execute(stmt);
        std::size_t rows = 0, with_data = 0;
        for (std::size_t i = 0; i < result.size(); ++i) {
            auto [id, data, created] = result.row(i).as<std::int64_t, std::optional<std::string>, DateTime>();
            rows += id > 0 ? 1 : 0;
            with_data += data ? 1 : 0;
            (void)created;
        }
        watch.stop();
        co_await conn.close();
        check(rows == w.core_rows() && with_data == rows, "core select found other rows");
        co_return rows;
    }

    std::string url_;
    boost::asio::io_context io_;
    AsyncEngine engine_;
    orm::async_sessionmaker sessions_;
};

std::size_t RetortRunner::concurrent(const Workload& w, Stopwatch& watch) {
    auto ids = run_on(io_, parent_ids(w));
    // On SQLite a transaction that read cannot wait for another connection's
    // write (SQLITE_BUSY at once): writers must take the lock at BEGIN, as the
    // raw loop's BEGIN IMMEDIATE does. A session cannot tell beforehand whether
    // it will write, so when some do, every transaction does, reads too.
    auto url = Url::parse(url_);
    if (url.dialect() == "sqlite" && w.write_every) url = url.with_query_option("begin", "immediate");
    auto engine = create_async_engine(url, {.pool_size = w.connections, .max_overflow = 0});
    run_on(io_, warm_up(engine, w.connections));
    orm::async_sessionmaker sessions(engine, {.expire_on_commit = false});
    std::size_t done = 0;
    std::exception_ptr failure;
    io_.restart();
    watch.start();
    for (std::size_t c = 0; c < w.clients; ++c)
        boost::asio::co_spawn(io_, client(sessions, w, ids, c, done), [&](std::exception_ptr e) {
            if (e && !failure) failure = e;
        });
    io_.run();
    watch.stop();
    run_on(io_, [](AsyncEngine e) -> awaitable<void> { co_await e.dispose(); }(engine));
    if (failure) std::rethrow_exception(failure);
    check(done == w.operations, "concurrent phase left operations undone");
    return done;
}

awaitable<void> recreate(AsyncEngine engine) {
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) {
            orm::metadata().drop_all(c);
            orm::metadata().create_all(c);
        });
    });
    co_await engine.dispose();
}

}  // namespace

std::unique_ptr<Runner> make_retort_runner(const std::string& url) { return std::make_unique<RetortRunner>(url); }

void recreate_tables(const std::string& url) {
    boost::asio::io_context io;
    run_on(io, recreate(create_async_engine(url)));
}

}  // namespace retort::bench
