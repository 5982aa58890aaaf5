// The state behind an AsyncSession: the objects it holds, the identity map,
// and the journal that lets a rollback return every object to its state at
// the start of the transaction (or savepoint).
#pragma once

#include <boost/container/small_vector.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "retort/orm/session.hpp"

namespace retort::orm::detail {

struct FlushWork;
struct InstanceState;
/// Which objects point at each object through one-to-many collections: child ->
/// (parent, relationship). Nearly every child has one parent: held inline.
using ParentMap = boost::unordered_flat_map<
    const void*, boost::container::small_vector<std::pair<InstanceState*, const RelationshipProperty*>, 1>>;

std::size_t hash_value(const Value& v);

/// Primary key values: inline for the usual one-column key (no allocation per object).
using KeyValues = boost::container::small_vector<Value, 1>;

/// (mapper, primary key values): one object per identity per session.
struct IdentityKey {
    const Mapper* mapper = nullptr;
    KeyValues key;
    IdentityKey() = default;
    IdentityKey(const Mapper* m, KeyValues k) : mapper(m), key(std::move(k)) {}
    IdentityKey(const Mapper* m, const std::vector<Value>& k) : mapper(m), key(k.begin(), k.end()) {}
    friend bool operator==(const IdentityKey& a, const IdentityKey& b) { return a.mapper == b.mapper && a.key == b.key; }
};
struct IdentityKeyHash {
    std::size_t operator()(const IdentityKey& k) const;
};

using Snapshot = boost::container::small_vector<Value, 6>;
/// Column indexes: a flush's changed columns, an insert's fetched ones. Inline
/// for the usual few: a flush allocates none per object.
using ColumnList = boost::container::small_vector<std::size_t, 4>;
/// The objects a relationship held at the last load or flush. Inline for a
/// reference and a small collection: loading a parent with a child or two
/// allocates no snapshot for them.
using RelatedObjects = boost::container::small_vector<const void*, 2>;
using RelatedSnapshot = boost::container::small_vector<std::optional<RelatedObjects>, 2>;

enum class Status : std::uint8_t {
    pending,     ///< added, not INSERTed yet
    persistent,  ///< has a row
    deleted,     ///< its DELETE was flushed; leaves the session at commit
};

/// What the session knows of one object.
struct InstanceState {
    const Mapper* mapper = nullptr;
    std::shared_ptr<void> object;
    Status status = Status::pending;
    bool marked_deleted = false;  ///< delete_() called, DELETE not flushed yet
    bool expired = false;         ///< the next row read for it overwrites its attributes
    std::uint64_t order = 0;      ///< when it was added: INSERTs keep this order
    /// The column values its row holds as far as the session knows (empty while
    /// pending). Inline up to a few columns: loading an object allocates no snapshot.
    Snapshot committed;
    /// Per relationship: the related objects as of the last load or flush, when it was loaded.
    RelatedSnapshot committed_related;
    /// The Defaulted columns a flush filled in (generated key, server and client
    /// defaults): a rollback makes them unassigned again.
    ColumnList fetched_on_insert;
    /// The savepoint level of this state's newest journal entry (-1: none).
    int journal_level = -1;

    void* ptr() const { return object.get(); }
    std::vector<Value> key_values() const;  ///< primary key from `committed`
    IdentityKey identity() const;
};

/// Whether relationship `r` of `s` holds what committed_related[r] says its
/// rows held (the same objects, in order); false when that is unknown.
bool holds_committed(const InstanceState& s, std::size_t r);

/// Where `object` (of `rel`'s parent class) and an object it holds through
/// `rel` hold each other (back_populates), makes the yielding side's link
/// non-owning (RelationshipProperty::yields): objects linked both ways must
/// not keep each other alive once the session and the program let go of them.
void weaken_two_way_links(const RelationshipProperty& rel, void* object);
/// The same for every relationship of the object.
void weaken_two_way_links(const Mapper& m, void* object);

/// A copy of a state taken before its first change at a savepoint level.
struct JournalEntry {
    int level;
    InstanceState* state;
    bool was_in_session;  ///< false: the state was created in this transaction (pending added)
    Status status;
    bool marked_deleted;
    // Plain vectors (a state's inline ones would make every entry large; a
    // pending object's, the most common, are empty and allocate nothing).
    std::vector<Value> committed;
    /// Empty when none of the relationships was known (a pending object's).
    std::vector<std::optional<RelatedObjects>> committed_related;
    ColumnList fetched_on_insert;
    int journal_level;
};

/// Where a session's InstanceStates live: blocks of them, reused through a
/// free list, so that loading or adding an object allocates no state of its own.
class StatePool {
public:
    StatePool() = default;
    StatePool(const StatePool&) = delete;
    StatePool& operator=(const StatePool&) = delete;
    ~StatePool();
    InstanceState* create();
    void destroy(InstanceState* s) noexcept;

private:
    union Slot {
        Slot() {}
        ~Slot() {}
        InstanceState state;
        Slot* next_free;
    };
    static constexpr std::size_t block_slots = 64;
    /// Linked newest first: a session that loads one object makes one allocation here.
    struct Block {
        Block() {}  // (user-provided: the slots are not zeroed first)
        std::unique_ptr<Block> previous;
        Slot slots[block_slots];
    };
    std::unique_ptr<Block> newest_;
    Slot* free_ = nullptr;
    std::size_t used_in_last_ = block_slots;
};

struct SessionImpl {
    AsyncEngine engine;
    SessionOptions options;
    std::optional<AsyncConnection> conn;
    bool transaction_begun = false;  ///< the session's transaction is open
    /// Counts the session's transactions, so that a SessionTransaction can tell
    /// whether the one it began is still the open one.
    std::uint64_t transaction_serial = 0;
    struct Savepoint {
        std::string name;
        /// A flush inside it failed and rolled the database back to it: nothing
        /// more runs until its begin_nested() ends (as SQLAlchemy's inactive
        /// nested transaction).
        bool failed = false;
    };
    std::vector<Savepoint> savepoints;
    /// A savepoint whose SessionTransaction was destroyed without being ended:
    /// the objects were restored at once, and the database is rolled back to it
    /// before the connection's next statement.
    std::optional<std::string> abandoned_savepoint;
    bool flushing = false;

