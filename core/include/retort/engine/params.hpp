// Execution parameters: the values of bindparam()s, by name.
//
//   auto stmt = select(users_id).where(users_name == bindparam<std::string>("name"));
//   co_await conn.execute(stmt, {{"name", "ed"}, {"age", 30}});
//
// The entries are separate constructor arguments, not an initializer list, so
// that this compiles inside co_await with GCC 12 (see sql/dml.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "retort/value_traits.hpp"

namespace retort {

/// One `{"name", value}` argument of Params.
struct ParamEntry {
    ParamEntry() = default;  ///< an unused trailing argument
    template <Bindable T>
    ParamEntry(std::string n, const T& v) : name(std::move(n)), value(to_value(v)), given(true) {}
    std::string name;
    Value value;
    bool given = false;
};

class Params {
public:
    using Entry = ParamEntry;
    Params() = default;
    Params(Entry e1, Entry e2 = {}, Entry e3 = {}, Entry e4 = {}, Entry e5 = {}, Entry e6 = {}, Entry e7 = {},
           Entry e8 = {});
    /// Sets the value named `name`, replacing any it had.
    void set(const std::string& name, Value v);
    /// The value named `name`, or null if absent.
    const Value* find(std::string_view name) const;
    bool empty() const { return entries_.empty(); }
    /// Room for `n` values: for code that fills many Params of a known width.
    void reserve(std::size_t n) { entries_.reserve(n); }

private:
    std::vector<std::pair<std::string, Value>> entries_;
};

}  // namespace retort
