#include "engine_state.hpp"

namespace retort::detail {

std::shared_ptr<const CompiledEntry> StatementCache::get(const sql::StatementNode& stmt, const sql::CacheKey& key,
                                                         const plugin::Dialect& dialect, bool& hit) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = index_.find(key.text); it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            ++hits_;
            hit = true;
            return it->second->second;
        }
        ++misses_;
    }
    hit = false;
    // Compile outside the lock: two threads may compile the same shape once
    // each, which is cheaper than making every other statement wait.
    auto entry = std::make_shared<CompiledEntry>();
    entry->compiled = dialect.compiler().compile(stmt, key);
    for (const auto& p : entry->compiled.params) entry->bind_converters.push_back(dialect.bind_converter(p.type));
    for (const auto& c : entry->compiled.columns) entry->result_converters.push_back(dialect.result_converter(c.type));
    // DDL keys name objects by address: never keep them.
    if (entry->compiled.is_ddl || capacity_ == 0) return entry;
    std::lock_guard lock(mutex_);
    if (index_.find(key.text) == index_.end()) {
        lru_.emplace_front(key.text, entry);
        index_.emplace(lru_.front().first, lru_.begin());
        while (lru_.size() > capacity_) {
            index_.erase(lru_.back().first);
            lru_.pop_back();
        }
    }
    return entry;
}

AsyncEngine::CacheStats StatementCache::stats() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, lru_.size()};
}

}  // namespace retort::detail
