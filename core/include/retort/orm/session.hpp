// AsyncSession: the ORM's unit of work over one connection and transaction.
//
//   orm::async_sessionmaker make_session(engine, {.expire_on_commit = false});
//   auto session = make_session();
//   auto tx = co_await session.begin();
//   session.add(a);                                // INSERTed at flush, with its children
//   co_await tx.commit();                          // flushed and committed here
//   auto as = co_await session.scalars(orm::select<A>().options(orm::selectinload(&A::bs)));
//   as.first()->data = "new data";                // plain assignment, found at flush
//   co_await session.commit();
//   co_await session.close();
//
// The session holds its objects strongly: one object per (class, primary key)
// for as long as the session keeps it (close(), expunge() and commit of a
// delete release them). It begins a transaction on first use and keeps its
// connection until commit(), rollback() or close().
//
// A rollback, and a failed flush (which rolls back and rethrows the database's
// error), leave the objects as SQLAlchemy does: those added in the transaction
// leave the session (their generated keys and fetched defaults unassigned
// again, so they can be fixed and added anew); persistent ones get back the
// values of their rows and their loaded relationships; those deleted in it are
// persistent again. Nothing was committed, and the next flush does not trip
// over the same objects. Inside begin_nested() the same happens down to the
// savepoint only, and the outer transaction goes on.
//
// A session is used by one coroutine at a time.
#pragma once

#include <array>
#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "retort/coroutine_body.hpp"
#include "retort/engine/engine.hpp"
#include "retort/orm/query.hpp"

