// Execution parameters: the values of bindparam()s, by name.
//
//   auto stmt = select(users_id).where(users_name == bindparam<std::string>("name"));
//   co_await conn.execute(stmt, {{"name", "ed"}});
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "retort/value_traits.hpp"

namespace retort {

class Params {
public:
    struct Entry {
        template <Bindable T>
        Entry(std::string n, const T& v) : name(std::move(n)), value(to_value(v)) {}
        std::string name;
        Value value;
    };

    Params() = default;
    Params(std::initializer_list<Entry> entries) {
        for (const auto& e : entries) set(e.name, e.value);
    }
    void set(const std::string& name, Value v) {
        for (auto& [n, value] : entries_)
            if (n == name) {
                value = std::move(v);
                return;
            }
        entries_.emplace_back(name, std::move(v));
    }
    /// The value named `name`, or null if absent.
    const Value* find(std::string_view name) const {
        for (const auto& [n, v] : entries_)
            if (n == name) return &v;
        return nullptr;
    }
    bool empty() const { return entries_.empty(); }

private:
    std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace retort
