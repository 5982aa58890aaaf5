// AsyncSession: objects in and out, the identity map, transactions and the
// journal that makes a rollback restore objects.
#include <functional>

#include <boost/unordered/unordered_flat_set.hpp>

#include "mapper_build.hpp"
#include "session_impl.hpp"

namespace retort::orm {

namespace detail {

std::size_t hash_value(const Value& v) {
    auto mix = [](std::size_t h) { return h * 0x9e3779b97f4a7c15ULL; };
    auto bytes = [](const auto& container) {
        return std::hash<std::string_view>{}(
            std::string_view(reinterpret_cast<const char*>(container.data()), container.size()));
    };
    std::size_t h = std::visit(
        [&](const auto& x) -> std::size_t {
            using X = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<X, Null>) return 0;
            else if constexpr (std::is_same_v<X, bool> || std::is_same_v<X, std::int64_t> || std::is_same_v<X, double>)
                return std::hash<X>{}(x);
            else if constexpr (std::is_same_v<X, std::string>) return std::hash<std::string>{}(x);
            else if constexpr (std::is_same_v<X, Bytes>) return bytes(x);
            else if constexpr (std::is_same_v<X, Decimal>) {
                // Equal decimals ("1.5", "1.50") hash alike: the text without trailing fraction zeros.
                std::string_view t = x.str();
                if (t.find('.') != std::string_view::npos) {
                    t.remove_suffix(t.size() - 1 - t.find_last_not_of('0'));
                    if (t.back() == '.') t.remove_suffix(1);
                }
                return std::hash<std::string_view>{}(t);
            }
            else if constexpr (std::is_same_v<X, Date>)
                return std::hash<long>{}(std::chrono::sys_days(x).time_since_epoch().count());
            else if constexpr (std::is_same_v<X, Time>) return std::hash<long>{}(x.since_midnight.count());
            else if constexpr (std::is_same_v<X, DateTime> || std::is_same_v<X, Timestamp>)
                return std::hash<long>{}(x.time_since_epoch().count());
            else if constexpr (std::is_same_v<X, Uuid>) return bytes(x.bytes);
            else return std::hash<std::string>{}(x.text);  // Json
        },
        v);
    return mix(h ^ v.index());
}

std::size_t IdentityKeyHash::operator()(const IdentityKey& k) const {
    std::size_t h = std::hash<const void*>{}(k.mapper);
    for (const auto& v : k.key) h = (h ^ hash_value(v)) * 0x100000001b3ULL;
    return h;
}

IdentityKey InstanceState::identity() const {
    IdentityKey k;
    k.mapper = mapper;
    for (auto i : mapper->primary_key()) k.key.push_back(committed[i]);
    return k;
}

std::vector<Value> InstanceState::key_values() const {
    std::vector<Value> key;
    key.reserve(mapper->primary_key().size());
    for (auto i : mapper->primary_key()) key.push_back(committed[i]);
    return key;
}

void SessionImpl::journal_state(InstanceState& s) {
    if (s.journal_level >= level()) return;
    bool any_related = std::any_of(s.committed_related.begin(), s.committed_related.end(),
                                   [](const auto& r) { return r.has_value(); });
    std::vector<std::optional<RelatedObjects>> related;
    if (any_related) related.assign(s.committed_related.begin(), s.committed_related.end());
    journal.push_back({level(), &s, true, s.status, s.marked_deleted, {s.committed.begin(), s.committed.end()},
                       std::move(related), s.fetched_on_insert, s.journal_level});
    s.journal_level = level();
}

StatePool::~StatePool() {
    // Every state was destroyed by its session (release_all) before the pool
    // goes. The blocks go one at a time, not by a recursion as deep as their chain.
    while (newest_) newest_ = std::move(newest_->previous);
}

InstanceState* StatePool::create() {
    Slot* slot = free_;
    if (slot) {
        free_ = slot->next_free;
    } else {
        if (used_in_last_ == block_slots) {
            auto block = std::make_unique<Block>();
            block->previous = std::move(newest_);
            newest_ = std::move(block);
            used_in_last_ = 0;
        }
        slot = &newest_->slots[used_in_last_++];
    }
    return new (&slot->state) InstanceState();
}

void StatePool::destroy(InstanceState* s) noexcept {
    s->~InstanceState();
    Slot* slot = reinterpret_cast<Slot*>(s);
    slot->next_free = free_;
    free_ = slot;
}

InstanceState& SessionImpl::enter_state(InstanceState* s) {
    states.emplace(s->ptr(), s);
    return *s;
}

InstanceState& SessionImpl::add_pending(const Mapper& m, std::shared_ptr<void> object) {
    InstanceState* state = state_pool.create();
    state->mapper = &m;
    state->object = std::move(object);
    state->status = Status::pending;
    state->order = next_order++;
    state->committed_related.resize(m.relationships().size());
    return enter_state(state);
}

bool holds_committed(const InstanceState& s, std::size_t r) {
    const auto& before = s.committed_related[r];
    if (!before) return false;
    std::size_t count = 0;
    bool same = true;
    s.mapper->relationships()[r].for_each_item(s.ptr(), [&](const void* item) {
        same = same && count < before->size() && (*before)[count] == item;
        ++count;
    });
    return same && count == before->size();
}

void weaken_two_way_links(const RelationshipProperty& rel, void* object) {
    if (!rel.reverse || !rel.known(object)) return;
    const auto& back = *rel.reverse;
    for (const auto& item : rel.items(object)) {
        if (!item || !back.known(item.get())) continue;
        auto mirror = back.items(item.get());
        bool both_ways = std::any_of(mirror.begin(), mirror.end(), [&](const auto& p) { return p.get() == object; });
        if (!both_ways) continue;
        bool yields = &back == &rel ? std::greater<const void*>()(object, item.get()) : rel.yields;
        if (yields) rel.weaken(object, item.get());
        else back.weaken(item.get(), object);
    }
}

void weaken_two_way_links(const Mapper& m, void* object) {
    for (const auto& rel : m.relationships()) weaken_two_way_links(rel, object);
}

void SessionImpl::release_all() {
    for (auto& [_, s] : states) weaken_two_way_links(*s->mapper, s->ptr());
    identity_map.clear();
    journal.clear();
    for (auto& [_, s] : states) state_pool.destroy(s);
    states.clear();
}

bool SessionImpl::must_keep(const InstanceState& s) const {
    if (s.status != Status::persistent || s.marked_deleted || s.object.use_count() > 1) return true;
    const auto& cols = s.mapper->columns();
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (!cols[i].equals(s.ptr(), s.committed[i])) return true;
    const auto& rels = s.mapper->relationships();
    for (std::size_t r = 0; r < rels.size(); ++r) {
        if (!rels[r].known(s.ptr())) continue;
        if (!holds_committed(s, r)) return true;  // changed by the program: to be written
        // Objects linked back may hold this one by a link that gives way
        // (weaken_two_way_links): it must outlive them.
        if (rels[r].reverse && !s.committed_related[r]->empty()) return true;
    }
    return false;
}

void SessionImpl::release_unheld(std::vector<InstanceState*> candidates) {
    while (!candidates.empty()) {
        boost::unordered_flat_set<const InstanceState*> leaving;
        for (auto* s : candidates)
            if (!must_keep(*s)) leaving.insert(s);
        if (leaving.empty()) return;
        // An object a changed collection no longer holds is still named by the
        // snapshot its next flush compares with (to null its key, or delete it
        // as an orphan): it stays while a staying object's snapshot names it.
        boost::unordered_flat_set<const void*> named;
        for (const auto& [_, s] : states) {
            if (leaving.contains(s)) continue;
            for (const auto& related : s->committed_related)
                if (related) named.insert(related->begin(), related->end());
        }
        std::vector<const void*> gone, freed_holdings;
        for (auto* s : candidates) {
            if (!leaving.contains(s) || named.contains(s->ptr())) continue;
            gone.push_back(s->ptr());
            for (const auto& rel : s->mapper->relationships())
                for (const auto& item : rel.items(s->ptr())) freed_holdings.push_back(item.get());
        }
        // Each state found again by its object: removing one frees nothing another state holds.
        for (const void* object : gone)
            if (InstanceState* s = find(object)) remove_state(*s);
        candidates.clear();
        for (const void* object : freed_holdings)
            if (InstanceState* s = find(object)) candidates.push_back(s);
    }
}

void SessionImpl::remove_state(InstanceState& s) {
    weaken_two_way_links(*s.mapper, s.ptr());
    if (s.status != Status::pending) {
        auto it = identity_map.find(s.identity());
        if (it != identity_map.end() && it->second == &s) identity_map.erase(it);
    }
    if (s.journal_level >= 0) std::erase_if(journal, [&](const JournalEntry& e) { return e.state == &s; });
    states.erase(s.ptr());
    state_pool.destroy(&s);
}

void SessionImpl::undo_journal(int to_level) {
    while (!journal.empty() && journal.back().level >= to_level) {
        JournalEntry e = std::move(journal.back());
        journal.pop_back();
        InstanceState& s = *e.state;
        bool was_identified = s.status != Status::pending;
        if (was_identified) {
            auto it = identity_map.find(s.identity());
            if (it != identity_map.end() && it->second == &s) identity_map.erase(it);
        }
        // Values the flush fetched from the database (a generated key, server
        // defaults) belong to rows that no longer exist.
        if (e.status == Status::pending) {
            for (auto column : s.fetched_on_insert) s.mapper->columns()[column].reset(s.ptr());
            s.fetched_on_insert.clear();
        } else {
            s.fetched_on_insert = std::move(e.fetched_on_insert);
        }
        s.status = e.status;
        s.marked_deleted = e.marked_deleted;
        s.committed.assign(std::make_move_iterator(e.committed.begin()), std::make_move_iterator(e.committed.end()));
        if (e.committed_related.empty())
            s.committed_related.assign(s.mapper->relationships().size(), std::nullopt);
        else
            s.committed_related.assign(std::make_move_iterator(e.committed_related.begin()),
                                       std::make_move_iterator(e.committed_related.end()));
        s.journal_level = e.journal_level;
        if (s.status != Status::pending) identity_map[s.identity()] = &s;
    }
}

void SessionImpl::merge_journal(int from_level) {
    for (auto it = journal.begin(); it != journal.end();) {
        if (it->level != from_level) {
            ++it;
            continue;
        }
        InstanceState& s = *it->state;
        // The older entry is the state to return to when the outer level rolls back.
        if (it->journal_level == from_level - 1) {
            s.journal_level = from_level - 1;
            it = journal.erase(it);
        } else {
            it->level = from_level - 1;
            s.journal_level = from_level - 1;
            ++it;
        }
    }
}

void SessionImpl::restore_objects() {
    std::vector<InstanceState*> pending;
    for (auto& [_, s] : states)
        if (s->status == Status::pending) pending.push_back(s);
    for (auto* s : pending) remove_state(*s);
    for (auto& [_, holder] : states) {
        InstanceState& s = *holder;
        if (s.status != Status::persistent) continue;
        const auto& cols = s.mapper->columns();
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (!cols[i].equals(s.ptr(), s.committed[i])) cols[i].set(s.ptr(), s.committed[i]);
        const auto& rels = s.mapper->relationships();
        for (std::size_t r = 0; r < rels.size(); ++r) {
            if (!rels[r].known(s.ptr())) continue;
            const auto& before = s.committed_related[r];
            if (!before) {
                rels[r].unload(s.ptr());  // assigned whole while unloaded: unknown again
                continue;
            }
            if (holds_committed(s, r)) continue;
            std::vector<std::shared_ptr<void>> items;
            for (const void* p : *before)
                if (InstanceState* t = find(p)) items.push_back(t->object);
            rels[r].assign(s.ptr(), items);
        }
    }
}

void SessionImpl::after_rollback() {
    transaction_begun = false;
    savepoints.clear();
    abandoned_savepoint.reset();
    undo_journal(0);
    restore_objects();
    // What was read in the transaction may not be what the database holds now.
    for (auto& [_, s] : states)
        if (s->status == Status::persistent) s->expired = true;
}

void SessionImpl::abandon_transaction() {
    end_streams("rollback");
    conn.reset();  // ~AsyncConnection rolls back and returns it to the pool in the background
    after_rollback();
}

void SessionImpl::abandon_savepoint(std::size_t level) {
    if (savepoints.size() < level) return;
    // The outermost savepoint abandoned wins: rolling back to it undoes those inside.
    if (!savepoints[level - 1].failed) abandoned_savepoint = savepoints[level - 1].name;
    savepoints.resize(level - 1);
    end_streams("rollback");
    undo_journal(static_cast<int>(level));
    restore_objects();
}

awaitable<void> SessionImpl::fail_savepoint(std::size_t level) {
    end_streams("rollback");
    co_await conn->rollback_nested(savepoints[level - 1].name);  // also ends the savepoints inside it
    savepoints.resize(level);
    savepoints.back().failed = true;
    undo_journal(static_cast<int>(level));
    restore_objects();
}

awaitable<void> SessionImpl::end_savepoint(std::size_t level, bool commit) {
    if (savepoints.size() < level)
        throw InvalidRequestError("begin_nested(): its savepoint was already ended (by a rollback, or a savepoint "
                                  "outside it)");
    if (savepoints.size() > level)
        throw InvalidRequestError("begin_nested(): a savepoint begun inside it is still open; end that one first");
    auto failed_earlier = [&] {
        savepoints.pop_back();
        if (commit)
            throw InvalidRequestError("begin_nested(): a flush inside it failed and rolled it back; nothing of it "
                                      "was kept");
    };
    if (savepoints.back().failed) {
        failed_earlier();
        co_return;
    }
    std::exception_ptr failure;
    if (commit) {
        try {
            co_await flush();  // a failure rolls back to this savepoint (fail_savepoint)
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (savepoints.size() == level && savepoints.back().failed) savepoints.pop_back();
            std::rethrow_exception(failure);  // or the whole transaction was rolled back
        }
    }
    std::string name = savepoints.back().name;
    co_await settle();
    if (commit) {
        co_await conn->commit_nested(name);
        savepoints.pop_back();
        merge_journal(static_cast<int>(level));
        co_return;
    }
    end_streams("rollback");
    try {
        co_await conn->rollback_nested(name);
    } catch (...) {
        failure = std::current_exception();
    }
    savepoints.pop_back();
    undo_journal(static_cast<int>(level));
    restore_objects();
    if (failure) std::rethrow_exception(failure);
}

awaitable<void> SessionImpl::settle() {
    if (!abandoned_savepoint) co_return;
    std::string name = std::move(*abandoned_savepoint);
    abandoned_savepoint.reset();
    if (conn) co_await conn->rollback_nested(name);
}

awaitable<AsyncConnection*> SessionImpl::connection() {
    if (!savepoints.empty() && savepoints.back().failed)
        throw InvalidRequestError("a flush inside begin_nested() failed and rolled its savepoint back: end that "
                                  "begin_nested() before using the session again");
    co_await settle();
    if (!conn) conn.emplace(co_await engine.connect());
    if (!transaction_begun) {
        if (!conn->in_transaction()) co_await conn->begin();
        transaction_begun = true;
        ++transaction_serial;
    }
    co_return &*conn;
}

awaitable<void> SessionImpl::rollback_all() {
    end_streams("rollback");
    std::exception_ptr failure;
    if (conn) {
        try {
            co_await conn->rollback();
        } catch (...) {
            failure = std::current_exception();
        }
        try {
            co_await conn->close();
        } catch (...) {
        }
        conn.reset();
    }
    after_rollback();
    if (failure) std::rethrow_exception(failure);
}

void SessionImpl::mark_unloaded(InstanceState& s) {
    const auto& rels = s.mapper->relationships();
    for (std::size_t r = 0; r < rels.size(); ++r) {
        rels[r].unload(s.ptr());
        s.committed_related[r].reset();
    }
}

void SessionImpl::cascade_add(InstanceState& root) {
    // Nearly always every related object is in the session already: that is
    // checked without copying the collections.
    bool reaches_new = false;
    for (const auto& rel : root.mapper->relationships()) {
        if (!rel.cascade.save_update || !rel.known(root.ptr())) continue;
        rel.for_each_item(root.ptr(), [&](const void* item) { reaches_new = reaches_new || (item && !find(item)); });
    }
    if (!reaches_new) return;
    std::vector<InstanceState*> work{&root};
    while (!work.empty()) {
        InstanceState* s = work.back();
        work.pop_back();
        for (const auto& rel : s->mapper->relationships()) {
            if (!rel.cascade.save_update || !rel.known(s->ptr())) continue;
            for (auto& item : rel.items(s->ptr())) {
                if (!item || find(item.get())) continue;
                work.push_back(&add_pending(*rel.target, std::move(item)));
            }
        }
    }
}

}  // namespace detail

