#include "retort_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <stdexcept>

#include "model.hpp"

namespace retort::bench {

namespace {

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("retort: ") + what);
}

/// Runs one coroutine to its end on a fresh turn of `io`.
template <class T>
T run_on(boost::asio::io_context& io, awaitable<T> work) {
    std::exception_ptr failure;
    std::optional<T> out;
    io.restart();
    boost::asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        failure = e;
        if (!e) out.emplace(std::move(value));
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

class RetortRunner final : public Runner {
public:
    explicit RetortRunner(const std::string& url) : engine_(create_async_engine(url)), sessions_(engine_, {.expire_on_commit = false}) {}
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

private:
    awaitable<std::size_t> dispose() {
        co_await engine_.dispose();
        co_return 0;
    }

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

    awaitable<std::size_t> get_objects(const Workload& w, Stopwatch& watch) {
        std::vector<std::int64_t> ids;
        {
            auto session = sessions_();
            for (const auto& a : co_await session.scalars(orm::select<A>().order_by(&A::id))) ids.push_back(*a->id);
            co_await session.close();
        }
        check(ids.size() == w.parents, "get found other rows");
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

    boost::asio::io_context io_;
    AsyncEngine engine_;
    orm::async_sessionmaker sessions_;
};

awaitable<int> recreate(AsyncEngine engine) {
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) {
            orm::metadata().drop_all(c);
            orm::metadata().create_all(c);
        });
    });
    co_await engine.dispose();
    co_return 0;
}

}  // namespace

std::unique_ptr<Runner> make_retort_runner(const std::string& url) { return std::make_unique<RetortRunner>(url); }

void recreate_tables(const std::string& url) {
    boost::asio::io_context io;
    run_on(io, recreate(create_async_engine(url)));
}

}  // namespace retort::bench