namespace retort::orm {

struct SessionOptions {
    /// After commit(), objects are expired: the next query that returns their
    /// rows overwrites their attributes, and their relationships are unloaded.
    /// (No attribute is ever loaded behind the caller's back.)
    bool expire_on_commit = true;
    /// Flush pending changes before each query, so the query sees them.
    bool autoflush = true;
};

class AsyncSession;

namespace detail {
struct SessionImpl;
struct StreamImpl;
}  // namespace detail

/// The objects of a buffered ORM query.
template <class T>
class ScalarResult {
public:
    explicit ScalarResult(std::vector<std::shared_ptr<T>> objects) : objects_(std::move(objects)) {}
    auto begin() const { return objects_.begin(); }
    auto end() const { return objects_.end(); }
    std::size_t size() const { return objects_.size(); }
    bool empty() const { return objects_.empty(); }
    const std::vector<std::shared_ptr<T>>& all() const& { return objects_; }
    std::vector<std::shared_ptr<T>> all() && { return std::move(objects_); }
    /// The first object, or nullptr.
    std::shared_ptr<T> first() const { return objects_.empty() ? nullptr : objects_.front(); }
    /// Exactly one object; throws NoResultFound or MultipleResultsFound otherwise.
    std::shared_ptr<T> one() const {
        if (objects_.empty()) throw NoResultFound("one(): the query returned no object");
        if (objects_.size() > 1) throw MultipleResultsFound("one(): the query returned more than one object");
        return objects_.front();
    }
    /// At most one object (nullptr for none); throws MultipleResultsFound for more.
    std::shared_ptr<T> one_or_none() const {
        if (objects_.size() > 1) throw MultipleResultsFound("one_or_none(): the query returned more than one object");
        return first();
    }

private:
    std::vector<std::shared_ptr<T>> objects_;
};

/// The result of execute(orm::select<T>()): rows of one object each.
template <class T>
class Result {
public:
    explicit Result(std::vector<std::shared_ptr<T>> objects) : objects_(std::move(objects)) {}
    ScalarResult<T> scalars() const& { return ScalarResult<T>(objects_); }
    ScalarResult<T> scalars() && { return ScalarResult<T>(std::move(objects_)); }
    std::size_t size() const { return objects_.size(); }

private:
    std::vector<std::shared_ptr<T>> objects_;
};

/// Type-erased part of a streamed ORM result (core/src/orm/stream.cpp).
class StreamedObjects {
public:
    StreamedObjects(StreamedObjects&&) noexcept;
    StreamedObjects& operator=(StreamedObjects&&) noexcept;
    ~StreamedObjects();
    /// The next object, nullptr at the end.
    awaitable<std::shared_ptr<void>> next();
    awaitable<void> close();
    std::size_t read_ahead() const;

private:
    friend class AsyncSession;
    explicit StreamedObjects(std::unique_ptr<detail::StreamImpl> impl);
    std::unique_ptr<detail::StreamImpl> impl_;
};

/// Objects read as they are fetched. Rows arrive in chunks; each chunk's
/// relationships are loaded by the query's loaders before its objects are handed out.
template <class T>
class AsyncScalarResult {
public:
    explicit AsyncScalarResult(StreamedObjects s) : s_(std::move(s)) {}
    /// The next object, or nullptr at the end.
    awaitable<std::shared_ptr<T>> next() { co_return std::static_pointer_cast<T>(co_await s_.next()); }
    /// Up to `n` more objects; fewer only at the end.
    awaitable<std::vector<std::shared_ptr<T>>> fetchmany(std::size_t n) {
        std::vector<std::shared_ptr<T>> out;
        while (out.size() < n) {
            auto o = co_await next();
            if (!o) break;
            out.push_back(std::move(o));
        }
        co_return out;
    }
    awaitable<std::vector<std::shared_ptr<T>>> all() {
        std::vector<std::shared_ptr<T>> out;
        while (auto o = co_await next()) out.push_back(std::move(o));
        co_return out;
    }
    /// Stops reading; the rest of the result is discarded.
    awaitable<void> close() { return s_.close(); }
    /// Rows held in memory beyond the current chunk. 0 where the backend runs the
    /// loaders' queries between fetches (PostgreSQL in a transaction, SQLite).
    /// Where a streamed result holds the connection until read (MariaDB), the
    /// first chunk that needs a loader query reads the rest of the rows first.
    std::size_t read_ahead() const { return s_.read_ahead(); }

private:
    StreamedObjects s_;
};

/// The result of stream(orm::select<T>()).
template <class T>
class AsyncResult {
public:
    explicit AsyncResult(StreamedObjects s) : s_(std::move(s)) {}
    /// The objects of the rows (this result is consumed).
    AsyncScalarResult<T> scalars() { return AsyncScalarResult<T>(std::move(s_)); }

private:
    StreamedObjects s_;
};

/// A transaction of an AsyncSession, or a SAVEPOINT in it: what
/// AsyncSession::begin() and begin_nested() return. End it with commit() or
/// rollback(); destroyed while still open, it rolls back (the objects at once,
/// the database before the session's next statement, or in the background when
/// the session's connection is released). It must not be used after its
/// session is destroyed (it then does nothing).
class SessionTransaction {
public:
    SessionTransaction(SessionTransaction&& other) noexcept;
    SessionTransaction& operator=(SessionTransaction&&) = delete;
    ~SessionTransaction();
    /// Flushes and commits (a savepoint: releases it). When the flush fails, it
    /// is rolled back and the error rethrown: either way it is over.
    awaitable<void> commit();
    awaitable<void> rollback();
    /// Not yet committed nor rolled back (by itself or by its session).
    bool is_active() const;
    /// A SAVEPOINT (from begin_nested()).
    bool nested() const { return level_ != 0; }

private:
    friend class AsyncSession;
    SessionTransaction(detail::SessionImpl& session, std::size_t level, std::string savepoint);
    detail::SessionImpl& active(const char* what) const;
    detail::SessionImpl* session_;
    std::weak_ptr<int> alive_;
    std::size_t level_;  ///< 0: the session's transaction; n: its n-th savepoint
    std::uint64_t serial_;
    std::string savepoint_;
};

class AsyncSession {
public:
    AsyncSession(AsyncEngine engine, SessionOptions options = {});
    AsyncSession(AsyncSession&&) noexcept;
    AsyncSession& operator=(AsyncSession&&) noexcept;
    /// A session still holding a connection rolls back and returns it in the
    /// background; prefer close().
    ~AsyncSession();

