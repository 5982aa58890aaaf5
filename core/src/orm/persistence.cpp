// The statements of a flush (SQLAlchemy's persistence.py): INSERTs in batches
// of one shape with their generated keys and server defaults read back,
// UPDATEs of the changed columns, association rows, DELETEs children first.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "flush.hpp"
#include "retort/plugin/dialect.hpp"
#include "statement_building.hpp"

namespace retort::orm::detail {

namespace {

using sql::ExprPtr;

std::shared_ptr<const sql::TableNode> table_ptr(const Mapper& m) { return m.table().table_node(); }

/// Orders rows of one mapper so that, along its self-referential foreign keys,
/// every row comes before the row it references (deleting a parent row first
/// would break the key). Uses the key values the rows hold (`committed`).
std::vector<InstanceState*> children_first(const Mapper& m, const std::vector<InstanceState*>& rows) {
    std::unordered_map<const InstanceState*, std::size_t> waiting;  // parent -> children not placed yet
    std::unordered_map<const InstanceState*, std::vector<InstanceState*>> parents_of;
    for (const auto& rel : m.relationships()) {
        if (rel.target != &m || rel.direction == Direction::many_to_many) continue;
        const auto& parent_cols = rel.direction == Direction::one_to_many ? rel.local_columns : rel.remote_columns;
        const auto& child_cols = rel.direction == Direction::one_to_many ? rel.remote_columns : rel.local_columns;
        auto values = [](const InstanceState* s, const std::vector<std::size_t>& cols) {
            std::vector<Value> v;
            for (auto c : cols) v.push_back(s->committed[c]);
            return IdentityKey{nullptr, std::move(v)};
        };
        std::unordered_map<IdentityKey, InstanceState*, IdentityKeyHash> by_key;
        for (auto* s : rows) by_key.emplace(values(s, parent_cols), s);
        for (auto* c : rows) {
            auto it = by_key.find(values(c, child_cols));
            if (it == by_key.end() || it->second == c) continue;
            ++waiting[it->second];
            parents_of[c].push_back(it->second);
        }
    }
    if (parents_of.empty()) return rows;
    std::vector<InstanceState*> out, ready;
    for (auto* s : rows)
        if (!waiting[s]) ready.push_back(s);
    while (!ready.empty()) {
        auto* s = ready.back();
        ready.pop_back();
        out.push_back(s);
        for (auto* p : parents_of[s])
            if (--waiting[p] == 0) ready.push_back(p);
    }
    // A cycle of rows: send the rest as they are and let the database say which key it breaks.
    for (auto* s : rows)
        if (waiting[s]) out.push_back(s);
    return out;
}

/// The parameter names of where_key(): k<i> for primary key column i.
std::vector<std::string> key_param_names(const Mapper& m) {
    std::vector<std::string> names;
    for (auto i : m.primary_key()) names.push_back("k" + std::to_string(i));
    return names;
}
/// `key = :k<i>` for each primary key column of `m`: the WHERE of an UPDATE or
/// DELETE by key, run once per object by execute_many (set_key gives the values).
/// `names`: key_param_names(), made once per statement.
ExprPtr where_key(const Mapper& m, const sql::FromPtr& owner, const std::vector<std::string>& names) {
    const auto& table = m.table_node();
    std::vector<ExprPtr> where;
    for (std::size_t k = 0; k < names.size(); ++k) {
        auto i = m.primary_key()[k];
        where.push_back(equal(column_of(owner, table, i), named_param(names[k], table.columns[i].type)));
    }
    return all_of(std::move(where));
}
void set_key(Params& p, const InstanceState& s, const std::vector<std::string>& names) {
    for (std::size_t k = 0; k < names.size(); ++k) p.set(names[k], s.committed[s.mapper->primary_key()[k]]);
}
/// A statement by key that matched fewer rows than objects: someone else got there first.
void check_matched(const retort::Result& result, std::size_t expected, const std::string& what, const char* how) {
    if (result.rowcount() >= 0 && static_cast<std::size_t>(result.rowcount()) != expected)
        throw StaleDataError(what + " expected to match " + std::to_string(expected) + " row(s) and matched " +
                             std::to_string(result.rowcount()) + ": a row was " + how + " by someone else");
}

/// The pending objects of `m` grouped by the columns their INSERT names (an
/// unassigned Defaulted column is left out; a client default is applied here).
std::vector<std::pair<std::vector<bool>, std::vector<InstanceState*>>> insert_shapes(
    const Mapper& m, const std::vector<InstanceState*>& ready) {
    const auto& table = m.table_node();
    const auto& cols = m.columns();
    // (An index, not the optional: GCC's branch-free test of an empty
    // optional's payload is reported by valgrind as a read of uninitialised memory.)
    std::size_t gen = m.generated_key().value_or(cols.size());
    std::vector<std::pair<std::vector<bool>, std::vector<InstanceState*>>> groups;
    std::vector<bool> shape;  // (reused: copied only for a new group)
    for (auto* s : ready) {
        shape.assign(cols.size(), true);
        for (std::size_t i = 0; i < cols.size(); ++i) {
            if (!cols[i].is_unassigned(s->ptr())) continue;
            const auto& spec = table.columns[i];
            if (i == gen) shape[i] = false;
            else if (spec.default_factory) {
                cols[i].set(s->ptr(), spec.default_factory());
                s->fetched_on_insert.push_back(i);
            } else if (spec.server_default) shape[i] = false;
            else
                throw FlushError(m.class_name() + "." + cols[i].name +
                                 " was never assigned and its column has no default");
        }
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == shape; });
        if (it == groups.end()) it = groups.insert(groups.end(), {shape, {}});
        it->second.push_back(s);
    }
    return groups;
}

