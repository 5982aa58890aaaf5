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

/// Sets a foreign key member; a NULL into a non-optional member is a flush error.
void set_columns(InstanceState& s, const std::vector<std::size_t>& columns, const std::vector<Value>& values,
                 const std::string& why) {
    for (std::size_t k = 0; k < columns.size(); ++k) {
        const auto& col = s.mapper->columns()[columns[k]];
        if (col.equals(s.ptr(), values[k])) continue;
        try {
            col.set(s.ptr(), values[k]);
        } catch (const ArgumentError&) {
            throw FlushError(s.mapper->class_name() + "." + col.name + " cannot be set to " +
                             to_display_string(values[k]) + " (" + why + ")");
        }
    }
}

awaitable<void> SessionImpl::cascade(FlushWork& work) {
    // Objects reachable through save-update relationships join the session.
    {
        std::vector<InstanceState*> roots;
        for (auto& [_, s] : states)
            if (!s->marked_deleted && s->status != Status::deleted) roots.push_back(s);
        for (auto* s : roots) cascade_add(*s);
    }
    // Deletes: load what a deleted parent's one-to-many children need to know.
    {
        std::vector<InstanceState*> to_visit;
        for (auto& [_, s] : states)
            if (s->marked_deleted) to_visit.push_back(s);
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
                    for (auto& item : rel.items(s->ptr())) {
                        InstanceState* child = find(item.get());
                        if (!child || child->marked_deleted) continue;
                        if (rel.cascade.delete_) {
                            if (child->status == Status::pending) continue;  // never written: nothing to delete
                            journal_state(*child);
                            child->marked_deleted = true;
                            to_visit.push_back(child);
                        } else if (rel.direction == Direction::one_to_many) {
                            std::vector<Value> nulls(rel.remote_columns.size(), Value{null});
                            set_columns(*child, rel.remote_columns, nulls,
                                        "its parent " + s->mapper->class_name() + " is deleted and " +
                                            rel.qualified_name() + " does not cascade delete");
                        }
                    }
                }
            }
        }
    }
    // Parents of each child, through loaded one-to-many collections.
    auto& parents = work.parents;
    for (auto& [_, s] : states) {
        if (s->marked_deleted || s->status == Status::deleted) continue;
        for (const auto& rel : s->mapper->relationships()) {
            if (rel.direction != Direction::one_to_many || !rel.known(s->ptr())) continue;
            for (const auto& item : rel.items(s->ptr())) parents[item.get()].emplace_back(s, &rel);
        }
    }
    // Children removed from a collection: deleted (delete-orphan) or detached from it.
    for (auto& [_, holder] : states) {
        InstanceState* s = holder;
        if (s->marked_deleted || s->status != Status::persistent) continue;
        for (const auto& rel : s->mapper->relationships()) {
            if (rel.direction != Direction::one_to_many || !rel.known(s->ptr())) continue;
            const auto& before = s->committed_related[rel_index(rel)];
            if (!before) continue;
            auto now = rel.items(s->ptr());
            for (const void* old : *before) {
                bool kept = std::any_of(now.begin(), now.end(), [&](const auto& p) { return p.get() == old; });
                if (kept) continue;
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
                    std::vector<Value> nulls(rel.remote_columns.size(), Value{null});
                    set_columns(*child, rel.remote_columns, nulls,
                                "it was removed from " + rel.qualified_name() + ", which is not delete-orphan");
                    // Its reference back to this parent goes too (back_populates).
                    if (rel.reverse && rel.reverse->known(child->ptr())) {
                        auto back = rel.reverse->items(child->ptr());
                        if (!back.empty() && back.front().get() == s->ptr()) {
                            rel.reverse->assign(child->ptr(), {});
                            child->committed_related[rel_index(*rel.reverse)] = std::vector<const void*>{};
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
            set_columns(s, rel->remote_columns, get_values(*parent, rel->local_columns), rel->qualified_name());
    const auto& rels = s.mapper->relationships();
    for (const auto& rel : rels) {
        if (rel.direction != Direction::many_to_one || !rel.known(s.ptr())) continue;
        auto items = rel.items(s.ptr());
        const auto& before = s.committed_related[rel_index(rel)];
        bool changed = s.status == Status::pending || !before || before->size() != items.size() ||
                       (!items.empty() && before->front() != items.front().get());
        if (!changed) continue;
        if (!items.empty()) {
            InstanceState* t = find(items.front().get());
            if (!t)
                throw FlushError(rel.qualified_name() + " refers to an object that is not in the session "
                                 "(add it, or let the relationship cascade save-update)");
            set_columns(s, rel.local_columns, get_values(*t, rel.remote_columns), rel.qualified_name());
        } else if (const auto& before = s.committed_related[rel_index(rel)]; before && !before->empty()) {
            std::vector<Value> nulls(rel.local_columns.size(), Value{null});
            set_columns(s, rel.local_columns, nulls, rel.qualified_name() + " was set to nullptr");
        }
    }
}

bool SessionImpl::waits_on_same_mapper(const InstanceState& s, const std::unordered_set<const InstanceState*>& unwritten,
                                       const ParentMap& parents) const {
    for (const auto& rel : s.mapper->relationships()) {
        if (rel.direction != Direction::many_to_one || rel.target != s.mapper || !rel.known(s.ptr())) continue;
        for (const auto& item : rel.items(s.ptr())) {
            auto* t = find(item.get());
            if (t && t != &s && unwritten.count(t)) return true;
        }
    }
    if (auto it = parents.find(s.ptr()); it != parents.end())
        for (auto [parent, rel] : it->second)
            if (parent != &s && parent->mapper == s.mapper && unwritten.count(parent)) return true;
    return false;
}

}  // namespace retort::orm::detail
