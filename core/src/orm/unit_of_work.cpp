// The unit of work: what a flush writes and in which order.
//
// 1. Relationships (dependency.cpp): objects reachable through save-update
//    relationships join the session; deletes cascade along delete
//    relationships; children removed from a delete-orphan collection are
//    deleted, others lose their parent key.
// 2. Per mapper, parents before children (the tables' foreign-key order):
//    foreign keys are filled from relationships, INSERTs go out in batches of
//    the same shape, then UPDATEs of the changed columns (persistence.cpp).
// 3. Association rows of many-to-many relationships.
// 4. DELETEs, children before parents.
// A failure anywhere rolls back: to the innermost savepoint when there is one,
// else the session's whole transaction.
#include <algorithm>

#include "flush.hpp"

namespace retort::orm::detail {

awaitable<void> SessionImpl::flush() {
    if (flushing) co_return;
    if (!savepoints.empty() && savepoints.back().failed)  // refused before anything is undone
        throw InvalidRequestError("a flush inside begin_nested() failed and rolled its savepoint back: end that "
                                  "begin_nested() before using the session again");
    flushing = true;
    std::exception_ptr failure;
    try {
        co_await write_changes();
    } catch (...) {
        failure = std::current_exception();
    }
    flushing = false;
    if (!failure) co_return;
    // Inside a savepoint only its work is undone (SQLAlchemy's begin_nested());
    // if even that fails, the whole transaction goes.
    bool undone = false;
    if (!savepoints.empty() && !savepoints.back().failed && conn) {
        try {
            co_await fail_savepoint(savepoints.size());
            undone = true;
        } catch (...) {
        }
    }
    if (!undone) {
        try {
            co_await rollback_all();
        } catch (...) {
            // the flush's error is the one to report
        }
    }
    std::rethrow_exception(failure);
}

awaitable<void> SessionImpl::write_changes() {
    FlushWork work;
    co_await cascade(work);

    // What to write, in which order.
    for (auto& [_, s] : states) {
        // (A session holds objects of a few classes: a linear search finds each one's.)
        if (std::find(work.order.begin(), work.order.end(), s->mapper) == work.order.end()) work.order.push_back(s->mapper);
        if (s->status == Status::pending) work.pending[s->mapper].push_back(s);
        else if (s->status == Status::persistent && s->marked_deleted) work.deleting[s->mapper].push_back(s);
        else if (s->status == Status::persistent) work.persistent[s->mapper].push_back(s);
    }
    std::sort(work.order.begin(), work.order.end(), [](const Mapper* a, const Mapper* b) {
        return std::make_pair(&a->registry(), a->flush_order()) < std::make_pair(&b->registry(), b->flush_order());
    });
    for (auto& [_, list] : work.pending)
        std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->order < b->order; });

    // Most autoflushes find nothing to write: then no connection is taken.
    bool any = !work.pending.empty() || !work.deleting.empty();
    for (auto it = work.persistent.begin(); !any && it != work.persistent.end(); ++it)
        for (auto* s : it->second) {
            sync_foreign_keys(*s, work.parents);
            if (!changed_columns(*s).empty() || m2m_changed(*s)) {
                any = true;
                break;
            }
        }
    if (!any) co_return;

    work.conn = co_await connection();
    for (const Mapper* m : work.order) {
        co_await emit_inserts(work, *m);
        co_await emit_updates(work, *m);
    }
    co_await emit_association_rows(work);
    for (auto it = work.order.rbegin(); it != work.order.rend(); ++it)
        if (!work.deleting[*it].empty()) co_await emit_deletes(work, **it);

    // What the rows hold now, for the next flush to compare against.
    for (auto& [_, s] : states) {
        if (s->status != Status::persistent) continue;
        const auto& rels = s->mapper->relationships();
        for (std::size_t r = 0; r < rels.size(); ++r) {
            if (!rels[r].known(s->ptr())) continue;
            if (holds_committed(*s, r)) continue;
            RelatedObjects ptrs;
            rels[r].for_each_item(s->ptr(), [&](const void* item) { ptrs.push_back(item); });
            journal_state(*s);  // a rollback must see the collection as it was
            s->committed_related[r] = std::move(ptrs);
        }
        weaken_two_way_links(*s->mapper, s->ptr());
    }
}

}  // namespace retort::orm::detail