    // Open addressing (no allocation per entry): a session may hold millions of objects.
    StatePool state_pool;  // before the maps: the states outlive their entries
    /// Object -> its state (owned by state_pool; destroyed through remove_state / release_all).
    boost::unordered_flat_map<const void*, InstanceState*> states;
    boost::unordered_flat_map<IdentityKey, InstanceState*, IdentityKeyHash> identity_map;
    std::uint64_t next_order = 0;
    std::vector<JournalEntry> journal;
    /// ORM streams not yet read to their end nor closed (stream.cpp).
    std::vector<StreamImpl*> streams;

    SessionImpl(AsyncEngine e, SessionOptions o) : engine(std::move(e)), options(o) {}
    ~SessionImpl() {
        end_streams("close");
        release_all();
    }
    SessionImpl(const SessionImpl&) = delete;
    SessionImpl& operator=(const SessionImpl&) = delete;

    /// Ends every open stream: reading one further throws InvalidRequestError
    /// naming `why` ("rollback", "close"). Their transaction is over.
    void end_streams(const char* why);

    InstanceState* find(const void* object) const {
        auto it = states.find(object);
        return it == states.end() ? nullptr : it->second;
    }
    /// A new state in the pool, entered for its object (set `object` first).
    InstanceState& enter_state(InstanceState* s);
    InstanceState* find_identity(const IdentityKey& key) const {
        auto it = identity_map.find(key);
        return it == identity_map.end() ? nullptr : it->second;
    }
    int level() const { return static_cast<int>(savepoints.size()); }

    /// Records the state as it is before a change (once per savepoint level).
    void journal_state(InstanceState& s);
    /// A new pending state for `object`.
    InstanceState& add_pending(const Mapper& m, std::shared_ptr<void> object);
    /// Forgets the object (expunge); its back references stop owning (see below).
    void remove_state(InstanceState& s);
    /// Forgets every object, as close() and expunge_all() do.
    void release_all();
    /// Lets go of the objects among `candidates` that the session alone holds
    /// and that have nothing to write (SQLAlchemy's identity map is weak for
    /// clean objects): then of the objects only they held. A changed object
    /// stays until a flush has written it.
    void release_unheld(std::vector<InstanceState*> candidates);
    /// Whether the session must keep `s` (see release_unheld).
    bool must_keep(const InstanceState& s) const;
    /// Adds, as pending, what `root` reaches through loaded save-update relationships.
    void cascade_add(InstanceState& root);
    /// Undoes the journal down to `level` (0: the whole transaction).
    void undo_journal(int level);
    /// After undo_journal(), as SQLAlchemy after a rollback: pending objects leave
    /// the session; persistent ones get back the values of their rows and the
    /// related objects last loaded or flushed.
    void restore_objects();
    /// Ends the transaction without waiting: objects restored now, the connection
    /// rolled back and returned in the background (an abandoned SessionTransaction).
    void abandon_transaction();
    /// Savepoint `level` and those inside it end rolled back: objects restored
    /// now, the database rolled back before the next statement.
    void abandon_savepoint(std::size_t level);
    /// Rolls the database back to savepoint `level` after a failed flush and
    /// restores the objects; the savepoint stays, marked failed, until its scope ends.
    awaitable<void> fail_savepoint(std::size_t level);
    /// Ends savepoint `level` (the innermost): commit flushes and releases it,
    /// else it is rolled back with the objects.
    awaitable<void> end_savepoint(std::size_t level, bool commit);
    /// What every rollback of the whole transaction does to the session's state.
    void after_rollback();
    /// Keeps the changes of savepoint `level` as part of the level below.
    void merge_journal(int level);