using detail::InstanceState;
using detail::Status;

namespace {
/// The parameters of the mapper's select_by_key() for `key`.
Params key_params(std::span<const Value> key) {
    Params p;
    for (std::size_t k = 0; k < key.size(); ++k) p.set(detail::MapperBuild::key_param(k), key[k]);
    return p;
}

std::string describe_object(const Mapper& m) { return "an object of " + m.class_name(); }
}  // namespace

AsyncSession::AsyncSession(AsyncEngine engine, SessionOptions options)
    : impl_(std::make_unique<detail::SessionImpl>(std::move(engine), options)) {}
AsyncSession::AsyncSession(AsyncSession&&) noexcept = default;
AsyncSession& AsyncSession::operator=(AsyncSession&&) noexcept = default;
AsyncSession::~AsyncSession() = default;

void AsyncSession::add_object(const Mapper& m, std::shared_ptr<void> object) {
    if (!object) throw ArgumentError("add(): the object is null");
    auto& impl = *impl_;
    InstanceState* s = impl.find(object.get());
    if (s) {
        if (s->marked_deleted) {
            impl.journal_state(*s);
            s->marked_deleted = false;
        }
    } else {
        s = &impl.add_pending(m, std::move(object));
    }
    impl.cascade_add(*s);
}

void AsyncSession::delete_object(const Mapper& m, const void* object) {
    auto& impl = *impl_;
    InstanceState* s = impl.find(object);
    if (!s) throw InvalidRequestError("delete_(): " + describe_object(m) + " that is not in this session");
    if (s->status == Status::pending) {
        impl.remove_state(*s);
        return;
    }
    if (s->status == Status::deleted) return;
    impl.journal_state(*s);
    s->marked_deleted = true;
}