/// Puts what INSERT ... RETURNING gave back into the objects of `rows`.
void match_returned_rows(const Mapper& m, const std::vector<bool>& shape, bool key_generated,
                         const std::vector<std::size_t>& returned, const ResultData& data,
                         const std::vector<InstanceState*>& rows) {
    const auto& table = m.table_node();
    const auto& cols = m.columns();
    auto gen = m.generated_key();
    auto fetch_into = [&](InstanceState& s, const Value* row) {
        for (std::size_t k = 0; k < returned.size(); ++k) {
            std::size_t i = returned[k];
            if (shape[i]) continue;
            s.fetched_on_insert.push_back(i);
            cols[i].set(s.ptr(), row[k]);
        }
    };
    if (data.size() != rows.size())
        throw FlushError("INSERT into '" + table.name + "' returned " + std::to_string(data.size()) +
                         " rows for " + std::to_string(rows.size()) + " objects");
    std::vector<std::size_t> idx(rows.size());
    for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
    if (key_generated) {
        // RETURNING promises no order; the keys of one statement are
        // handed out in VALUES order, so the sorted keys match the rows.
        std::size_t kpos = std::find(returned.begin(), returned.end(), *gen) - returned.begin();
        auto key_of = [&](std::size_t r) { return from_value<std::int64_t>(data.values[r * data.width() + kpos]); };
        std::sort(idx.begin(), idx.end(), [&](auto a, auto b) { return key_of(a) < key_of(b); });
        for (std::size_t k = 0; k < rows.size(); ++k)
            fetch_into(*rows[k], data.values.data() + idx[k] * data.width());
    } else if (rows.size() == 1) {
        fetch_into(*rows.front(), data.values.data());
    } else {
        std::vector<std::size_t> pk_pos;
        for (auto i : m.primary_key())
            pk_pos.push_back(std::find(returned.begin(), returned.end(), i) - returned.begin());
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const Value* row = data.values.data() + r * data.width();
            auto match = std::find_if(rows.begin(), rows.end(), [&](InstanceState* s) {
                for (std::size_t k = 0; k < pk_pos.size(); ++k)
                    if (!cols[m.primary_key()[k]].equals(s->ptr(), row[pk_pos[k]])) return false;
                return true;
            });
            if (match == rows.end())
                throw FlushError("INSERT into '" + table.name + "' returned a key no object has");
            fetch_into(**match, row);
        }
    }
}

}  // namespace

ColumnList changed_columns(const InstanceState& s) {
    ColumnList changed;
    const auto& cols = s.mapper->columns();
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].equals(s.ptr(), s.committed[i])) continue;
        if (cols[i].is_unassigned(s.ptr()))
            throw FlushError(s.mapper->class_name() + "." + cols[i].name +
                             " of an object that has a row was reset(): a default applies only to an INSERT; "
                             "assign the value to write");
        changed.push_back(i);
    }
    return changed;
}

bool m2m_changed(const InstanceState& s) {
    const auto& rels = s.mapper->relationships();
    for (std::size_t r = 0; r < rels.size(); ++r) {
        if (rels[r].direction != Direction::many_to_many || !rels[r].known(s.ptr())) continue;
        if (!holds_committed(s, r)) return true;
    }
    return false;
}

