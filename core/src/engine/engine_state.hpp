// Internal state shared by an engine and its connections.
#pragma once

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "retort/engine/engine.hpp"
#include "retort/plugin/dialect.hpp"

namespace retort::detail {

/// A statement compiled for one dialect, with the value converters its
/// parameters and result columns need (resolved once, not per execution).
struct CompiledEntry {
    sql::Compiled compiled;
    std::vector<plugin::ValueConverter> bind_converters;    ///< per parameter
    std::vector<plugin::ValueConverter> result_converters;  ///< per result column
};

/// Compiled statements by cache key, least recently used dropped first.
class StatementCache {
public:
    explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}
    /// The entry for `key`, compiling `stmt` on a miss. `hit` says which it was.
    std::shared_ptr<const CompiledEntry> get(const sql::StatementNode& stmt, const sql::CacheKey& key,
                                             const plugin::Dialect& dialect, bool& hit);
    AsyncEngine::CacheStats stats() const;

private:
    using Lru = std::list<std::pair<std::string, std::shared_ptr<const CompiledEntry>>>;
    mutable std::mutex mutex_;
    std::size_t capacity_;
    Lru lru_;
    std::unordered_map<std::string_view, Lru::iterator> index_;
    std::uint64_t hits_ = 0, misses_ = 0;
};

struct EngineState {
    EngineState(Url u, EngineOptions o, std::shared_ptr<const plugin::Dialect> d)
        : url(std::move(u)), options(std::move(o)), dialect(std::move(d)), cache(options.compiled_cache_size) {}
    Url url;
    EngineOptions options;
    std::shared_ptr<const plugin::Dialect> dialect;
    StatementCache cache;
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

/// Applies the entry's result converters to raw row-major values.
void convert_results(const CompiledEntry& entry, std::vector<Value>& values, std::size_t width);

struct ConnectionState {
    std::shared_ptr<EngineState> engine;          // declared first: destroyed after the driver
    std::unique_ptr<plugin::Connection> driver;   // the plugin's object; needs the plugin loaded
    boost::asio::any_io_executor executor;
    bool in_transaction = false;
    bool streaming = false;
    bool closed = false;
    unsigned savepoint_counter = 0;
    std::vector<std::string> savepoints;
};

struct StreamState {
    std::shared_ptr<ConnectionState> conn;
    std::shared_ptr<const CompiledEntry> entry;
    std::unique_ptr<plugin::Cursor> cursor;
    std::vector<std::string> names;
    std::shared_ptr<const ResultData> batch;
    std::size_t position = 0;
    bool done = false;
    ~StreamState();
};

}  // namespace retort::detail