void AsyncSession::expunge_object(const Mapper& m, const void* object) {
    auto& impl = *impl_;
    InstanceState* s = impl.find(object);
    if (!s) throw InvalidRequestError("expunge(): " + describe_object(m) + " that is not in this session");
    impl.remove_state(*s);
}

void AsyncSession::expunge_all() { impl_->release_all(); }

void AsyncSession::expire_object(const Mapper& m, const void* object) {
    InstanceState* s = impl_->find(object);
    if (!s || s->status != Status::persistent)
        throw InvalidRequestError("expire(): " + describe_object(m) + " that is not persistent in this session");
    s->expired = true;
    impl_->mark_unloaded(*s);
}

void AsyncSession::expire_all() {
    for (auto& [_, s] : impl_->states)
        if (s->status == Status::persistent) {
            s->expired = true;
            impl_->mark_unloaded(*s);
        }
}

bool AsyncSession::contains_object(const void* object) const { return impl_->find(object) != nullptr; }

awaitable<void> AsyncSession::refresh_object(const Mapper& m, const void* object) {
    InstanceState* s = impl_->find(object);
    if (!s || s->status != Status::persistent)
        throw InvalidRequestError("refresh(): " + describe_object(m) + " that is not persistent in this session");
    const Params params = key_params(s->key_values());
    s->expired = true;
    impl_->mark_unloaded(*s);
    auto found = co_await impl_->run_query(m, detail::MapperBuild::select_by_key(m), {}, true, &params);
    if (found.empty()) throw NoResultFound("refresh(): the row of " + describe_object(m) + " is gone");
}

