// Turning rows into objects, and the loaders that fill relationships:
// joined (LEFT OUTER JOINs in the entity's own SELECT) and selectin (one more
// SELECT per relationship per batch of parents, keys in IN (...)).
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>
#include <algorithm>

#include "session_impl.hpp"
#include "statement_building.hpp"

namespace retort::orm::detail {

namespace {

using sql::ExprPtr;
using sql::FromPtr;

/// The key a row holds in `columns`, as looked up per row (inline: no allocation).
IdentityKey row_key(const Value* row, const std::vector<std::size_t>& columns) {
    IdentityKey k;
    for (auto c : columns) k.key.push_back(row[c]);
    return k;
}
std::vector<Value> object_values(const InstanceState& s, const std::vector<std::size_t>& columns) {
    std::vector<Value> out;
    out.reserve(columns.size());
    for (auto c : columns) out.push_back(s.mapper->columns()[c].get(s.ptr()));
    return out;
}
bool any_null(const std::vector<Value>& key) {
    return std::any_of(key.begin(), key.end(), [](const Value& v) { return is_null(v); });
}

void append_order_by(sql::SelectNode& n, const RelationshipProperty& rel, const FromPtr& target) {
    for (auto [column, desc] : rel.order_by)
        n.order_by.push_back(std::make_shared<sql::OrderItemNode>(column_of(target, rel.target->table_node(), column), desc,
                                                                  sql::NullsOrder::default_));
}

/// One joined eager load inside an entity query: where its columns start and
/// which level's objects it hangs from.
struct JoinedLoad {
    const SessionImpl::LoadNode* node;
    std::size_t parent;  ///< index of the parent level (0: the entity itself)
    std::size_t offset;  ///< first column of the target in each row
};

struct JoinBuilder {
    std::shared_ptr<sql::SelectNode> select;
    std::vector<JoinedLoad> loads;
    std::vector<FromPtr> level_from{};  ///< FROM element of each level (0: the entity's table)
    int aliases = 0;

