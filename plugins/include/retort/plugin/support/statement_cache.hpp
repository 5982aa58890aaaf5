// A driver's prepared statements by SQL text, the least recently used pushed
// out first. One per connection, used only by that connection's operations.
//
// Entry is what the driver keeps per statement: a handle (sqlite3_stmt*,
// MYSQL_STMT*), or a struct (a server-side name and the parameter types it was
// prepared with). The cache never frees an entry itself: what put() pushes out
// and what take()/take_all() remove are handed back, because letting go of a
// statement may need the connection (a DEALLOCATE, a COM_STMT_CLOSE) and so an
// await, or the driver's own thread.
//
//   if (auto* hit = cache.find(sql)) return *hit;
//   Handle h = prepare(sql);
//   for (Handle old : cache.put(sql, h)) finalize(old);
//
// Pointers from find() stay valid until their entry is pushed out or taken.
#pragma once

#include <cstddef>
#include <iterator>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace retort::plugin::support {

/// Statements each connection keeps prepared, for every driver alike.
inline constexpr std::size_t default_statement_cache_size = 256;

template <class Entry>
class StatementCache {
public:
    explicit StatementCache(std::size_t capacity = default_statement_cache_size) : capacity_(capacity ? capacity : 1) {}
    StatementCache(const StatementCache&) = delete;
    StatementCache& operator=(const StatementCache&) = delete;

    /// The entry for `sql`, now the most recently used; null when there is none.
    Entry* find(std::string_view sql) {
        auto it = index_.find(sql);
        if (it == index_.end()) return nullptr;
        lru_.splice(lru_.begin(), lru_, it->second);
        return &it->second->second;
    }

    /// Adds `entry` for `sql`, which must not be cached already, and returns the
    /// entries pushed out to make room (never the new one), oldest first, for
    /// the caller to dispose of. The new entry is front(); a pointer to it stays
    /// valid until it is pushed out in turn.
    std::vector<Entry> put(std::string sql, Entry entry) {
        lru_.emplace_front(std::move(sql), std::move(entry));
        index_.emplace(lru_.front().first, lru_.begin());
        std::vector<Entry> evicted;
        while (lru_.size() > capacity_) {
            auto oldest = std::prev(lru_.end());
            index_.erase(oldest->first);  // first: its key views the text of the node
            evicted.push_back(std::move(oldest->second));
            lru_.erase(oldest);
        }
        return evicted;
    }
    Entry& front() { return lru_.front().second; }

    /// Removes `sql`'s entry and returns it, or nullopt when there is none.
    std::optional<Entry> take(std::string_view sql) {
        auto it = index_.find(sql);
        if (it == index_.end()) return std::nullopt;
        auto node = it->second;
        index_.erase(it);  // first: its key views the text of the node
        Entry entry = std::move(node->second);
        lru_.erase(node);
        return entry;
    }

    /// Removes every entry and returns them (when the connection closes).
    std::vector<Entry> take_all() {
        std::vector<Entry> all;
        all.reserve(lru_.size());
        for (auto& [sql, entry] : lru_) all.push_back(std::move(entry));
        index_.clear();
        lru_.clear();
        return all;
    }

    std::size_t size() const { return lru_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    using Lru = std::list<std::pair<std::string, Entry>>;
    std::size_t capacity_;
    Lru lru_;
    std::unordered_map<std::string_view, typename Lru::iterator> index_;
};

}  // namespace retort::plugin::support