awaitable<std::shared_ptr<void>> AsyncSession::get_object(const Mapper& m, std::span<const Value> key) {
    if (key.size() != m.primary_key().size())
        throw ArgumentError("get<" + m.class_name() + ">(): give " + std::to_string(m.primary_key().size()) +
                            " primary key value(s), not " + std::to_string(key.size()));
    if (InstanceState* s = impl_->find_identity({&m, detail::KeyValues(key.begin(), key.end())})) {
        if (s->marked_deleted || s->status == Status::deleted) co_return nullptr;
        if (!s->expired) co_return s->object;
    }
    if (impl_->autoflush_due()) co_await flush();
    const Params params = key_params(key);
    auto found = co_await impl_->run_query(m, detail::MapperBuild::select_by_key(m), {}, false, &params);
    co_return found.empty() ? nullptr : found.front()->object;
}

awaitable<std::vector<std::shared_ptr<void>>> AsyncSession::query_objects(const Mapper& m, const sql::Select& stmt,
                                                                          const std::vector<LoaderOption>& loaders,
                                                                          bool overwrite) {
    if (impl_->autoflush_due()) co_await flush();
    auto states = co_await impl_->run_query(m, stmt, loaders, overwrite);
    std::vector<std::shared_ptr<void>> out;
    out.reserve(states.size());
    for (auto* s : states) out.push_back(s->object);
    co_return out;
}

