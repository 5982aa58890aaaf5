// Internal state shared by an engine and its connections.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "retort/engine/engine.hpp"
#include "../pool/connection_pool.hpp"
#include "retort/plugin/dialect.hpp"
#include "retort/plugin/support/statement_cache.hpp"

namespace retort::detail {

/// A statement compiled for one dialect, with the value converters its result
/// columns need (resolved once, not per execution).
struct CompiledEntry {
    sql::Compiled compiled;
    std::vector<plugin::ValueConverter> result_converters;  ///< per result column
};

/// Compiled statements by cache key, least recently used dropped first.
class StatementCache {
public:
    explicit StatementCache(std::size_t capacity) : capacity_(capacity), lru_(capacity) {}
    /// The entry for `key`, compiling `stmt` on a miss. `hit` says which it was.
    std::shared_ptr<const CompiledEntry> get(const sql::StatementNode& stmt, const sql::CacheKey& key,
                                             const plugin::Dialect& dialect, bool& hit);
    AsyncEngine::CacheStats stats() const;

private:
    mutable std::mutex mutex_;
    std::size_t capacity_;  ///< 0: nothing is kept
    plugin::support::StatementCache<std::shared_ptr<const CompiledEntry>> lru_;  // (the drivers' LRU)
    std::uint64_t hits_ = 0, misses_ = 0;
};

struct EngineState {
    EngineState(Url u, EngineOptions o, std::shared_ptr<const plugin::Dialect> d);
    Url url;
    EngineOptions options;
    /// The dialect that compiles: the plugin's until the first connection, then
    /// the one it chose for the server (Dialect::for_server), if any.
    const plugin::Dialect& dialect() const { return *current_.load(std::memory_order_acquire); }
    /// Called with each new connection; the first one refines the dialect.
    void adopt_server(const plugin::Connection& connection);

    // Declared before the pool: they outlive its connections.
    std::shared_ptr<const plugin::Dialect> plugin_dialect;  ///< opens the connections
    std::shared_ptr<const plugin::Dialect> server_dialect;  ///< set once, by the first connection
    std::atomic<const plugin::Dialect*> current_;
    std::once_flag refined_;
    StatementCache cache;
    ConnectionPool pool;
};

/// A statement ready for the driver: SQL text and converted positional parameters.
struct PreparedExecution {
    std::shared_ptr<const CompiledEntry> entry;
    std::string expanded_sql;  ///< set only when expanding parameters changed the text
    std::vector<Value> params;
    bool cached = false;
    const std::string& sql() const { return expanded_sql.empty() ? entry->compiled.sql : expanded_sql; }
};

PreparedExecution prepare_execution(EngineState& engine, const sql::StatementNode& stmt, const Params& params);

/// A statement looked up in the compiled cache once, for many parameter sets
/// (execute_many). Its key is the statement's own (StatementNode::cache_key()),
/// which lives as long as the statement.
struct StatementLookup {
    const sql::CacheKey* key = nullptr;
    std::shared_ptr<const CompiledEntry> entry;
    bool cached = false;
};
StatementLookup look_up(EngineState& engine, const sql::StatementNode& stmt);
/// The execution of a looked-up statement with `params`.
PreparedExecution bind_execution(EngineState& engine, const sql::StatementNode& stmt, const StatementLookup& found,
                                 const Params& params);

/// execute_many() of a one-row INSERT ... VALUES as multi-row INSERTs (see
/// insert_many_values.cpp): the rows per statement, or 0 where the statement
/// runs once per set as it is. `params_per_row`: the compiled one-row
/// statement's parameters (client-side defaults add to its values). Throws
/// ArgumentError, before anything is sent, when a set lacks a value.
std::size_t insert_many_values(const sql::Capabilities& caps, const sql::StatementNode& stmt,
                               const std::vector<Params>& sets, std::size_t params_per_row);
/// The multi-row INSERT of `stmt` (one that insert_many_values() accepted) for `sets`.
sql::Statement insert_rows(const sql::StatementNode& stmt, std::span<const Params> sets);

/// Applies the entry's result converters to raw row-major values.
void convert_results(const CompiledEntry& entry, std::vector<Value>& values, std::size_t width);

/// One checkout of a pooled connection: what an AsyncConnection and its
/// results share. Returned to the pool by finish(), or on destruction.
struct ConnectionState {
    ~ConnectionState();
    std::shared_ptr<EngineState> engine;       // declared first: destroyed last
    std::unique_ptr<PooledConnection> pooled;  // null once returned to the pool
    plugin::Connection* driver = nullptr;      // pooled->driver while checked out
    boost::asio::any_io_executor executor;
    bool autocommit = false;   ///< IsolationLevel::autocommit: no implicit BEGIN
    bool in_transaction = false;
    bool closed = false;
    unsigned savepoint_counter = 0;
    std::vector<std::string> savepoints;
    StreamState* stream = nullptr;  ///< the AsyncResult being read, if any
    /// The AsyncConnection went away while its result was being read: the
    /// checkout ends when the result does.
    bool finish_after_stream = false;
    /// A driver call is in flight: a second one (a coroutine sharing the
    /// connection) is refused rather than interleaved.
    bool busy = false;
    /// A streamed result dropped before its end: closed before the next operation.
    std::unique_ptr<plugin::Cursor> abandoned;  // after `pooled`: destroyed before the driver
};

/// After a driver error: a connection the driver reports dead is discarded.
void after_failure(ConnectionState& s);
/// After any other exception out of a driver call (a cancelled wait...): the
/// connection's protocol state is unknown, so it is discarded.
void drop_connection(ConnectionState& s);
/// Called in a catch handler around a driver call: what the exception being
/// handled means for the connection (after_failure, nothing, or drop_connection).
void after_driver_exception(ConnectionState& s);

/// Marks a driver call in flight for its scope.
struct BusyScope {
    explicit BusyScope(ConnectionState& s);
    ~BusyScope();
    ConnectionState& s;
};
/// Throws ArgumentError unless the dialect offers `level` (autocommit always passes).
void check_isolation_level(const plugin::Dialect& dialect, IsolationLevel level);

/// What is about to run on a connection. A statement may run while a result is
/// being streamed when the stream's cursor allows it; a new stream or
/// transaction control needs the connection to itself.
enum class Use : std::uint8_t { statement, exclusive };
/// Closes an abandoned cursor; throws InvalidRequestError when the connection
/// is closed, or a result is still being read from it that `use` cannot run beside.
awaitable<void> make_ready(ConnectionState& s, Use use = Use::exclusive);
/// Ends the result being streamed, if any: reading it further throws
/// InvalidRequestError; its cursor is closed by the next make_ready().
void end_stream(ConnectionState& s);
/// Ends the checkout: closes an open result, rolls back, resets what the
/// checkout changed, and returns the connection to the pool (or discards it).
awaitable<void> finish(std::shared_ptr<ConnectionState> s);

struct StreamState {
    std::shared_ptr<ConnectionState> conn;
    std::shared_ptr<const CompiledEntry> entry;
    std::unique_ptr<plugin::Cursor> cursor;
    std::vector<std::string> names;
    std::shared_ptr<const ResultData> batch;
    std::size_t position = 0;
    bool done = false;
    bool closed_by_connection = false;  ///< ended by close() of its connection, not read to its end
    bool allows_other_statements = false;  ///< the cursor's answer, kept after the cursor is gone
    ~StreamState();
};

}  // namespace retort::detail
