#include "retort/engine/connection.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <limits>
#include <thread>

#include "engine_state.hpp"
#include "retort/error.hpp"

namespace retort {

namespace asio = boost::asio;

namespace detail {

/// Runs `work` on a thread of its own and completes on the caller's executor.
// Not a coroutine: it returns async_initiate's awaitable directly. GCC 12
// destroys lambda temporaries of a `co_await async_initiate(...)` expression
// twice, so no such expression appears in a coroutine here.
awaitable<void> run_on_own_thread(std::function<void()> work) {
    return asio::async_initiate<decltype(asio::use_awaitable), void()>(
        [](auto handler, std::function<void()> fn) {
            auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
            std::thread([fn = std::move(fn), handler = std::move(handler), guard = std::move(guard)]() mutable {
                fn();
                auto ex = guard.get_executor();
                asio::post(ex, [handler = std::move(handler)]() mutable { std::move(handler)(); });
            }).detach();
        },
        asio::use_awaitable, std::move(work));
}

namespace {

void notify(const EngineState& e, const PreparedExecution& p) {
    const auto& o = e.options;
    StatementEvent ev{p.sql(), p.params, p.cached};
    if (o.on_statement) o.on_statement(ev);
    else if (o.echo) {
        std::string line = "[retort] " + std::string(ev.sql);
        if (!p.params.empty()) {
            line += "\n[retort] [";
            if (o.hide_parameters) line += "parameters hidden";
            else
                for (std::size_t i = 0; i < p.params.size(); ++i) line += (i ? ", " : "") + to_display_string(p.params[i]);
            line += "]";
        }
        std::fprintf(stderr, "%s\n", line.c_str());
    }
}

awaitable<void> autobegin(ConnectionState& s) {
    if (!s.in_transaction && !s.autocommit) {
        co_await s.driver->begin();
        s.in_transaction = true;
    }
}

}  // namespace

ConnectionState::~ConnectionState() {
    // Not returned by finish() (its executor never ran the close): the slot
    // must still go back to the pool, without the connection.
    abandoned.reset();
    if (pooled) engine->pool.discard(std::move(pooled));
}

BusyScope::BusyScope(ConnectionState& st) : s(st) {
    if (s.busy)
        throw InvalidRequestError("this connection is already running a statement: a connection serves one "
                                  "coroutine at a time (take another from the engine)");
    s.busy = true;
}
BusyScope::~BusyScope() { s.busy = false; }

void drop_connection(ConnectionState& s) {
    if (!s.pooled) return;
    if (s.stream) {
        s.stream->done = true;
        s.stream->closed_by_connection = true;
        s.stream->cursor.reset();
        s.stream = nullptr;
    }
    s.abandoned.reset();
    s.closed = true;
    s.in_transaction = false;
    s.driver = nullptr;
    s.engine->pool.discard(std::move(s.pooled));
}

// A connection the driver reports dead leaves the pool for good, and the pool
// suspects every connection as old as it.
void after_failure(ConnectionState& s) {
    if (!s.pooled || s.driver->is_open()) return;
    s.engine->pool.invalidate_all();
    drop_connection(s);
}

namespace {
// Closes the cursor of a result nobody reads any more. The statement's own
// error (rows can be followed by one) concerns nobody now; a connection that
// died doing it does.
awaitable<void> close_abandoned(ConnectionState& s) {
    auto cursor = std::move(s.abandoned);
    std::exception_ptr error;
    try {
        co_await cursor->close();
    } catch (...) {
        error = std::current_exception();
    }
    cursor.reset();
    if (!error) co_return;
    if (!s.driver->is_open()) {
        after_failure(s);
        std::rethrow_exception(error);
    }
    try {
        std::rethrow_exception(error);
    } catch (const DBAPIError&) {
        // the statement's own failure: ignored
    } catch (...) {
        drop_connection(s);
        throw;
    }
}
}  // namespace

void after_driver_exception(ConnectionState& s) {
    try {
        throw;
    } catch (const DBAPIError&) {
        after_failure(s);
    } catch (const InvalidRequestError&) {
        // refused before anything was sent: the connection is as it was
    } catch (...) {
        drop_connection(s);
    }
}

awaitable<void> make_ready(ConnectionState& s, Use use) {
    if (s.closed) throw InvalidRequestError("this connection is closed");
    if (s.busy) BusyScope refuse(s);  // throws
    if (s.stream) {
        if (use == Use::exclusive)
            throw InvalidRequestError("this connection is streaming a result: read it to the end or close() it "
                                      "before a new stream, a commit or a savepoint");
        if (!s.stream->allows_other_statements)
            throw InvalidRequestError("this connection is streaming a result whose rows hold the connection: read it "
                                      "to the end or close() it first");
    }
    if (s.abandoned) {
        BusyScope busy(s);
        co_await close_abandoned(s);
    }
}

void end_stream(ConnectionState& s) {
    if (!s.stream) return;
    s.stream->done = true;
    s.stream->closed_by_connection = true;
    s.abandoned = std::move(s.stream->cursor);  // closed by the next make_ready()
    s.stream = nullptr;
}

awaitable<void> finish(std::shared_ptr<ConnectionState> s) {
    if (!s->pooled) co_return;
    if (s->busy) BusyScope refuse(*s);  // throws: close() while another coroutine runs a statement on it
    BusyScope busy(*s);
    s->closed = true;
    bool reusable = true;
    try {
        end_stream(*s);
        if (s->abandoned) co_await close_abandoned(*s);
        if (!s->pooled) co_return;  // it died closing the result
        // Sent now, its reply read by the connection's next user: the caller
        // does not wait for it (Connection::rollback_on_release).
        if (s->in_transaction) co_await s->driver->rollback_on_release();
        if (s->pooled->isolation_changed) {
            // Back to the engine's level; with none configured, the server's
            // default is unknown here, so the connection is not reused.
            auto level = s->engine->options.isolation_level;
            if (level && *level != IsolationLevel::autocommit) {
                co_await s->driver->set_isolation_level(*level);
                s->pooled->isolation_changed = false;
            } else {
                reusable = false;
            }
        }
    } catch (...) {
        reusable = false;  // its state is unknown: never hand it to someone else
    }
    s->in_transaction = false;
    s->savepoints.clear();
    s->driver = nullptr;
    auto pooled = std::move(s->pooled);
    if (reusable && pooled->driver->is_open()) s->engine->pool.release(std::move(pooled));
    else s->engine->pool.discard(std::move(pooled));
}

StreamState::~StreamState() {
    if (!conn || conn->stream != this) return;
    conn->stream = nullptr;
    // Dropped before its end: the connection closes the cursor before its next operation.
    if (!done && cursor) conn->abandoned = std::move(cursor);
    if (conn->finish_after_stream && conn->pooled) {
        auto executor = conn->executor;
        asio::co_spawn(executor, finish(conn), asio::detached);
    }
}

}  // namespace detail

using detail::ConnectionState;

// ---- AsyncResult ---------------------------------------------------------------------

AsyncResult::AsyncResult(std::unique_ptr<detail::StreamState> s) : s_(std::move(s)) {}
AsyncResult::AsyncResult(AsyncResult&&) noexcept = default;
AsyncResult& AsyncResult::operator=(AsyncResult&&) noexcept = default;
AsyncResult::~AsyncResult() = default;

const std::vector<std::string>& AsyncResult::keys() const { return s_->names; }

bool AsyncResult::allows_other_statements() const { return s_->allows_other_statements; }

awaitable<std::optional<Row>> AsyncResult::fetchone() {
    auto& s = *s_;
    if (s.batch && s.position < s.batch->size()) co_return Row(s.batch, s.position++);
    if (s.closed_by_connection)
        throw InvalidRequestError("this result was ended by its connection (a close or a rollback) before it was "
                                  "read to its end");
    if (s.done) co_return std::nullopt;
    std::vector<Value> values;
    std::size_t n = 0;
    try {
        detail::BusyScope busy(*s.conn);
        n = co_await s.cursor->fetch(values, s.conn->engine->options.stream_batch_rows);
    } catch (const DBAPIError&) {
        // The statement failed part-way: the cursor is finished, the connection
        // free again (or discarded, if the failure killed it).
        s.done = true;
        s.conn->stream = nullptr;
        s.conn->abandoned = std::move(s.cursor);
        detail::after_failure(*s.conn);
        throw;
    } catch (const InvalidRequestError&) {
        throw;  // refused before anything was sent
    } catch (...) {
        s.done = true;
        detail::drop_connection(*s.conn);
        throw;
    }
    if (n == 0) {
        co_await close();
        co_return std::nullopt;
    }
    detail::convert_results(*s.entry, values, s.names.size());
    auto data = std::make_shared<ResultData>();
    data->names = s.names;
    data->values = std::move(values);
    s.batch = std::move(data);
    s.position = 0;
    co_return Row(s.batch, s.position++);
}

awaitable<std::vector<Row>> AsyncResult::fetchmany(std::size_t n) {
    std::vector<Row> out;
    while (out.size() < n) {
        // The rows of the batch in hand first, without a coroutine call each.
        auto& s = *s_;
        while (out.size() < n && s.batch && s.position < s.batch->size()) out.emplace_back(s.batch, s.position++);
        if (out.size() == n) break;
        auto row = co_await fetchone();  // the next batch, or the end
        if (!row) break;
        out.push_back(std::move(*row));
    }
    co_return out;
}

awaitable<std::vector<Row>> AsyncResult::all() {
    return fetchmany(std::numeric_limits<std::size_t>::max());
}

awaitable<void> AsyncResult::close() {
    auto& s = *s_;
    if (s.done) co_return;
    s.done = true;
    s.conn->stream = nullptr;
    auto cursor = std::move(s.cursor);
    try {
        detail::BusyScope busy(*s.conn);
        co_await cursor->close();
    } catch (...) {
        cursor.reset();
        detail::after_driver_exception(*s.conn);
        throw;
    }
    cursor.reset();
    // Its AsyncConnection went away while this was read: the checkout ends now.
    if (s.conn->finish_after_stream) co_await detail::finish(s.conn);
}

// ---- AsyncConnection ------------------------------------------------------------------

AsyncConnection::AsyncConnection(std::shared_ptr<ConnectionState> s) : s_(std::move(s)) {}
AsyncConnection::AsyncConnection(AsyncConnection&&) noexcept = default;
AsyncConnection& AsyncConnection::operator=(AsyncConnection&& o) noexcept {
    if (this != &o) {
        AsyncConnection old(std::move(*this));
        s_ = std::move(o.s_);
    }
    return *this;
}

AsyncConnection::~AsyncConnection() {
    if (!s_ || !s_->pooled) return;
    if (s_->stream) {
        // A result is still being read (returned from a function that owned
        // this connection, say): the checkout ends with it.
        s_->finish_after_stream = true;
        return;
    }
    auto executor = s_->executor;  // read before s_ is moved into the call
    asio::co_spawn(executor, detail::finish(std::move(s_)), asio::detached);
}

awaitable<Result> AsyncConnection::execute(const sql::Statement& stmt, const Params& params) {
    auto& s = *s_;
    co_await detail::make_ready(s, detail::Use::statement);
    auto prepared = detail::prepare_execution(*s.engine, *stmt.statement_node(), params);
    plugin::RawResult raw;
    try {
        detail::BusyScope busy(s);
        co_await detail::autobegin(s);
        detail::notify(*s.engine, prepared);
        raw = co_await s.driver->execute(prepared.sql(), prepared.params);
    } catch (...) {
        detail::after_driver_exception(s);
        throw;
    }
    auto data = std::make_shared<ResultData>();
    data->names = std::move(raw.column_names);
    data->values = std::move(raw.values);
    detail::convert_results(*prepared.entry, data->values, data->width());
    Result r(std::move(data), raw.rows_affected);
    r.set_last_insert_id(raw.last_insert_id);
    co_return r;
}

awaitable<std::vector<Result>> AsyncConnection::execute_all(const std::vector<sql::Statement>& statements) {
    auto& s = *s_;
    co_await detail::make_ready(s, detail::Use::statement);
    std::vector<detail::PreparedExecution> prepared;
    prepared.reserve(statements.size());
    for (const auto& stmt : statements) prepared.push_back(detail::prepare_execution(*s.engine, *stmt.statement_node(), {}));
    std::vector<plugin::Connection::Request> requests;
    requests.reserve(prepared.size());
    for (const auto& p : prepared) requests.push_back({&p.sql(), p.params});
    std::vector<plugin::RawResult> raw;
    try {
        detail::BusyScope busy(s);
        if (!requests.empty()) {
            co_await detail::autobegin(s);
            for (const auto& p : prepared) detail::notify(*s.engine, p);
            raw = co_await s.driver->execute_pipeline(requests);
        }
    } catch (...) {
        detail::after_driver_exception(s);
        throw;
    }
    if (raw.size() != prepared.size()) throw InternalError(Diagnostics{0, "", "the driver returned another number of results than statements", ""});
    std::vector<Result> out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        auto data = std::make_shared<ResultData>();
        data->names = std::move(raw[i].column_names);
        data->values = std::move(raw[i].values);
        detail::convert_results(*prepared[i].entry, data->values, data->width());
        Result r(std::move(data), raw[i].rows_affected);
        r.set_last_insert_id(raw[i].last_insert_id);
        out.push_back(std::move(r));
    }
    co_return out;
}