awaitable<AsyncSession::Rows> AsyncSession::query_rows(std::vector<const Mapper*> entities, std::size_t values_per_row,
                                                       const sql::Select& stmt, const std::vector<LoaderOption>& loaders,
                                                       bool overwrite) {
    if (impl_->autoflush_due()) co_await flush();
    Rows rows;
    rows.entities = entities.size();
    rows.values_per_row = values_per_row;
    std::vector<InstanceState*> states;
    co_await impl_->run_rows(entities, values_per_row, stmt, loaders, overwrite, states, rows.values);
    rows.count = entities.empty() ? 0 : states.size() / entities.size();
    rows.objects.reserve(states.size());
    for (auto* s : states) rows.objects.push_back(s ? s->object : nullptr);
    co_return rows;
}

awaitable<std::shared_ptr<void>> AsyncSession::merge_object(
    const Mapper& m, std::shared_ptr<void> object, std::unordered_map<const void*, std::shared_ptr<void>>& merged) {
    if (!object) throw ArgumentError("merge(): the object is null");
    auto& impl = *impl_;
    if (impl.find(object.get())) co_return object;
    if (auto done = merged.find(object.get()); done != merged.end()) co_return done->second;
    const auto& cols = m.columns();
    // Its identity, when every key column has a value.
    std::vector<Value> key;
    for (auto i : m.primary_key()) {
        if (cols[i].is_unassigned(object.get())) {
            key.clear();
            break;
        }
        key.push_back(cols[i].get(object.get()));
    }
    std::shared_ptr<void> target;
    if (!key.empty()) target = co_await get_object(m, key);
    if (!target) {
        target = m.create();
        add_object(m, target);
    }
    merged.emplace(object.get(), target);  // before the relationships, which may lead back here
    for (const auto& c : cols)
        if (!c.is_unassigned(object.get()) && !c.equals(target.get(), c.get(object.get())))
            c.set(target.get(), c.get(object.get()));
    for (const auto& rel : m.relationships()) {
        if (!rel.cascade.save_update || !rel.known(object.get())) continue;
        std::vector<std::shared_ptr<void>> targets;
        for (auto& item : rel.items(object.get())) targets.push_back(co_await merge_object(*rel.target, item, merged));
        rel.assign(target.get(), targets);
    }
    // The program's graph is seen whole here as much as the copy: neither
    // keeps itself alive.
    detail::weaken_two_way_links(m, object.get());
    co_return target;
}