    // ---- objects in and out ----
    /// Makes `object` pending (INSERTed at the next flush), with what it reaches
    /// through relationships that cascade save-update. Adding an object already
    /// in the session does nothing. Throws InvalidRequestError for an object of
    /// another session or a second object with the identity of one present.
    template <class T>
    void add(const std::shared_ptr<T>& object) {
        add_object(mapper<T>(), object);
    }
    template <class T>
    void add_all(const std::vector<std::shared_ptr<T>>& objects) {
        for (const auto& o : objects) add(o);
    }
    /// Anything but a std::shared_ptr of a mapped class: refused with the reason.
    template <class U>
    void add(const U&) {
        static_assert(sizeof(U) == 0,
                      "AsyncSession::add() takes a std::shared_ptr<T> of a mapped class (std::make_shared<T>(...)): "
                      "the session and the application share the object, so a plain object or a raw pointer "
                      "cannot be added");
    }
    /// Marks a persistent object for deletion at the next flush (and, through
    /// relationships that cascade delete, its related objects). A pending
    /// object is simply removed. Throws InvalidRequestError for an object not in the session.
    template <class T>
    void delete_(const std::shared_ptr<T>& object) {
        delete_object(mapper<T>(), object.get());
    }
    /// Removes an object from the session without touching the database; its
    /// pending changes are forgotten.
    template <class T>
    void expunge(const std::shared_ptr<T>& object) {
        expunge_object(mapper<T>(), object.get());
    }
    void expunge_all();
    /// The next query returning the object's row overwrites its attributes; its
    /// relationships become unloaded.
    template <class T>
    void expire(const std::shared_ptr<T>& object) {
        expire_object(mapper<T>(), object.get());
    }
    void expire_all();
    /// Reloads the object's attributes from the database now (its relationships
    /// become unloaded). Throws NoResultFound when its row is gone.
    template <class T>
    awaitable<void> refresh(const std::shared_ptr<T>& object) {
        return refresh_object(mapper<T>(), object.get());
    }
    template <class T>
    bool contains(const std::shared_ptr<T>& object) const {
        return contains_object(object.get());
    }

    // ---- queries ----
    /// The object of class T with this primary key: from the identity map
    /// without any statement when present, else by a SELECT (nullptr when there
    /// is no such row). Give one value per primary key column.
    template <class T, class... K>
    awaitable<std::shared_ptr<T>> get(const K&... key) {
        // In this coroutine's frame, not on the heap: a get answered from the
        // identity map allocates nothing.
        const std::array<Value, sizeof...(K)> values{to_value(key)...};
        co_return std::static_pointer_cast<T>(co_await get_object(mapper<T>(), values));
    }
    template <class T>
    awaitable<ScalarResult<T>> scalars(const Select<T>& stmt) {
        auto objects = co_await query_objects(mapper<T>(), stmt.statement(), stmt.loaders(), stmt.populates_existing());
        co_return ScalarResult<T>(cast_all<T>(objects));
    }
    /// The first object of the query, or nullptr.
    template <class T>
    awaitable<std::shared_ptr<T>> scalar(const Select<T>& stmt) {
        auto objects = co_await query_objects(mapper<T>(), stmt.statement(), stmt.loaders(), stmt.populates_existing());
        co_return objects.empty() ? nullptr : std::static_pointer_cast<T>(objects.front());
    }
    template <class T>
    awaitable<Result<T>> execute(const Select<T>& stmt) {
        auto objects = co_await query_objects(mapper<T>(), stmt.statement(), stmt.loaders(), stmt.populates_existing());
        co_return Result<T>(cast_all<T>(objects));
    }
    /// The rows of a query of several classes and/or columns, as tuples:
    ///   for (auto& [book, author] : co_await session.execute(orm::select<Book, Author>().join(&Book::author)))
    template <class E, class... V>
    awaitable<std::vector<typename RowSelect<E, V...>::row_type>> execute(const RowSelect<E, V...>& stmt) {
        using Row = typename RowSelect<E, V...>::row_type;
        constexpr std::size_t entities = std::tuple_size_v<Row> - sizeof...(V);
        auto rows = co_await query_rows(RowSelect<E, V...>::entity_mappers(), sizeof...(V), stmt.statement(),
                                        stmt.loaders(), stmt.populates_existing());
        std::vector<Row> out;
        out.reserve(rows.count);
        for (std::size_t r = 0; r < rows.count; ++r)
            out.push_back(make_row<Row>(rows, r, std::make_index_sequence<entities>{},
                                        std::make_index_sequence<sizeof...(V)>{}));
        co_return out;
    }
    /// A Core statement in the session's transaction (after autoflush).
    awaitable<retort::Result> execute(const sql::Statement& stmt, const Params& params = {});
    /// Streams the objects of the query, a chunk of `chunk_rows` rows at a time
    /// (loaders run per chunk). The session runs other statements meanwhile:
    /// where the backend cannot while a result is open, the rest of the result
    /// is read into memory first. Until the stream is read to its end or
    /// closed, commit() throws InvalidRequestError (changing nothing);
    /// rollback() and close() end the stream, whose next() then throws it.
    template <class T>
    awaitable<AsyncResult<T>> stream(const Select<T>& stmt, std::size_t chunk_rows = 0) {
        co_return AsyncResult<T>(co_await stream_objects(mapper<T>(), stmt.statement(), stmt.loaders(), chunk_rows));
    }
    template <class T>
    awaitable<AsyncScalarResult<T>> stream_scalars(const Select<T>& stmt, std::size_t chunk_rows = 0) {
        co_return AsyncScalarResult<T>(co_await stream_objects(mapper<T>(), stmt.statement(), stmt.loaders(), chunk_rows));
    }
    /// SQLAlchemy's merge(): the session's object with the identity of `object`
    /// (from the identity map, else loaded by a SELECT, else a new pending one)
    /// gets `object`'s column values (a Defaulted member only if assigned) and
    /// its loaded relationships, merged the same way. Returns that object;
    /// `object` itself is not added.
    template <class T>
    awaitable<std::shared_ptr<T>> merge(const std::shared_ptr<T>& object) {
        std::unordered_map<const void*, std::shared_ptr<void>> merged;
        co_return std::static_pointer_cast<T>(co_await merge_object(mapper<T>(), object, merged));
    }
    /// Loads one relationship of one object now (what SQLAlchemy's
    /// awaitable_attrs does): `for (auto& b : co_await session.load(a, &A::bs))`.
    /// Returns (a copy of) the loaded member; an already loaded relationship is
    /// not reloaded, unless a non-owning link of it lost its object.
    template <class C, class S>
    awaitable<S> load(const std::shared_ptr<C>& object, S C::*member) {
        const auto& rel = mapper<C>().relationship(detail::member_name(member));
        co_await load_relationship(object.get(), rel);
        co_return (*object).*member;
    }