awaitable<Result> AsyncConnection::execute_many(const sql::Statement& stmt, const std::vector<Params>& param_sets) {
    auto& s = *s_;
    const auto& node = *stmt.statement_node();
    const auto& caps = s.engine->dialect().capabilities();
    // (Only an INSERT is looked up here: an UPDATE or DELETE batch goes on as it is.)
    const std::size_t per = caps.insert_many_values && param_sets.size() > 1 && node.kind == sql::NodeKind::insert
                                ? detail::insert_many_values(caps, node, param_sets,
                                                             detail::look_up(*s.engine, node).entry->compiled.params.size())
                                : 0;
    if (per) {
        // Multi-row INSERTs, a few at a time: as few round trips as execute_all()
        // allows, and the statements built never hold more than a few of them.
        constexpr std::size_t statements_at_once = 16;
        std::int64_t total = 0;
        const std::span<const Params> sets(param_sets);
        for (std::size_t from = 0; from < sets.size();) {
            std::vector<sql::Statement> group;
            for (; from < sets.size() && group.size() < statements_at_once; from += per)
                group.push_back(detail::insert_rows(node, sets.subspan(from, std::min(per, sets.size() - from))));
            for (const auto& r : co_await execute_all(group)) total = r.rowcount() < 0 || total < 0 ? -1 : total + r.rowcount();
        }
        co_return Result(std::make_shared<ResultData>(), total);
    }
    co_await detail::make_ready(s, detail::Use::statement);
    // Parameter sets give values to bindparams only: every set runs the same SQL text.
    std::vector<std::vector<Value>> batch;
    batch.reserve(param_sets.size());
    std::optional<detail::PreparedExecution> first;
    const auto found = detail::look_up(*s.engine, *stmt.statement_node());  // one tree walk for the batch
    for (const auto& params : param_sets) {
        auto p = detail::bind_execution(*s.engine, *stmt.statement_node(), found, params);
        if (p.entry->compiled.returns_rows)
            throw ArgumentError("execute_many() runs statements that return no rows; use execute() for one that does");
        detail::notify(*s.engine, p);
        batch.push_back(std::move(p.params));
        if (!first) first = std::move(p);
    }
    std::int64_t total = 0;
    try {
        detail::BusyScope busy(s);
        if (first) {
            co_await detail::autobegin(s);
            total = co_await s.driver->execute_many(first->sql(), batch);
        }
    } catch (...) {
        detail::after_driver_exception(s);
        throw;
    }
    co_return Result(std::make_shared<ResultData>(), total);
}