awaitable<retort::Result> AsyncSession::execute(const sql::Statement& stmt, const Params& params) {
    if (impl_->autoflush_due()) co_await flush();
    auto* conn = co_await impl_->connection();
    co_return co_await conn->execute(stmt, params);
}

awaitable<void> AsyncSession::load_relationship(const void* object, const RelationshipProperty& rel) {
    InstanceState* s = impl_->find(object);
    if (!s) throw InvalidRequestError("load(): " + describe_object(*rel.parent) + " that is not in this session");
    if (rel.known(s->ptr())) co_return;
    if (s->status != Status::persistent)
        throw InvalidRequestError("load(): " + rel.qualified_name() + " of an object that has no row");
    if (impl_->autoflush_due()) co_await flush();
    std::vector<InstanceState*> parents{s};
    co_await impl_->load_related(parents, rel, default_selectin_batch_size, {});
}

awaitable<void> AsyncSession::flush() { co_await impl_->flush(); }

awaitable<void> AsyncSession::commit() { co_await impl_->commit(); }

awaitable<void> detail::SessionImpl::commit() {
    auto& impl = *this;
    // Refused before anything changes: the commit would end the stream's transaction.
    if (!impl.streams.empty())
        throw InvalidRequestError("commit() while a result of this session is being streamed: read it to its end "
                                  "or close() it first");
    co_await impl.flush();
    if (impl.conn) {
        std::exception_ptr failure;
        try {
            co_await impl.settle();  // an abandoned savepoint's work is not committed
            if (impl.conn->in_transaction()) co_await impl.conn->commit();
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            try {
                co_await impl.rollback_all();
            } catch (...) {
            }
            std::rethrow_exception(failure);
        }
        co_await impl.conn->close();
        impl.conn.reset();
    }
    impl.transaction_begun = false;
    impl.savepoints.clear();
    impl.abandoned_savepoint.reset();
    impl.journal.clear();
    std::vector<InstanceState*> gone;
    for (auto& [_, s] : impl.states) {
        s->journal_level = -1;
        s->fetched_on_insert.clear();
        if (s->status == Status::deleted) gone.push_back(s);
        else if (s->status == Status::persistent && impl.options.expire_on_commit) {
            s->expired = true;
            impl.mark_unloaded(*s);
        }
    }
    for (auto* s : gone) impl.remove_state(*s);
    std::vector<InstanceState*> all;
    all.reserve(impl.states.size());
    for (auto& [_, s] : impl.states) all.push_back(s);
    impl.release_unheld(std::move(all));
}

