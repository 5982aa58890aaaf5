#include "engine_state.hpp"

namespace retort::detail {

std::shared_ptr<const CompiledEntry> StatementCache::get(const sql::StatementNode& stmt, const sql::CacheKey& key,
                                                         const plugin::Dialect& dialect, bool& hit) {
    {
        std::lock_guard lock(mutex_);
        if (auto* cached = lru_.find(key.text)) {
            ++hits_;
            hit = true;
            return *cached;
        }
        ++misses_;
    }
    hit = false;
    // Compile outside the lock: two threads may compile the same shape once
    // each, which is cheaper than making every other statement wait.
    auto entry = std::make_shared<CompiledEntry>();
    entry->compiled = dialect.compiler().compile(stmt, key);
    for (const auto& c : entry->compiled.columns) entry->result_converters.push_back(dialect.result_converter(c.type));
    // DDL keys name objects by address, and a tree sharing a bound value's node
    // compiles for itself only (Compiled::shares_binds): never keep them.
    if (entry->compiled.is_ddl || entry->compiled.shares_binds || capacity_ == 0) return entry;
    std::lock_guard lock(mutex_);
    if (!lru_.find(key.text)) lru_.put(key.text, entry);  // (what it pushes out is freed when unused)
    return entry;
}

AsyncEngine::CacheStats StatementCache::stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, lru_.size()};
}

}  // namespace retort::detail