awaitable<AsyncResult> AsyncConnection::stream(const sql::Statement& stmt, const Params& params) {
    auto& s = *s_;
    co_await detail::make_ready(s);
    auto prepared = detail::prepare_execution(*s.engine, *stmt.statement_node(), params);
    auto st = std::make_unique<detail::StreamState>();
    st->entry = prepared.entry;
    try {
        detail::BusyScope busy(s);
        co_await detail::autobegin(s);
        detail::notify(*s.engine, prepared);
        st->cursor = co_await s.driver->stream(prepared.sql(), prepared.params);
    } catch (...) {
        detail::after_driver_exception(s);
        throw;
    }
    st->names = st->cursor->column_names();
    st->allows_other_statements = st->cursor->allows_other_statements();
    st->conn = s_;
    s.stream = st.get();
    co_return AsyncResult(std::move(st));
}

namespace {
// Runs a transaction-control call, discarding the connection if it died in it.
template <class F>
awaitable<void> control(ConnectionState& s, F call) {
    try {
        detail::BusyScope busy(s);
        co_await call();
    } catch (...) {
        detail::after_driver_exception(s);
        throw;
    }
}
}  // namespace

awaitable<void> AsyncConnection::begin() {
    auto& s = *s_;
    co_await detail::make_ready(s);
    if (s.in_transaction) throw InvalidRequestError("a transaction is already begun on this connection");
    co_await control(s, [&] { return s.driver->begin(); });
    s.in_transaction = true;
}