awaitable<void> SessionImpl::emit_inserts(FlushWork& work, const Mapper& mapper) {
    const Mapper* m = &mapper;
    std::vector<InstanceState*> todo = work.pending[m];
    std::unordered_set<const InstanceState*> unwritten(todo.begin(), todo.end());
    // Waves: an object waits for the objects of its own mapper whose keys it needs.
    while (!todo.empty()) {
        std::vector<InstanceState*> ready, later;
        for (auto* s : todo) (waits_on_same_mapper(*s, unwritten, work.parents) ? later : ready).push_back(s);
        if (ready.empty())
            throw FlushError("a cycle of " + m->class_name() +
                             " objects each needing another's key: break it, flush, then link them");
        for (auto* s : ready) sync_foreign_keys(*s, work.parents);
        for (const auto& [shape, group] : insert_shapes(*m, ready)) {
            co_await emit_insert_group(work, *m, shape, group);
            for (auto* s : group) unwritten.erase(s);
        }
        todo = std::move(later);
    }
}

awaitable<void> SessionImpl::emit_insert_group(FlushWork& work, const Mapper& mapper, const std::vector<bool>& shape,
                                               const std::vector<InstanceState*>& group) {
    const Mapper* m = &mapper;
    const auto& table = m->table_node();
    const auto owner = table_ptr(*m);
    const auto& cols = m->columns();
    auto gen = m->generated_key();
    AsyncConnection* conn = work.conn;
    const auto& caps = conn->dialect().capabilities();
    std::vector<std::size_t> named, fetched;
    for (std::size_t i = 0; i < cols.size(); ++i) (shape[i] ? named : fetched).push_back(i);
    bool key_generated = gen && !shape[*gen];
    bool returning = !fetched.empty() && caps.insert_returning && m->implicit_returning();
    // A key column the database fills by a server default (not the
    // generated key): RETURNING can say which row is whose only one
    // row at a time, and without RETURNING the row cannot be found.
    std::optional<std::size_t> defaulted_key;
    for (auto i : m->primary_key())
        if (!shape[i] && !(gen && *gen == i)) defaulted_key = i;
    if (defaulted_key && !returning)
        throw FlushError(m->class_name() + "." + cols[*defaulted_key].name +
                         " is part of the primary key and left to its server default, which cannot "
                         "be read back without INSERT ... RETURNING: give it a value");
    std::size_t chunk = caps.multi_row_values ? caps.max_rows_per_insert : 1;
    if (!named.empty()) chunk = std::min(chunk, std::max<std::size_t>(1, caps.max_parameters / named.size()));
    // Without RETURNING a generated key comes from the driver's last
    // insert id, which names one row: one INSERT per object then.
    if (named.empty() || (key_generated && !returning) || defaulted_key) chunk = 1;
    std::vector<InstanceState*> need_select;  // server defaults to read back without RETURNING
    std::vector<std::size_t> returned;  // with RETURNING: the key, then what the database filled in
    if (returning) {
        for (auto i : m->primary_key()) returned.push_back(i);
        for (auto i : fetched)
            if (std::find(returned.begin(), returned.end(), i) == returned.end()) returned.push_back(i);
    }
    auto insert_of = [&](const std::vector<InstanceState*>& rows) {
        auto insert = std::make_shared<sql::InsertNode>();
        insert->table = owner;
        for (auto i : named) insert->columns.push_back(column_of(owner, table, i));
        insert->rows.reserve(rows.size());
        sql::BindBlock binds(rows.size() * named.size());
        for (auto* s : rows) {
            std::vector<ExprPtr> values;
            values.reserve(named.size());
            for (auto i : named) values.push_back(binds.add(cols[i].get(s->ptr()), table.columns[i].type));
            insert->rows.push_back(std::move(values));
        }
        for (auto i : returned) insert->returning.push_back(column_of(owner, table, i));
        for (auto* s : rows) journal_state(*s);
        return sql::Statement(insert);
    };
    auto mark_written = [&](const std::vector<InstanceState*>& rows) {
        for (auto* s : rows) {
            s->status = Status::persistent;
            s->committed.clear();
            // A server default still to be read back (no RETURNING) is filled in below.
            for (std::size_t i = 0; i < cols.size(); ++i)
                s->committed.push_back(cols[i].is_unassigned(s->ptr()) ? Value{null} : cols[i].get(s->ptr()));
            identity_map[s->identity()] = s;
        }
    };
    std::vector<std::vector<InstanceState*>> chunks;
    for (std::size_t begin = 0; begin < group.size(); begin += chunk)
        chunks.emplace_back(group.begin() + begin, group.begin() + std::min(group.size(), begin + chunk));

    if (returning) {
        // Each chunk says which rows are whose by itself: they go several at
        // once, in one round trip where the backend pipelines (PostgreSQL). A
        // few at a time: each statement's tree holds every value it sends.
        constexpr std::size_t chunks_per_pipeline = 8;
        for (std::size_t first = 0; first < chunks.size(); first += chunks_per_pipeline) {
            const std::size_t last = std::min(chunks.size(), first + chunks_per_pipeline);
            std::vector<sql::Statement> inserts;
            inserts.reserve(last - first);
            for (std::size_t c = first; c < last; ++c) inserts.push_back(insert_of(chunks[c]));
            auto results = co_await conn->execute_all(inserts);
            for (std::size_t c = first; c < last; ++c) {
                match_returned_rows(*m, shape, key_generated, returned, *results[c - first].data(), chunks[c]);
                mark_written(chunks[c]);
            }
        }
        co_return;
    }
    for (const auto& rows : chunks) {
        auto result = co_await conn->execute(insert_of(rows));
        if (!fetched.empty()) {
            if (key_generated) {
                InstanceState& s = *rows.front();
                auto id = result.last_insert_id();
                if (!id) {
                    if (auto query = conn->dialect().generated_key_query(table, *gen)) {
                        auto key = co_await conn->execute(*query);
                        id = key.scalar<std::optional<std::int64_t>>();
                    }
                }
                if (!id) throw FlushError("INSERT into '" + table.name + "': the driver reported no generated key");
                s.fetched_on_insert.push_back(*gen);
                cols[*gen].set(s.ptr(), Value{*id});
            }
            if (fetched.size() > (key_generated ? 1u : 0u))
                need_select.insert(need_select.end(), rows.begin(), rows.end());
        }
        mark_written(rows);
    }
    co_await select_server_defaults(work, *m, fetched, need_select);
}