    // ---- transactions ----
    /// Writes pending changes to the database (in the session's transaction).
    awaitable<void> flush();
    /// Flushes, then commits the transaction, savepoints included (and expires
    /// objects if expire_on_commit).
    awaitable<void> commit();
    /// Rolls the transaction back. As in SQLAlchemy: objects added in it leave
    /// the session, persistent objects get back their rows' values and loaded
    /// relationships, objects deleted in it are persistent again.
    awaitable<void> rollback();

    /// Begins the session's transaction and returns it, to be ended by its
    /// commit() or rollback(); one destroyed while still open rolls back.
    /// Throws InvalidRequestError if one is already begun.
    ///   auto tx = co_await session.begin();
    ///   session.add(a);
    ///   co_await tx.commit();
    awaitable<SessionTransaction> begin();
    /// Flushes what is pending, then begins a SAVEPOINT and returns it. Its
    /// commit() flushes and releases it. Its rollback(), its destruction while
    /// open, or a failed flush inside it rolls back to the savepoint only: the
    /// objects added inside leave the session, the others return to their state
    /// at the savepoint, and the outer transaction goes on with what it had.
    ///   auto sp = co_await session.begin_nested();
    ///   session.add(maybe_duplicate);
    ///   try { co_await sp.commit(); } catch (const IntegrityError&) { /* skipped */ }
    awaitable<SessionTransaction> begin_nested();

    /// Runs `body(session)` in a transaction: commits when it returns, rolls back
    /// and rethrows when it throws. On GCC 12, a body that owns captures must be
    /// passed by name, not written inside the co_await (see retort/coroutine_body.hpp).
    template <class F>
        requires std::invocable<std::remove_cvref_t<F>&, AsyncSession&>
    awaitable<void> begin(F&& body) {
        RETORT_REQUIRE_SAFE_BODY(F, "AsyncSession::begin(body)");
        return run_in(begin(), make_body(std::forward<F>(body)));
    }
    /// Runs `body(session)` inside begin_nested(): committed when it returns,
    /// rolled back to the savepoint (and rethrown) when it throws.
    template <class F>
        requires std::invocable<std::remove_cvref_t<F>&, AsyncSession&>
    awaitable<void> begin_nested(F&& body) {
        RETORT_REQUIRE_SAFE_BODY(F, "AsyncSession::begin_nested(body)");
        return run_in(begin_nested(), make_body(std::forward<F>(body)));
    }
    bool in_transaction() const;
    /// The session's connection (beginning its transaction if needed), for Core work in it.
    awaitable<AsyncConnection*> connection();
    /// Rolls back what is not committed, releases the connection and every object.
    awaitable<void> close();