awaitable<void> AsyncSession::rollback() { co_await impl_->rollback_all(); }

awaitable<SessionTransaction> AsyncSession::begin() {
    auto& impl = *impl_;
    if (impl.transaction_begun)
        throw InvalidRequestError("begin(): the session's transaction is already begun; commit() or rollback() it first");
    co_await impl.connection();
    co_return SessionTransaction(impl, 0, "");
}

awaitable<SessionTransaction> AsyncSession::begin_nested() {
    auto& impl = *impl_;
    co_await impl.flush();  // what is pending belongs to the transaction outside the savepoint
    auto* conn = co_await impl.connection();
    std::string name = co_await conn->begin_nested();
    impl.savepoints.push_back({name, false});
    co_return SessionTransaction(impl, impl.savepoints.size(), std::move(name));
}

bool AsyncSession::in_transaction() const { return impl_->transaction_begun; }

awaitable<AsyncConnection*> AsyncSession::connection() { return impl_->connection(); }

awaitable<void> AsyncSession::close() {
    auto& impl = *impl_;
    impl.end_streams("close");
    if (impl.conn) {
        try {
            co_await impl.conn->close();  // rolls back what is not committed
        } catch (...) {
        }
        impl.conn.reset();
    }
    impl.transaction_begun = false;
    impl.savepoints.clear();
    impl.abandoned_savepoint.reset();
    impl.release_all();
}