awaitable<void> SessionImpl::select_server_defaults(FlushWork& work, const Mapper& mapper,
                                                    const std::vector<std::size_t>& fetched,
                                                    const std::vector<InstanceState*>& rows) {
    // Without RETURNING: one SELECT by key per batch.
    const Mapper* m = &mapper;
    const auto& table = m->table_node();
    const auto owner = table_ptr(*m);
    const auto& cols = m->columns();
    auto gen = m->generated_key();
    const auto& need_select = rows;
    for (std::size_t begin = 0; begin < need_select.size(); begin += default_selectin_batch_size) {
        std::vector<InstanceState*> batch(
            need_select.begin() + begin,
            need_select.begin() + std::min(need_select.size(), begin + default_selectin_batch_size));
        auto select = std::make_shared<sql::SelectNode>();
        for (std::size_t i = 0; i < cols.size(); ++i) select->columns.push_back(column_of(owner, table, i));
        std::vector<ExprPtr> key_columns;
        for (auto i : m->primary_key()) key_columns.push_back(column_of(owner, table, i));
        std::vector<std::vector<Value>> keys;
        for (auto* s : batch) keys.push_back(s->key_values());
        select->where = key_in(key_columns, keys);
        auto result = co_await work.conn->execute(sql::Statement(select));
        const auto& data = *result.data();
        std::size_t found = 0;
        for (std::size_t r = 0; r < data.size(); ++r) {
            const Value* row = data.values.data() + r * data.width();
            std::vector<Value> key;
            for (auto i : m->primary_key()) key.push_back(row[i]);
            InstanceState* s = find_identity({m, key});
            if (!s) continue;
            ++found;
            for (auto i : fetched) {
                if (gen && *gen == i) continue;
                s->fetched_on_insert.push_back(i);
                cols[i].set(s->ptr(), row[i]);
                s->committed[i] = cols[i].get(s->ptr());
            }
        }
        if (found != batch.size())
            throw FlushError("INSERT into '" + table.name + "': " + std::to_string(batch.size() - found) +
                             " of the rows just inserted were not found by their keys to read "
                             "their server defaults");
    }
}