    /// The connection, beginning the session's transaction if none is open.
    /// Throws InvalidRequestError inside a savepoint that a failed flush rolled back.
    awaitable<AsyncConnection*> connection();
    /// Runs what an abandoned savepoint left to do on the connection.
    awaitable<void> settle();
    /// Rolls the transaction back (if begun) and undoes the whole journal.
    awaitable<void> rollback_all();
    /// Flushes and commits the whole transaction (savepoints included).
    awaitable<void> commit();
    /// Expires with the session: a SessionTransaction that outlives it does
    /// nothing. Made by the first SessionTransaction (see liveness()): most
    /// sessions never make one.
    std::shared_ptr<int> alive;
    const std::shared_ptr<int>& liveness() {
        if (!alive) alive = std::make_shared<int>(0);
        return alive;
    }

    // ---- loading (loading.cpp) ----
    /// The object for one row (columns [offset, offset + columns) of `row`),
    /// from the identity map or newly made; nullptr when its key is NULL.
    InstanceState* load_row(const Mapper& m, const Value* row, bool overwrite, bool* created = nullptr);
    /// Runs an entity query of mapper `m` (with the values of its bindparams
    /// in `params`, if any) and applies `loaders`.
    awaitable<std::vector<InstanceState*>> run_query(const Mapper& m, const sql::Select& stmt,
                                                     const std::vector<LoaderOption>& loaders, bool overwrite,
                                                     const Params* params = nullptr);
    /// Runs a query whose rows hold the columns of `entities`, then
    /// `values_per_row` other values: per row, one state per entity (nullptr
    /// where an outer join found none) into `states`, the values into `values`.
    awaitable<void> run_rows(const std::vector<const Mapper*>& entities, std::size_t values_per_row,
                             const sql::Select& stmt, const std::vector<LoaderOption>& loaders, bool overwrite,
                             std::vector<InstanceState*>& states, std::vector<Value>& values);
    struct LoadNode;
    awaitable<void> load_related(const std::vector<InstanceState*>& parents, const RelationshipProperty& rel,
                                 std::size_t batch_size, const std::vector<LoadNode>& children);
    awaitable<void> apply_loaders(const Mapper& m, const std::vector<InstanceState*>& objects,
                                  const std::vector<LoadNode>& plan);
    void mark_unloaded(InstanceState& s);

    // ---- flush (flush.hpp: unit_of_work.cpp orders, dependency.cpp relates, persistence.cpp writes) ----
    /// Writes pending changes; on a failure rolls back (to the innermost
    /// savepoint if there is one, else everything) and rethrows.
    awaitable<void> flush();
    /// Whether a query's autoflush has anything to do: a session that holds no
    /// object writes nothing (and then no flush coroutine is started). Inside a
    /// savepoint it always runs, to report a savepoint a failed flush rolled back.
    bool autoflush_due() const { return options.autoflush && (!states.empty() || !savepoints.empty()); }
    awaitable<void> write_changes();
    /// Cascades along relationships and finds each child's parents (work.parents).
    awaitable<void> cascade(FlushWork& work);
    /// Fills the foreign key members of `s` from its relationships.
    void sync_foreign_keys(InstanceState& s, const ParentMap& parents);
    /// Whether `s` needs the key of another object of its own mapper not inserted yet.
    bool waits_on_same_mapper(const InstanceState& s, const std::unordered_set<const InstanceState*>& unwritten,
                              const ParentMap& parents) const;
    awaitable<void> emit_inserts(FlushWork& work, const Mapper& m);
    awaitable<void> emit_insert_group(FlushWork& work, const Mapper& m, const std::vector<bool>& shape,
                                      const std::vector<InstanceState*>& group);
    awaitable<void> select_server_defaults(FlushWork& work, const Mapper& m, const std::vector<std::size_t>& fetched,
                                           const std::vector<InstanceState*>& rows);
    awaitable<void> emit_updates(FlushWork& work, const Mapper& m);
    awaitable<void> emit_association_rows(FlushWork& work);
    awaitable<void> emit_deletes(FlushWork& work, const Mapper& m);
};

/// A loader plan: per relationship, the strategy and what to load below it.
struct SessionImpl::LoadNode {
    const RelationshipProperty* rel;
    Lazy strategy;
    std::size_t batch_size;
    std::vector<LoadNode> children;
};

/// The plan of loader options for entities of mapper `m` (defaults not included).
std::vector<SessionImpl::LoadNode> build_plan(const Mapper& m, const std::vector<LoaderOption>& loaders);
/// `plan` plus the default loaders of `m`'s relationships it does not mention.
std::vector<SessionImpl::LoadNode> with_defaults(const Mapper& m, const std::vector<SessionImpl::LoadNode>& plan);

}  // namespace retort::orm::detail