awaitable<void> AsyncConnection::commit() {
    auto& s = *s_;
    co_await detail::make_ready(s);
    if (!s.in_transaction) co_return;
    co_await control(s, [&] { return s.driver->commit(); });
    s.in_transaction = false;
    s.savepoints.clear();
}

awaitable<void> AsyncConnection::rollback() {
    auto& s = *s_;
    if (s.closed || !s.in_transaction) co_return;
    // A result still being read belongs to the transaction: it ends first, so
    // that a rollback, the way out of an error, is never refused.
    if (!s.busy) detail::end_stream(s);
    co_await detail::make_ready(s);
    s.in_transaction = false;
    s.savepoints.clear();
    co_await control(s, [&] { return s.driver->rollback(); });
}

awaitable<std::string> AsyncConnection::begin_nested() {
    auto& s = *s_;
    co_await detail::make_ready(s);
    if (!s.in_transaction) {
        co_await control(s, [&] { return s.driver->begin(); });
        s.in_transaction = true;
    }
    std::string name = "retort_sp_" + std::to_string(++s.savepoint_counter);
    co_await control(s, [&] { return s.driver->savepoint(name); });
    s.savepoints.push_back(name);
    co_return name;
}

namespace {
std::size_t savepoint_position(const ConnectionState& s, const std::string& name) {
    auto it = std::find(s.savepoints.begin(), s.savepoints.end(), name);
    if (it == s.savepoints.end()) throw InvalidRequestError("no open savepoint named '" + name + "'");
    return static_cast<std::size_t>(it - s.savepoints.begin());
}
}  // namespace