awaitable<void> SessionImpl::emit_updates(FlushWork& work, const Mapper& mapper) {
    // Grouped by the set of changed columns: one execute_many per group.
    const Mapper* m = &mapper;
    const auto& table = m->table_node();
    const auto owner = table_ptr(*m);
    const auto& cols = m->columns();
    AsyncConnection* conn = work.conn;
    std::map<ColumnList, std::vector<InstanceState*>> updates;
    for (auto* s : work.persistent[m]) {
        sync_foreign_keys(*s, work.parents);
        auto changed = changed_columns(*s);
        if (!changed.empty()) updates[changed].push_back(s);
    }
    for (auto& [changed, group] : updates) {
        auto update = std::make_shared<sql::UpdateNode>();
        update->table = owner;
        std::vector<std::string> names;
        for (auto i : changed) {
            names.push_back("v" + std::to_string(i));
            update->set.emplace_back(column_of(owner, table, i), named_param(names.back(), table.columns[i].type));
        }
        const auto key_names = key_param_names(*m);
        update->where = where_key(*m, owner, key_names);
        std::vector<Params> params;
        params.reserve(group.size());
        for (auto* s : group) {
            Params p;
            p.reserve(changed.size() + key_names.size());
            for (std::size_t k = 0; k < changed.size(); ++k) p.set(names[k], cols[changed[k]].get(s->ptr()));
            set_key(p, *s, key_names);
            params.push_back(std::move(p));
            journal_state(*s);
        }
        auto result = co_await conn->execute_many(sql::Statement(update), params);
        check_matched(result, group.size(), "UPDATE of '" + table.name + "'", "changed or deleted");
        for (auto* s : group) {
            bool rekey = false;
            for (auto i : changed)
                rekey |= std::find(m->primary_key().begin(), m->primary_key().end(), i) != m->primary_key().end();
            if (rekey) identity_map.erase(s->identity());
            for (auto i : changed) s->committed[i] = cols[i].get(s->ptr());
            if (rekey) identity_map[s->identity()] = s;
        }
    }
}