    // ---- introspection ----
    std::size_t size() const;          ///< objects in the session
    std::size_t pending_count() const; ///< objects to INSERT at the next flush (not counting cascades)

private:
    template <class T>
    static std::vector<std::shared_ptr<T>> cast_all(const std::vector<std::shared_ptr<void>>& objects) {
        std::vector<std::shared_ptr<T>> out;
        out.reserve(objects.size());
        for (const auto& o : objects) out.push_back(std::static_pointer_cast<T>(o));
        return out;
    }
    void add_object(const Mapper& m, std::shared_ptr<void> object);
    void delete_object(const Mapper& m, const void* object);
    void expunge_object(const Mapper& m, const void* object);
    void expire_object(const Mapper& m, const void* object);
    bool contains_object(const void* object) const;
    awaitable<void> refresh_object(const Mapper& m, const void* object);
    awaitable<std::shared_ptr<void>> get_object(const Mapper& m, std::span<const Value> key);
    awaitable<std::vector<std::shared_ptr<void>>> query_objects(const Mapper& m, const sql::Select& stmt,
                                                                const std::vector<LoaderOption>& loaders,
                                                                bool overwrite = false);
    struct Rows {
        std::size_t count = 0;
        std::size_t entities = 0, values_per_row = 0;
        std::vector<std::shared_ptr<void>> objects;  ///< count x entities
        std::vector<Value> values;                   ///< count x values_per_row
    };
    awaitable<Rows> query_rows(std::vector<const Mapper*> entities, std::size_t values_per_row, const sql::Select& stmt,
                               const std::vector<LoaderOption>& loaders, bool overwrite);
    template <class Row, std::size_t... I, std::size_t... J>
    static Row make_row(const Rows& rows, std::size_t r, std::index_sequence<I...>, std::index_sequence<J...>) {
        return Row{std::static_pointer_cast<typename std::tuple_element_t<I, Row>::element_type>(
                       rows.objects[r * rows.entities + I])...,
                   from_value<std::tuple_element_t<sizeof...(I) + J, Row>>(rows.values[r * rows.values_per_row + J])...};
    }
    /// `merged`: the session's object for each object merged so far, so that a
    /// graph whose objects point at each other is merged once per object.
    awaitable<std::shared_ptr<void>> merge_object(const Mapper& m, std::shared_ptr<void> object,
                                                  std::unordered_map<const void*, std::shared_ptr<void>>& merged);
    awaitable<StreamedObjects> stream_objects(const Mapper& m, const sql::Select& stmt,
                                              const std::vector<LoaderOption>& loaders, std::size_t chunk_rows);
    awaitable<void> load_relationship(const void* object, const RelationshipProperty& rel);
    using Body = retort::detail::OwnedBody<awaitable<void>(AsyncSession&)>;
    template <class F>
    static Body make_body(F&& body) {
        using B = std::remove_cvref_t<F>;
        static_assert(std::is_same_v<std::invoke_result_t<B&, AsyncSession&>, awaitable<void>>,
                      "a session body must be a coroutine: [&](orm::AsyncSession& s) -> awaitable<void> { ... }");
        return Body(B(std::forward<F>(body)));
    }
    /// Begins `tx`, runs `body`, commits, or rolls back and rethrows.
    awaitable<void> run_in(awaitable<SessionTransaction> tx, Body body);

    std::unique_ptr<detail::SessionImpl> impl_;
};

/// Makes sessions on one engine with the same options: SQLAlchemy's async_sessionmaker.
class async_sessionmaker {
public:
    explicit async_sessionmaker(AsyncEngine engine, SessionOptions options = {})
        : engine_(std::move(engine)), options_(options) {}
    AsyncSession operator()() const { return AsyncSession(engine_, options_); }

private:
    AsyncEngine engine_;
    SessionOptions options_;
};

}  // namespace retort::orm
