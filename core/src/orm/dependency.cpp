// Relationships at flush time: cascades along them, children of deleted or
// orphaned parents, and the foreign keys they imply (SQLAlchemy's dependency.py
// and sync.py).
#include <algorithm>
#include <unordered_set>

#include "flush.hpp"

namespace retort::orm::detail {

std::vector<Value> get_values(const InstanceState& s, const std::vector<std::size_t>& columns) {
    std::vector<Value> out;
    out.reserve(columns.size());
    for (auto c : columns) out.push_back(s.mapper->columns()[c].get(s.ptr()));
    return out;
}

namespace {

/// Sets column `column` of `s` to `value` unless it holds it already; a NULL
/// into a non-optional member is a FlushError saying `why()`, built only then
/// (a flush sets keys for every child: no message is composed on the way).
template <class Why>
void set_column(InstanceState& s, std::size_t column, const Value& value, const Why& why) {
    const auto& col = s.mapper->columns()[column];
    if (col.equals(s.ptr(), value)) return;
    try {
        col.set(s.ptr(), value);
    } catch (const ArgumentError&) {
        throw FlushError(s.mapper->class_name() + "." + col.name + " cannot be set to " + to_display_string(value) +
                         " (" + why() + ")");
    }
}

/// Foreign keys from a related object: `to`'s columns take `from`'s, pairwise.
template <class Why>
void copy_columns(InstanceState& to, const std::vector<std::size_t>& to_columns, const InstanceState& from,
                  const std::vector<std::size_t>& from_columns, const Why& why) {
    for (std::size_t k = 0; k < to_columns.size(); ++k)
        set_column(to, to_columns[k], from.mapper->columns()[from_columns[k]].get(from.ptr()), why);
}

template <class Why>
void null_columns(InstanceState& s, const std::vector<std::size_t>& columns, const Why& why) {
    const Value none{null};
    for (auto c : columns) set_column(s, c, none, why);
}

}  // namespace

awaitable<void> SessionImpl::cascade(FlushWork& work) {
    // Objects reachable through save-update relationships join the session
    // (none of them deleted: the deleted ones are gathered in the same pass).
    std::vector<InstanceState*> roots, to_visit;
    for (auto& [_, s] : states) {
        if (s->marked_deleted) to_visit.push_back(s);
        else if (s->status != Status::deleted) roots.push_back(s);
    }
    for (auto* s : roots) cascade_add(*s);
    // Deletes: load what a deleted parent's one-to-many children need to know.
    {
        std::unordered_set<InstanceState*> done;
        while (!to_visit.empty()) {
            std::vector<InstanceState*> round;
            round.swap(to_visit);
            for (auto* s : round) {
                if (!done.insert(s).second) continue;
                for (const auto& rel : s->mapper->relationships()) {
                    bool needs_children = rel.direction == Direction::one_to_many ||
                                          (rel.direction == Direction::many_to_one && rel.cascade.delete_);
                    if (!needs_children) continue;
                    if (!rel.known(s->ptr())) {
                        std::vector<InstanceState*> parents{s};
                        co_await load_related(parents, rel, default_selectin_batch_size, {});
                    }
                    rel.for_each_item(s->ptr(), [&](const void* item) {
                        InstanceState* child = find(item);
                        if (!child || child->marked_deleted) return;
                        if (rel.cascade.delete_) {
                            if (child->status == Status::pending) return;  // never written: nothing to delete
                            journal_state(*child);
                            child->marked_deleted = true;
                            to_visit.push_back(child);
                        } else if (rel.direction == Direction::one_to_many) {
                            null_columns(*child, rel.remote_columns, [&] {
                                return "its parent " + s->mapper->class_name() + " is deleted and " +
                                       rel.qualified_name() + " does not cascade delete";
                            });
                        }
                    });
                }
            }
        }
    }
    // Parents of each child, through loaded one-to-many collections.
    auto& parents = work.parents;
    parents.reserve(states.size());
    for (auto& [_, s] : states) {
        if (s->marked_deleted || s->status == Status::deleted) continue;
        for (const auto& rel : s->mapper->relationships()) {
            if (rel.direction != Direction::one_to_many || !rel.known(s->ptr())) continue;
            rel.for_each_item(s->ptr(), [&](const void* item) { parents[item].emplace_back(s, &rel); });
        }
    }
    // Children removed from a collection: deleted (delete-orphan) or detached from it.
    for (auto& [_, holder] : states) {
        InstanceState* s = holder;
        if (s->marked_deleted || s->status != Status::persistent) continue;
        for (const auto& rel : s->mapper->relationships()) {
            if (rel.direction != Direction::one_to_many || !rel.known(s->ptr())) continue;
            const auto& before = s->committed_related[rel_index(rel)];
            if (!before || holds_committed(*s, rel_index(rel))) continue;
            boost::container::small_vector<const void*, 8> now;
            rel.for_each_item(s->ptr(), [&](const void* item) { now.push_back(item); });
            for (const void* old : *before) {
                if (std::find(now.begin(), now.end(), old) != now.end()) continue;
                InstanceState* child = find(old);
                if (!child || child->marked_deleted || child->status != Status::persistent) continue;
                auto it = parents.find(old);
                bool reparented = it != parents.end() &&
                                  std::any_of(it->second.begin(), it->second.end(),
                                              [&](const auto& pr) { return pr.second == &rel || pr.second == rel.reverse; });
                if (reparented) continue;
                if (rel.cascade.delete_orphan) {
                    journal_state(*child);
                    child->marked_deleted = true;
                } else {
                    null_columns(*child, rel.remote_columns, [&] {
                        return "it was removed from " + rel.qualified_name() + ", which is not delete-orphan";
                    });
                    // Its reference back to this parent goes too (back_populates).
                    if (rel.reverse && rel.reverse->known(child->ptr())) {
                        auto back = rel.reverse->items(child->ptr());
                        if (!back.empty() && back.front().get() == s->ptr()) {
                            rel.reverse->assign(child->ptr(), {});
                            child->committed_related[rel_index(*rel.reverse)] = RelatedObjects{};
                        }
                    }
                }
            }
        }
    }
}

// Foreign keys from relationships: the many-to-one targets and the parents
// whose collections hold the object.
// A collection that gained the object speaks first; a many-to-one reference
// only when it was re-pointed since the last flush (so that the side the
// application changed wins where both describe the same foreign key).
void SessionImpl::sync_foreign_keys(InstanceState& s, const ParentMap& parents) {
    if (auto it = parents.find(s.ptr()); it != parents.end())
        for (auto [parent, rel] : it->second)
            copy_columns(s, rel->remote_columns, *parent, rel->local_columns, [&] { return rel->qualified_name(); });
    const auto& rels = s.mapper->relationships();
    for (const auto& rel : rels) {
        if (rel.direction != Direction::many_to_one || !rel.known(s.ptr())) continue;
        if (s.status != Status::pending && holds_committed(s, rel_index(rel))) continue;  // not re-pointed
        const void* target = nullptr;
        rel.for_each_item(s.ptr(), [&](const void* item) { target = item; });
        const auto& before = s.committed_related[rel_index(rel)];
        if (target) {
            InstanceState* t = find(target);
            if (!t)
                throw FlushError(rel.qualified_name() + " refers to an object that is not in the session "
                                 "(add it, or let the relationship cascade save-update)");
            copy_columns(s, rel.local_columns, *t, rel.remote_columns, [&] { return rel.qualified_name(); });
        } else if (before && !before->empty()) {
            null_columns(s, rel.local_columns, [&] { return rel.qualified_name() + " was set to nullptr"; });
        }
    }
}

bool SessionImpl::waits_on_same_mapper(const InstanceState& s, const std::unordered_set<const InstanceState*>& unwritten,
                                       const ParentMap& parents) const {
    for (const auto& rel : s.mapper->relationships()) {
        if (rel.direction != Direction::many_to_one || rel.target != s.mapper || !rel.known(s.ptr())) continue;
        bool waits = false;
        rel.for_each_item(s.ptr(), [&](const void* item) {
            auto* t = find(item);
            waits = waits || (t && t != &s && unwritten.count(t));
        });
        if (waits) return true;
    }
    if (auto it = parents.find(s.ptr()); it != parents.end())
        for (auto [parent, rel] : it->second)
            if (parent != &s && parent->mapper == s.mapper && unwritten.count(parent)) return true;
    return false;
}

}  // namespace retort::orm::detail