awaitable<void> SessionImpl::emit_association_rows(FlushWork& work) {
    // A pair seen from both sides (back_populates) is written once: rows are
    // compared by (association column, value), whatever side produced them.
    AsyncConnection* conn = work.conn;
    std::set<std::vector<std::string>> seen_insert, seen_delete;
    struct AssocBatch {
        const RelationshipProperty* rel;
        std::vector<std::vector<Value>> rows;  ///< secondary_local values, then secondary_remote values
    };
    std::vector<AssocBatch> inserts, deletes, clears;
    auto add_row = [&](std::vector<AssocBatch>& batches, std::set<std::vector<std::string>>& seen,
                       const RelationshipProperty& rel, const InstanceState& parent, const InstanceState& child) {
        std::vector<Value> row = get_values(parent, rel.local_columns);
        auto remote = get_values(child, rel.remote_columns);
        row.insert(row.end(), remote.begin(), remote.end());
        std::vector<std::size_t> columns = rel.secondary_local;
        columns.insert(columns.end(), rel.secondary_remote.begin(), rel.secondary_remote.end());
        std::vector<std::pair<std::size_t, std::string>> canonical;
        for (std::size_t k = 0; k < row.size(); ++k)
            canonical.emplace_back(columns[k], std::string(value_kind_name(row[k])) + ":" + to_display_string(row[k]));
        std::sort(canonical.begin(), canonical.end());
        std::vector<std::string> id{rel.secondary->name};
        for (auto& [c, v] : canonical) id.push_back(std::to_string(c) + "=" + v);
        if (!seen.insert(std::move(id)).second) return;
        auto it = std::find_if(batches.begin(), batches.end(), [&](const auto& b) { return b.rel == &rel; });
        if (it == batches.end()) {
            batches.push_back({&rel, {}});
            it = batches.end() - 1;
        }
        it->rows.push_back(std::move(row));
    };
    std::unordered_set<const InstanceState*> inserted_now;
    for (auto& [_, list] : work.pending) inserted_now.insert(list.begin(), list.end());
    for (auto& [_, holder] : states) {
        InstanceState& s = *holder;
        for (const auto& rel : s.mapper->relationships()) {
            if (rel.direction != Direction::many_to_many) continue;
            if (s.marked_deleted) {
                clears.push_back({&rel, {get_values(s, rel.local_columns)}});
                continue;
            }
            if (s.status != Status::persistent || !rel.known(s.ptr())) continue;
            auto now = rel.items(s.ptr());
            const auto& before = s.committed_related[rel_index(rel)];
            // A persistent object's collection replaced without being loaded:
            // its old rows are unknown, so they all go before the new ones.
            if (!before && !inserted_now.count(&s)) clears.push_back({&rel, {get_values(s, rel.local_columns)}});
            for (const auto& item : now) {
                InstanceState* child = find(item.get());
                if (!child || child->marked_deleted) continue;
                if (child->status != Status::persistent)
                    throw FlushError(rel.qualified_name() + " holds an object that was not written");
                bool existed = before && std::find(before->begin(), before->end(), child->ptr()) != before->end();
                if (!existed) add_row(inserts, seen_insert, rel, s, *child);
            }
            if (before)
                for (const void* old : *before) {
                    bool kept = std::any_of(now.begin(), now.end(), [&](const auto& p) { return p.get() == old; });
                    InstanceState* child = find(old);
                    if (kept || !child || child->status != Status::persistent) continue;
                    add_row(deletes, seen_delete, rel, s, *child);
                }
        }
    }
    for (const auto& batch : clears) {
        const auto& rel = *batch.rel;
        auto del = std::make_shared<sql::DeleteNode>();
        del->table = rel.secondary;
        std::vector<ExprPtr> where;
        for (std::size_t k = 0; k < rel.secondary_local.size(); ++k)
            where.push_back(equal(column_of(rel.secondary, *rel.secondary, rel.secondary_local[k]),
                                  std::make_shared<sql::BindNode>(batch.rows.front()[k], rel.secondary->columns[rel.secondary_local[k]].type)));
        del->where = all_of(std::move(where));
        co_await conn->execute(sql::Statement(del));
    }
    for (const auto& batch : deletes) {
        const auto& rel = *batch.rel;
        auto del = std::make_shared<sql::DeleteNode>();
        del->table = rel.secondary;
        std::vector<ExprPtr> where;
        std::vector<std::size_t> columns = rel.secondary_local;
        columns.insert(columns.end(), rel.secondary_remote.begin(), rel.secondary_remote.end());
        for (std::size_t k = 0; k < columns.size(); ++k)
            where.push_back(equal(column_of(rel.secondary, *rel.secondary, columns[k]),
                                  named_param("c" + std::to_string(k), rel.secondary->columns[columns[k]].type)));
        del->where = all_of(std::move(where));
        std::vector<Params> params;
        for (const auto& row : batch.rows) {
            Params p;
            for (std::size_t k = 0; k < row.size(); ++k) p.set("c" + std::to_string(k), row[k]);
            params.push_back(std::move(p));
        }
        co_await conn->execute_many(sql::Statement(del), params);
    }
    for (const auto& batch : inserts) {
        const auto& rel = *batch.rel;
        auto insert = std::make_shared<sql::InsertNode>();
        insert->table = rel.secondary;
        std::vector<std::size_t> columns = rel.secondary_local;
        columns.insert(columns.end(), rel.secondary_remote.begin(), rel.secondary_remote.end());
        for (auto c : columns) insert->columns.push_back(column_of(rel.secondary, *rel.secondary, c));
        std::vector<ExprPtr> row;
        for (std::size_t k = 0; k < columns.size(); ++k)
            row.push_back(named_param("c" + std::to_string(k), rel.secondary->columns[columns[k]].type));
        insert->rows.push_back(std::move(row));
        std::vector<Params> params;
        for (const auto& values : batch.rows) {
            Params p;
            for (std::size_t k = 0; k < values.size(); ++k) p.set("c" + std::to_string(k), values[k]);
            params.push_back(std::move(p));
        }
        co_await conn->execute_many(sql::Statement(insert), params);
    }
}

awaitable<void> SessionImpl::emit_deletes(FlushWork& work, const Mapper& mapper) {
    const Mapper* m = &mapper;
    AsyncConnection* conn = work.conn;
    auto group = children_first(*m, work.deleting[m]);
    const auto& table = m->table_node();
    const auto owner = table_ptr(*m);
    auto del = std::make_shared<sql::DeleteNode>();
    del->table = owner;
    const auto key_names = key_param_names(*m);
    del->where = where_key(*m, owner, key_names);
    std::vector<Params> params;
    params.reserve(group.size());
    for (auto* s : group) {
        Params p;
        p.reserve(key_names.size());
        set_key(p, *s, key_names);
        params.push_back(std::move(p));
        journal_state(*s);
    }
    auto result = co_await conn->execute_many(sql::Statement(del), params);
    check_matched(result, group.size(), "DELETE from '" + table.name + "'", "already deleted");
    for (auto* s : group) {
        identity_map.erase(s->identity());
        s->status = Status::deleted;
        s->marked_deleted = false;
    }
}

}  // namespace retort::orm::detail