awaitable<void> AsyncConnection::commit_nested(const std::string& name) {
    auto& s = *s_;
    co_await detail::make_ready(s);
    std::size_t pos = savepoint_position(s, name);
    co_await control(s, [&] { return s.driver->release_savepoint(name); });
    s.savepoints.resize(pos);
}

awaitable<void> AsyncConnection::rollback_nested(const std::string& name) {
    auto& s = *s_;
    if (!s.busy && !s.closed) detail::end_stream(s);  // as rollback(): what it read is rolled back too
    co_await detail::make_ready(s);
    std::size_t pos = savepoint_position(s, name);
    co_await control(s, [&]() -> awaitable<void> {
        co_await s.driver->rollback_to_savepoint(name);
        co_await s.driver->release_savepoint(name);
    });
    s.savepoints.resize(pos);
}

bool AsyncConnection::in_transaction() const { return s_->in_transaction; }
bool AsyncConnection::streaming() const { return s_->stream != nullptr; }

awaitable<void> AsyncConnection::set_isolation_level(IsolationLevel level) {
    auto& s = *s_;
    co_await detail::make_ready(s);
    if (s.in_transaction)
        throw InvalidRequestError("set_isolation_level() inside a transaction: commit or roll back first");
    if (level == IsolationLevel::autocommit) {
        s.autocommit = true;
        co_return;
    }
    detail::check_isolation_level(s.engine->dialect(), level);
    co_await control(s, [&] { return s.driver->set_isolation_level(level); });
    s.autocommit = false;
    s.pooled->isolation_changed = s.engine->options.isolation_level != level;
}