awaitable<void> AsyncSession::run_in(awaitable<SessionTransaction> begin, Body body) {
    SessionTransaction tx = co_await std::move(begin);
    std::exception_ptr failure;
    try {
        co_await body(*this);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        if (tx.is_active()) {
            try {
                co_await tx.rollback();
            } catch (...) {
                // the body's error is the one to report
            }
        }
        std::rethrow_exception(failure);
    }
    if (tx.is_active()) co_await tx.commit();
}

// ---- SessionTransaction -------------------------------------------------------------

SessionTransaction::SessionTransaction(detail::SessionImpl& session, std::size_t level, std::string savepoint)
    : session_(&session),
      alive_(session.liveness()),
      level_(level),
      serial_(session.transaction_serial),
      savepoint_(std::move(savepoint)) {}

SessionTransaction::SessionTransaction(SessionTransaction&& other) noexcept
    : session_(std::exchange(other.session_, nullptr)),
      alive_(std::move(other.alive_)),
      level_(other.level_),
      serial_(other.serial_),
      savepoint_(std::move(other.savepoint_)) {}

SessionTransaction::~SessionTransaction() {
    if (!is_active()) return;
    if (level_ == 0) session_->abandon_transaction();
    else session_->abandon_savepoint(level_);
}

bool SessionTransaction::is_active() const {
    if (!session_ || alive_.expired()) return false;
    const auto& s = *session_;
    if (!s.transaction_begun || s.transaction_serial != serial_) return false;
    return level_ == 0 || (s.savepoints.size() >= level_ && s.savepoints[level_ - 1].name == savepoint_);
}

detail::SessionImpl& SessionTransaction::active(const char* what) const {
    if (!is_active())
        throw InvalidRequestError(std::string(what) + "(): this transaction was already ended (committed, rolled "
                                  "back, or ended by its session)");
    return *session_;
}

awaitable<void> SessionTransaction::commit() {
    auto& s = active("commit");
    if (level_ == 0) co_await s.commit();
    else co_await s.end_savepoint(level_, true);
}

awaitable<void> SessionTransaction::rollback() {
    auto& s = active("rollback");
    if (level_ == 0) co_await s.rollback_all();
    else co_await s.end_savepoint(level_, false);
}

std::size_t AsyncSession::size() const { return impl_->states.size(); }

std::size_t AsyncSession::pending_count() const {
    std::size_t n = 0;
    for (const auto& [_, s] : impl_->states) n += s->status == Status::pending;
    return n;
}

// ---- LoaderOption -----------------------------------------------------------------

LoaderOption LoaderOption::then(LoadStep s) const {
    if (!path_.empty() && path_.back().relationship->target != s.relationship->parent)
        throw ArgumentError("loader option: " + s.relationship->qualified_name() + " does not start from " +
                            path_.back().relationship->target->class_name() + ", which " +
                            path_.back().relationship->qualified_name() + " loads");
    LoaderOption out = *this;
    out.path_.push_back(s);
    return out;
}

}  // namespace retort::orm
