// One flush, split by job as SQLAlchemy splits its own: unit_of_work.cpp
// decides what is written and in which order (unitofwork.py), dependency.cpp
// carries cascades and foreign keys across relationships (dependency.py,
// sync.py), persistence.cpp emits the INSERT, UPDATE and DELETE statements
// (persistence.py). All of them are members of SessionImpl (session_impl.hpp).
#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "session_impl.hpp"

namespace retort::orm::detail {

/// The work of one flush, planned before its first statement.
struct FlushWork {
    ParentMap parents;
    std::vector<const Mapper*> order;  ///< the mappers of the session's objects, referenced tables first
    std::unordered_map<const Mapper*, std::vector<InstanceState*>> pending, persistent, deleting;
    AsyncConnection* conn = nullptr;  ///< once there is something to write
};

inline std::size_t rel_index(const RelationshipProperty& rel) { return &rel - rel.parent->relationships().data(); }

std::vector<Value> get_values(const InstanceState& s, const std::vector<std::size_t>& columns);
/// The columns whose member differs from what the row holds.
ColumnList changed_columns(const InstanceState& s);
/// Whether a loaded many-to-many collection differs from what its rows hold.
bool m2m_changed(const InstanceState& s);

}  // namespace retort::orm::detail