awaitable<void> AsyncConnection::close() {
    if (!s_ || !s_->pooled) {
        if (s_) s_->closed = true;
        co_return;
    }
    co_await detail::finish(s_);
}

bool AsyncConnection::closed() const { return !s_ || s_->closed; }
const plugin::Dialect& AsyncConnection::dialect() const { return s_->engine->dialect(); }
boost::asio::any_io_executor AsyncConnection::get_executor() const { return s_->executor; }

namespace {
const plugin::Connection& open_driver(const ConnectionState& s) {
    if (!s.driver) throw InvalidRequestError("this connection is closed");
    return *s.driver;
}
}  // namespace

std::string AsyncConnection::server_version() const { return open_driver(*s_).server_version(); }
std::optional<std::int64_t> AsyncConnection::session_id() const { return open_driver(*s_).session_id(); }

// ---- Connection (blocking view) ------------------------------------------------------------

awaitable<void> AsyncConnection::run_transaction(Body body) {
    bool nested = in_transaction();
    // Plain statements, not `nested ? co_await ... : ...`: GCC 12 destroys
    // the temporaries of a co_await inside a conditional expression twice.
    std::string savepoint;
    if (nested) savepoint = co_await begin_nested();
    else co_await begin();
    std::exception_ptr failure;
    try {
        co_await body(*this);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        try {
            if (nested) co_await rollback_nested(savepoint);
            else co_await rollback();
        } catch (...) {
            // The body's error is the one to report; a failed rollback means the
            // connection is gone, which the next use will say.
        }
        std::rethrow_exception(failure);
    }
    if (nested) co_await commit_nested(savepoint);
    else co_await commit();
}

awaitable<void> AsyncConnection::run_sync_owned(SyncBody f) {
    Connection sync(*this);
    std::exception_ptr failure;
    co_await detail::run_on_own_thread([&] {
        try {
            f(sync);
        } catch (...) {
            failure = std::current_exception();
        }
    });
    if (failure) std::rethrow_exception(failure);
}

Result Connection::execute(const sql::Statement& stmt, const Params& params) {
    return asio::co_spawn(conn_.get_executor(), conn_.execute(stmt, params), asio::use_future).get();
}

void Connection::commit() { asio::co_spawn(conn_.get_executor(), conn_.commit(), asio::use_future).get(); }
void Connection::rollback() { asio::co_spawn(conn_.get_executor(), conn_.rollback(), asio::use_future).get(); }

}  // namespace retort