    void add(const std::vector<SessionImpl::LoadNode>& plan, std::size_t parent) {
        for (const auto& node : plan) {
            if (node.strategy != Lazy::joined) continue;
            const auto& rel = *node.rel;
            const FromPtr& from = level_from[parent];
            auto target = sql::FromClause(rel.target->table().from_node()).alias(
                rel.target->table_node().name + "_" + std::to_string(++aliases));
            FromPtr target_from = target.from_node();
            std::vector<ExprPtr> on;
            if (rel.direction == Direction::many_to_many) {
                auto sec = sql::FromClause(rel.secondary).alias(rel.secondary->name + "_" + std::to_string(++aliases));
                for (std::size_t k = 0; k < rel.local_columns.size(); ++k)
                    on.push_back(equal(column_of(from, rel.parent->table_node(), rel.local_columns[k]),
                                       column_of(sec.from_node(), *rel.secondary, rel.secondary_local[k])));
                join(sec.from_node(), all_of(std::move(on)));
                on.clear();
                for (std::size_t k = 0; k < rel.remote_columns.size(); ++k)
                    on.push_back(equal(column_of(sec.from_node(), *rel.secondary, rel.secondary_remote[k]),
                                       column_of(target_from, rel.target->table_node(), rel.remote_columns[k])));
            } else {
                for (std::size_t k = 0; k < rel.local_columns.size(); ++k)
                    on.push_back(equal(column_of(from, rel.parent->table_node(), rel.local_columns[k]),
                                       column_of(target_from, rel.target->table_node(), rel.remote_columns[k])));
            }
            join(target_from, all_of(std::move(on)));
            std::size_t offset = select->columns.size();
            for (std::size_t i = 0; i < rel.target->columns().size(); ++i)
                select->columns.push_back(column_of(target_from, rel.target->table_node(), i));
            append_order_by(*select, rel, target_from);
            level_from.push_back(target_from);
            loads.push_back({&node, parent, offset});
            add(node.children, level_from.size() - 1);
        }
    }
    void join(FromPtr right, ExprPtr on) {
        if (select->froms.empty()) select->froms.push_back(level_from[0]);
        select->froms.front() =
            std::make_shared<sql::JoinNode>(select->froms.front(), std::move(right), std::move(on), true, false);
    }
};

bool has_joined_collection(const std::vector<SessionImpl::LoadNode>& plan) {
    return std::any_of(plan.begin(), plan.end(), [](const auto& n) {
        return n.strategy == Lazy::joined && (n.rel->is_collection() || has_joined_collection(n.children));
    });
}

void insert_plan(std::vector<SessionImpl::LoadNode>& level, const std::vector<LoadStep>& path, std::size_t i) {
    if (i == path.size()) return;
    const auto& step = path[i];
    auto it = std::find_if(level.begin(), level.end(), [&](const auto& n) { return n.rel == step.relationship; });
    if (it == level.end()) {
        level.push_back({step.relationship, step.strategy, step.batch_size, {}});
        it = level.end() - 1;
    } else if (i + 1 == path.size()) {
        it->strategy = step.strategy;  // the option that ends here decides
        it->batch_size = step.batch_size;
    }
    insert_plan(it->children, path, i + 1);
}

}  // namespace

std::vector<SessionImpl::LoadNode> build_plan(const Mapper& m, const std::vector<LoaderOption>& loaders) {
    std::vector<SessionImpl::LoadNode> plan;
    for (const auto& option : loaders) {
        const auto& path = option.path();
        if (path.empty()) continue;
        if (path.front().relationship->parent != &m)
            throw ArgumentError("loader option for " + path.front().relationship->qualified_name() +
                                " given to a query of " + m.class_name());
        insert_plan(plan, path, 0);
    }
    return plan;
}

namespace {
void add_defaults(const Mapper& m, std::vector<SessionImpl::LoadNode>& plan,
                  std::vector<const RelationshipProperty*>& path) {
    for (const auto& rel : m.relationships()) {
        bool given = std::any_of(plan.begin(), plan.end(), [&](const auto& n) { return n.rel == &rel; });
        // Joined defaults recurse when the query is built: stop where the path
        // comes back along the same relationship (a tree, A.bs -> B.a...).
        bool on_path = std::any_of(path.begin(), path.end(),
                                   [&](auto* p) { return p == &rel || p == rel.reverse || p->reverse == &rel; });
        if (!given && rel.lazy == Lazy::joined && !on_path)
            plan.push_back({&rel, Lazy::joined, 0, {}});
    }
    for (auto& n : plan)
        if (n.strategy == Lazy::joined) {
            path.push_back(n.rel);
            add_defaults(*n.rel->target, n.children, path);
            path.pop_back();
        }
}
}  // namespace

std::vector<SessionImpl::LoadNode> with_defaults(const Mapper& m, const std::vector<SessionImpl::LoadNode>& plan) {
    auto out = plan;
    for (const auto& rel : m.relationships()) {
        bool given = std::any_of(out.begin(), out.end(), [&](const auto& n) { return n.rel == &rel; });
        if (!given && rel.lazy == Lazy::selectin) out.push_back({&rel, Lazy::selectin, default_selectin_batch_size, {}});
    }
    std::vector<const RelationshipProperty*> path;
    add_defaults(m, out, path);
    return out;
}

InstanceState* SessionImpl::load_row(const Mapper& m, const Value* row, bool overwrite, bool* created) {
    if (created) *created = false;
    const auto& pk = m.primary_key();
    IdentityKey key;
    key.mapper = &m;
    for (auto i : pk) {
        if (is_null(row[i])) return nullptr;  // an outer join that matched nothing
        key.key.push_back(row[i]);
    }
    const auto& columns = m.columns();
    if (InstanceState* s = find_identity(key)) {
        if (overwrite || s->expired) {
            journal_state(*s);
            for (std::size_t i = 0; i < columns.size(); ++i) {
                columns[i].set(s->ptr(), row[i]);
                s->committed[i] = columns[i].get(s->ptr());
            }
            if (s->expired) mark_unloaded(*s);
            s->expired = false;
        }
        return s;
    }
    auto object = m.create();
    InstanceState* state = state_pool.create();
    // Until it is entered, the state is this function's: a value that does not
    // fit its member (from_value throws) must not leave it behind.
    struct Pending {
        StatePool& pool;
        InstanceState* state;
        ~Pending() {
            if (state) pool.destroy(state);
        }
    } pending{state_pool, state};
    state->mapper = &m;
    state->object = std::move(object);
    state->status = Status::persistent;
    state->order = next_order++;
    state->committed.reserve(columns.size());
    // The snapshot is read back through the member, so that it compares equal
    // to the member until the application changes it, whatever the driver returned.
    for (std::size_t i = 0; i < columns.size(); ++i) {
        columns[i].set(state->ptr(), row[i]);
        state->committed.push_back(columns[i].get(state->ptr()));
    }
    state->committed_related.resize(m.relationships().size());
    mark_unloaded(*state);
    InstanceState* s = &enter_state(state);
    pending.state = nullptr;
    identity_map.emplace(std::move(key), s);
    if (created) *created = true;
    return s;
}

namespace {

using OnRow = std::function<void(InstanceState*, const Value*)>;

/// An entity SELECT with the joins of its joined loads added.
JoinBuilder joined_select(const Mapper& m, std::shared_ptr<sql::SelectNode> select,
                          const std::vector<SessionImpl::LoadNode>& plan) {
    JoinBuilder joins{std::move(select), {}, {m.table().from_node()}};
    joins.add(plan, 0);
    return joins;
}

/// The distinct objects of an entity SELECT's result (see joined_select), in
/// row order, its joined loads filled and its selectin loads run. `on_row`
/// sees each row's object and values.
awaitable<std::vector<InstanceState*>> entity_rows(SessionImpl& impl, const Mapper& m, const JoinBuilder& joins,
                                                   const retort::Result& result, const std::vector<SessionImpl::LoadNode>& plan,
                                                   bool overwrite, const OnRow& on_row) {
    const auto& data = *result.data();
    const std::size_t width = data.width(), rows = data.size();

    std::vector<InstanceState*> objects;
    boost::unordered_flat_set<InstanceState*> seen;
    // Per joined load: the parents to fill (their relationship was not loaded
    // when first met in this result) and the objects found for each.
    struct Fill {
        std::vector<InstanceState*> parents;
        boost::unordered_flat_map<InstanceState*, boost::container::small_vector<InstanceState*, 4>> related;
        boost::unordered_flat_set<InstanceState*> targets_seen;
        std::vector<InstanceState*> targets;
    };
    std::vector<Fill> fills(joins.loads.size());
    std::vector<InstanceState*> level(joins.level_from.size());
    for (std::size_t r = 0; r < rows; ++r) {
        const Value* row = data.values.data() + r * width;
        InstanceState* s = impl.load_row(m, row, overwrite);
        if (!s) continue;
        if (seen.insert(s).second) objects.push_back(s);
        if (on_row) on_row(s, row);
        level[0] = s;
        for (std::size_t j = 0; j < joins.loads.size(); ++j) {
            const auto& load = joins.loads[j];
            const auto& rel = *load.node->rel;
            InstanceState* parent = level[load.parent];
            InstanceState* target = parent ? impl.load_row(*rel.target, row + load.offset, false) : nullptr;
            level[j + 1] = target;
            if (!parent) continue;
            auto& fill = fills[j];
            auto [it, first_time] = fill.related.try_emplace(parent);
            if (first_time) {
                if (rel.known(parent->ptr())) fill.related.erase(it);  // keep what it has
                else fill.parents.push_back(parent);
            }
            if (!target) continue;
            if (fill.targets_seen.insert(target).second) fill.targets.push_back(target);
            auto found = fill.related.find(parent);
            if (found != fill.related.end() &&
                std::find(found->second.begin(), found->second.end(), target) == found->second.end())
                found->second.push_back(target);
        }
    }
    for (std::size_t j = 0; j < joins.loads.size(); ++j) {
        const auto& rel = *joins.loads[j].node->rel;
        std::size_t r = &rel - rel.parent->relationships().data();
        for (InstanceState* parent : fills[j].parents) {
            const auto& related = fills[j].related[parent];
            boost::container::small_vector<std::shared_ptr<void>, 8> items;
            RelatedObjects ptrs;
            for (auto* t : related) {
                items.push_back(t->object);
                ptrs.push_back(t->ptr());
            }
            rel.assign(parent->ptr(), {items.data(), items.size()});
            parent->committed_related[r] = std::move(ptrs);
            weaken_two_way_links(rel, parent->ptr());
        }
    }
    // Selectin loads below joined ones run on the objects the joins found.
    for (std::size_t j = 0; j < joins.loads.size(); ++j) {
        const auto* node = joins.loads[j].node;
        co_await impl.apply_loaders(*node->rel->target, fills[j].targets, node->children);
    }
    co_await impl.apply_loaders(m, objects, plan);
    co_return objects;
}

/// Runs an entity SELECT: entity_rows() of its result. Its joined loads are
/// added to a copy of it; a statement without any runs as it is (its cache key
/// built once, for a statement kept and run again: a get's).
awaitable<std::vector<InstanceState*>> entity_query(SessionImpl& impl, const Mapper& m,
                                                    std::shared_ptr<const sql::SelectNode> select,
                                                    const std::vector<SessionImpl::LoadNode>& plan, bool overwrite,
                                                    const OnRow& on_row, const Params* params = nullptr) {
    JoinBuilder joins{nullptr, {}, {m.table().from_node()}};
    if (std::any_of(plan.begin(), plan.end(), [](const auto& n) { return n.strategy == Lazy::joined; })) {
        joins = joined_select(m, std::make_shared<sql::SelectNode>(*select), plan);
        select = joins.select;
    }
    AsyncConnection* conn = co_await impl.connection();
    static const Params no_params;
    auto result = co_await conn->execute(sql::Statement(select), params ? *params : no_params);
    co_return co_await entity_rows(impl, m, joins, result, plan, overwrite, on_row);
}

}  // namespace

awaitable<std::vector<InstanceState*>> SessionImpl::run_query(const Mapper& m, const sql::Select& stmt,
                                                              const std::vector<LoaderOption>& loaders, bool overwrite,
                                                              const Params* params) {
    auto plan = with_defaults(m, build_plan(m, loaders));
    const auto& node = stmt.node();
    if ((node.limit || node.offset) && has_joined_collection(plan))
        throw ArgumentError("joinedload of a collection cannot be combined with limit() or offset() on " +
                            m.class_name() + ": the LIMIT would count joined rows; use selectinload");
    auto select = std::static_pointer_cast<const sql::SelectNode>(stmt.select_node());
    co_return co_await entity_query(*this, m, std::move(select), plan, overwrite, nullptr, params);
}

awaitable<void> SessionImpl::run_rows(const std::vector<const Mapper*>& entities, std::size_t values_per_row,
                                      const sql::Select& stmt, const std::vector<LoaderOption>& loaders, bool overwrite,
                                      std::vector<InstanceState*>& states, std::vector<Value>& values) {
    const Mapper& first = *entities.front();
    auto plan = with_defaults(first, build_plan(first, loaders));
    // A row per result row: a joined collection would repeat the others.
    if (has_joined_collection(plan))
        throw ArgumentError("joinedload of a collection of " + first.class_name() +
                            " in a query of several entities or columns: use selectinload");
    std::vector<std::size_t> offsets;
    std::size_t width = 0;
    for (const auto* m : entities) {
        offsets.push_back(width);
        width += m->columns().size();
    }
    std::vector<std::vector<InstanceState*>> others(entities.size());
    auto select = std::static_pointer_cast<const sql::SelectNode>(stmt.select_node());
    co_await entity_query(*this, first, std::move(select), plan, overwrite, [&](InstanceState* s, const Value* row) {
        states.push_back(s);
        for (std::size_t e = 1; e < entities.size(); ++e) {
            InstanceState* o = load_row(*entities[e], row + offsets[e], overwrite);
            states.push_back(o);
            if (o && std::find(others[e].begin(), others[e].end(), o) == others[e].end()) others[e].push_back(o);
        }
        values.insert(values.end(), row + width, row + width + values_per_row);
    });
    for (std::size_t e = 1; e < entities.size(); ++e)
        co_await apply_loaders(*entities[e], others[e], with_defaults(*entities[e], {}));
}

awaitable<void> SessionImpl::apply_loaders(const Mapper& m, const std::vector<InstanceState*>& objects,
                                           const std::vector<LoadNode>& plan) {
    if (objects.empty()) co_return;
    auto full = with_defaults(m, plan);
    for (const auto& node : full) {
        if (node.strategy == Lazy::selectin) {
            co_await load_related(objects, *node.rel, node.batch_size, node.children);
        }
    }
}

awaitable<void> SessionImpl::load_related(const std::vector<InstanceState*>& candidates, const RelationshipProperty& rel,
                                          std::size_t batch_size, const std::vector<LoadNode>& children) {
    const std::size_t r = &rel - rel.parent->relationships().data();
    // Only parents with a row whose relationship is not loaded yet.
    std::vector<InstanceState*> parents;
    {
        boost::unordered_flat_set<InstanceState*> seen;
        for (auto* p : candidates)
            if (p && p->status == Status::persistent && !rel.known(p->ptr()) && seen.insert(p).second)
                parents.push_back(p);
    }
    if (parents.empty()) co_return;
    const Mapper& target = *rel.target;
    auto child_plan = with_defaults(target, children);
    FromPtr target_from = target.table().from_node();
    std::vector<InstanceState*> all_children;
    boost::unordered_flat_set<InstanceState*> children_seen;
    auto note_child = [&](InstanceState* c) {
        if (c && children_seen.insert(c).second) all_children.push_back(c);
    };

    // One batch of parents: its keys, its SELECT (none when the identity map
    // had every target), and what was found for each parent.
    struct Batch {
        std::vector<InstanceState*> parents;
        boost::unordered_flat_map<IdentityKey, boost::container::small_vector<InstanceState*, 1>, IdentityKeyHash> by_key;  ///< parent key -> parents
        std::vector<std::vector<Value>> keys;
        boost::unordered_flat_map<InstanceState*, boost::container::small_vector<InstanceState*, 4>> found;
        std::optional<JoinBuilder> query;
        std::vector<std::size_t> key_at;  ///< where each row's parent key is
    };
    std::vector<Batch> batches;
    for (std::size_t begin = 0; begin < parents.size(); begin += batch_size) {
        Batch& b = batches.emplace_back();
        b.parents.assign(parents.begin() + begin, parents.begin() + std::min(parents.size(), begin + batch_size));
        for (auto* p : b.parents) {
            auto k = object_values(*p, rel.local_columns);
            if (any_null(k)) continue;
            auto [it, fresh] = b.by_key.try_emplace(IdentityKey{nullptr, k});
            if (fresh) b.keys.push_back(std::move(k));
            it->second.push_back(p);
        }
        auto select = std::make_shared<sql::SelectNode>();
        for (std::size_t i = 0; i < target.columns().size(); ++i)
            select->columns.push_back(column_of(target_from, target.table_node(), i));
        std::vector<ExprPtr> cols;
        if (rel.direction == Direction::many_to_one) {
            // Targets already in the identity map need no query when the join
            // is on their primary key.
            bool on_pk = rel.remote_columns == target.primary_key();
            std::vector<std::vector<Value>> missing;
            for (auto& k : b.keys) {
                InstanceState* t = on_pk ? find_identity({&target, k}) : nullptr;
                if (t && !t->expired && t->status == Status::persistent) {
                    for (auto* p : b.by_key[{nullptr, k}]) b.found[p].push_back(t);
                    note_child(t);
                } else {
                    missing.push_back(k);
                }
            }
            if (missing.empty()) continue;
            for (auto c : rel.remote_columns) cols.push_back(column_of(target_from, target.table_node(), c));
            select->where = key_in(cols, missing);
            b.key_at = rel.remote_columns;
        } else {
            if (b.keys.empty()) continue;
            if (rel.direction == Direction::one_to_many) {
                for (auto c : rel.remote_columns) cols.push_back(column_of(target_from, target.table_node(), c));
                b.key_at = rel.remote_columns;
            } else {
                FromPtr sec = rel.secondary;
                std::vector<ExprPtr> on;
                for (std::size_t k = 0; k < rel.remote_columns.size(); ++k)
                    on.push_back(equal(column_of(sec, *rel.secondary, rel.secondary_remote[k]),
                                       column_of(target_from, target.table_node(), rel.remote_columns[k])));
                select->froms.push_back(std::make_shared<sql::JoinNode>(target_from, sec, all_of(std::move(on)), false, false));
                for (auto c : rel.secondary_local) {
                    b.key_at.push_back(select->columns.size());
                    auto col = column_of(sec, *rel.secondary, c);
                    select->columns.push_back(col);
                    cols.push_back(col);
                }
            }
            select->where = key_in(cols, b.keys);
            append_order_by(*select, rel, target_from);
        }
        b.query = joined_select(target, std::move(select), child_plan);
    }

    // Every batch's SELECT at once: one round trip where the backend pipelines.
    std::vector<sql::Statement> statements;
    for (const auto& b : batches)
        if (b.query) statements.emplace_back(b.query->select);
    std::vector<retort::Result> results;
    if (!statements.empty()) {
        AsyncConnection* conn = co_await connection();
        results = co_await conn->execute_all(statements);
    }

    std::size_t next_result = 0;
    for (auto& b : batches) {
        if (b.query) {
            const bool to_one = rel.direction == Direction::many_to_one;
            co_await entity_rows(*this, target, *b.query, results.at(next_result++), child_plan, false,
                                 [&](InstanceState* t, const Value* row) {
                                     auto it = b.by_key.find(row_key(row, b.key_at));
                                     if (it == b.by_key.end()) return;
                                     for (auto* p : it->second) {
                                         auto& list = b.found[p];
                                         if (to_one) list = {t};
                                         else if (std::find(list.begin(), list.end(), t) == list.end()) list.push_back(t);
                                     }
                                     note_child(t);
                                 });
        }
        for (auto* p : b.parents) {
            boost::container::small_vector<std::shared_ptr<void>, 8> items;
            RelatedObjects ptrs;
            if (auto it = b.found.find(p); it != b.found.end())
                for (auto* t : it->second) {
                    items.push_back(t->object);
                    ptrs.push_back(t->ptr());
                }
            rel.assign(p->ptr(), {items.data(), items.size()});
            p->committed_related[r] = std::move(ptrs);
            // The many-to-one side of a one-to-many is known now too.
            if (rel.direction == Direction::one_to_many && rel.reverse) {
                const auto& back = *rel.reverse;
                std::size_t br = &back - target.relationships().data();
                for (const auto& item : items) {
                    auto* child = find(item.get());
                    if (!child || back.known(child->ptr())) continue;
                    back.assign(child->ptr(), {&p->object, 1});
                    child->committed_related[br] = RelatedObjects{p->ptr()};
                }
            }
            weaken_two_way_links(rel, p->ptr());
        }
    }
    co_await apply_loaders(target, all_children, children);
}

}  // namespace retort::orm::detail
