// The phases written against SOCI as an expert would: a library a user might
// pick instead of Retort, so a second reference beside the raw loops. The same
// SQL as the raw loops, through SOCI's own means: statements prepared once and
// reused, bulk use(std::vector) and into(std::vector) wherever SOCI has them,
// indicators for what may be NULL, std::tm for timestamps, the writes of a
// phase in one transaction (soci::transaction, rolled back if a phase throws).
//
// What SOCI 4.0.3 itself does underneath, per backend, sets what this can cost:
// its PostgreSQL backend runs a bulk use as one PQexecPrepared per row (no
// pipeline) and reads a whole result before handing out the first row; its
// MySQL backend has no server-side prepared statements (it pastes escaped values
// into the text, one query per row of a bulk use) and buffers every result
// (mysql_store_result); its SQLite backend steps a prepared statement per row.
#include <soci/mysql/soci-mysql.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <soci/version.h>

#include <algorithm>
#include <ctime>
#include <exception>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "raw_runners.hpp"

namespace retort::bench {

namespace {

constexpr std::size_t insert_rows = 1000;  // rows per multi-row INSERT, as raw_libpq and raw_mariadb
constexpr std::size_t fetch_rows = 1000;   // rows per bulk fetch (Retort's chunk, libpq's FETCH)

enum class Backend { sqlite, postgresql, mysql };

Backend backend_named(const std::string& name) {
    if (name == "sqlite") return Backend::sqlite;
    if (name == "postgresql") return Backend::postgresql;
    if (name == "mysql") return Backend::mysql;
    throw std::invalid_argument("SOCI: unknown backend " + name);
}

const soci::backend_factory& factory_of(Backend b) {
    switch (b) {
        case Backend::sqlite: return soci::sqlite3;
        case Backend::postgresql: return soci::postgresql;
        case Backend::mysql: return soci::mysql;
    }
    throw std::logic_error("unknown backend");
}

/// SOCI's timestamp, a std::tm: it has no fraction of a second, so the
/// microseconds the raw loops keep are lost here.
std::chrono::sys_time<std::chrono::microseconds> from_tm(const std::tm& t) {
    using namespace std::chrono;
    auto day = sys_days(year_month_day{year(t.tm_year + 1900), month(static_cast<unsigned>(t.tm_mon + 1)),
                                       std::chrono::day(static_cast<unsigned>(t.tm_mday))});
    return time_point_cast<microseconds>(day + hours(t.tm_hour) + minutes(t.tm_min) + seconds(t.tm_sec));
}

std::optional<std::string> text_of(const std::string& s, soci::indicator i) {
    return i == soci::i_null ? std::nullopt : std::optional<std::string>(s);
}

/// A statement whose exchanges are known only at run time (one use per slot of
/// an IN list or a multi-row VALUES): `bind(st)` adds them all before SOCI
/// prepares it, as `sql.prepare << ..., use(...)` would for a fixed list.
template <class Bind>
soci::statement prepared(soci::session& sql, const std::string& text, Bind bind,
                         soci::details::statement_type type = soci::details::st_repeatable_query) {
    soci::statement st(sql);
    bind(st);
    st.alloc();
    st.prepare(text, type);
    st.define_and_bind();
    return st;
}

/// Executes `st`, whose into vectors are `rows`, and calls take() once per
/// chunk SOCI fills (up to fetch_rows rows).
template <class Rows, class Take>
void fetch_all(soci::statement& st, Rows& rows, Take take) {
    rows.resize(fetch_rows);  // SOCI fetches as many rows as the vectors hold, and shrinks them at the end
    if (!st.execute(true)) return;
    do take(); while (st.fetch());
}

/// Executes a query of one row at most: true when it found one. Steps past it
/// too: SOCI's SQLite backend leaves a statement on its last row until its next
/// execution, and a statement left there keeps its read snapshot (a BEGIN
/// IMMEDIATE on the connection would then fail with BUSY at once).
bool get_one(soci::statement& st) {
    if (!st.execute(true)) return false;
    expect(!st.fetch(), "a primary key found two rows");
    return true;
}

/// Bulk into vectors of `a.id, a.data, a.create_date`.
struct ParentRows {
    std::vector<long long> id;
    std::vector<std::string> data;
    std::vector<soci::indicator> data_null;
    std::vector<std::tm> created;
    void into(soci::statement& st) {
        st.exchange(soci::into(id));
        st.exchange(soci::into(data, data_null));
        st.exchange(soci::into(created));
    }
    void resize(std::size_t n) {
        id.resize(n);
        data.resize(n);
        data_null.resize(n);
        created.resize(n);
    }
    std::size_t size() const { return id.size(); }
    RawParent get(std::size_t i) const { return RawParent{id[i], text_of(data[i], data_null[i]), from_tm(created[i]), {}}; }
};

/// Bulk into vectors of `b.id, b.a_id, b.data`, each NULL when a LEFT OUTER JOIN
/// found no child.
struct ChildRows {
    std::vector<long long> id, a_id;
    std::vector<std::string> data;
    std::vector<soci::indicator> id_null, a_id_null, data_null;
    void into(soci::statement& st) {
        st.exchange(soci::into(id, id_null));
        st.exchange(soci::into(a_id, a_id_null));
        st.exchange(soci::into(data, data_null));
    }
    void resize(std::size_t n) {
        id.resize(n);
        a_id.resize(n);
        data.resize(n);
        id_null.resize(n);
        a_id_null.resize(n);
        data_null.resize(n);
    }
    std::size_t size() const { return id.size(); }
    bool present(std::size_t i) const { return id_null[i] != soci::i_null; }
    RawChild get(std::size_t i) const { return RawChild{id[i], a_id[i], text_of(data[i], data_null[i])}; }
};

/// A bulk into vector of ids.
struct IdRows {
    std::vector<long long> id;
    void into(soci::statement& st) { st.exchange(soci::into(id)); }
    void resize(std::size_t n) { id.resize(n); }
    std::size_t size() const { return id.size(); }
};

/// The single row of a primary-key get.
struct ParentRow {
    long long id = 0;
    std::string data;
    soci::indicator data_null = soci::i_ok;
    std::tm created{};
    void into(soci::statement& st) {
        st.exchange(soci::into(id));
        st.exchange(soci::into(data, data_null));
        st.exchange(soci::into(created));
    }
    RawParent get() const { return RawParent{id, text_of(data, data_null), from_tm(created), {}}; }
};

/// A multi-row INSERT of up to insert_rows rows, with RETURNING id when
/// `returning`, its values bound by reference to slots the caller fills:
/// `bind(st, slot)` adds one row's uses. One prepared statement per row count
/// (the full batch, the last).
template <class Bind>
class MultiRowInsert {
public:
    MultiRowInsert(soci::session& sql, std::string head, std::size_t width, const char* mark, bool returning, Bind bind)
        : sql_(sql), head_(std::move(head)), width_(width), mark_(mark), returning_(returning), bind_(bind) {}

    /// Inserts the first `n` slots and returns the rows written; ids() then
    /// holds their ids, in order, when returning.
    std::size_t run(std::size_t n) {
        auto at = statements_.find(n);
        if (at == statements_.end()) {
            std::string text = head_;
            for (std::size_t r = 0; r < n; ++r) text += (r ? ", (" : "(") + placeholders(width_, mark_, r * width_ + 1) + ")";
            if (returning_) text += " RETURNING id";
            at = statements_.emplace(n, prepared(sql_, text, [&](soci::statement& st) {
                                         for (std::size_t r = 0; r < n; ++r) bind_(st, r);
                                         if (returning_) st.exchange(soci::into(ids_));
                                     })).first;
        }
        if (!returning_) {
            at->second.execute(true);
            return static_cast<std::size_t>(at->second.get_affected_rows());
        }
        ids_.resize(n);
        expect(at->second.execute(true) && ids_.size() == n, "INSERT ... RETURNING returned other rows");
        return n;
    }
    const std::vector<long long>& ids() const { return ids_; }

private:
    soci::session& sql_;
    std::string head_;
    std::size_t width_;
    const char* mark_;
    bool returning_;
    Bind bind_;
    std::vector<long long> ids_;
    std::map<std::size_t, soci::statement> statements_;
};

/// What Retort's SQLite driver sets by default, as raw_sqlite does.
void configure(soci::session& sql, Backend backend) {
    if (backend != Backend::sqlite) return;
    sql << "PRAGMA foreign_keys = on";
    sql << "PRAGMA journal_mode = wal";
}

/// One client of the concurrent phase: a session of its own, its two statements
/// and the variables they are bound to.
struct Client {
    Client(Backend backend, const std::string& connect) : sql(factory_of(backend), connect) {
        configure(sql, backend);
        get = prepared(sql, "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = :id", [&](soci::statement& st) {
            row.into(st);
            st.exchange(soci::use(key));
        });
        update = prepared(sql, "UPDATE a SET data = :data WHERE a.id = :id", [&](soci::statement& st) {
            st.exchange(soci::use(data));
            st.exchange(soci::use(key));
        });
    }
    soci::session sql;
    ParentRow row;
    long long key = 0;
    std::string data;
    std::optional<soci::statement> get, update;
};

class SociRunner final : public Runner {
public:
    SociRunner(Backend backend, std::string connect)
        // SOCI sets SQLite's busy timeout (in seconds) from the connect string
        // only; the concurrent phase's writers wait on each other's locks.
        : backend_(backend), connect_(backend == Backend::sqlite ? connect + " timeout=5" : connect),
          // SOCI hands "$1" through to PostgreSQL and SQLite, which read it
          // natively; its MySQL backend pastes the values in itself and knows
          // only ':' marks (a nameless one binds by position).
          mark_(backend == Backend::mysql ? ":" : "$"),
          sql_(factory_of(backend), connect_) {
        configure(sql_, backend_);
    }
    std::string name() const override {
        return "SOCI " + std::to_string(SOCI_VERSION / 100000) + "." + std::to_string(SOCI_VERSION / 100 % 1000) + "." +
               std::to_string(SOCI_VERSION % 100);
    }

private:
    std::vector<long long> ids(const char* text) {
        IdRows rows;
        auto st = prepared(sql_, text, [&](soci::statement& s) { rows.into(s); });
        std::vector<long long> out;
        fetch_all(st, rows, [&] { out.insert(out.end(), rows.id.begin(), rows.id.end()); });
        return out;
    }

    std::vector<RawParent> parents_query() {
        ParentRows rows;
        auto st = prepared(sql_, "SELECT a.id, a.data, a.create_date FROM a", [&](soci::statement& s) { rows.into(s); });
        std::vector<RawParent> parents;
        fetch_all(st, rows, [&] {
            for (std::size_t i = 0; i < rows.size(); ++i) parents.push_back(rows.get(i));
        });
        return parents;
    }

    std::size_t insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = make_parents(w);
        soci::transaction tr(sql_);
        if (backend_ == Backend::sqlite) insert_row_by_row(parents);
        else insert_returning(parents);
        tr.commit();
        watch.stop();
        expect(parents.back().id != 0 && parents.back().children.back().id != 0, "insert left ids unset");
        return w.rows();
    }

    /// SQLite, as raw_sqlite: one prepared INSERT stepped per row, its id read
    /// back at once (a bulk use would lose every id but the last).
    void insert_row_by_row(std::vector<RawParent>& parents) {
        std::string data;
        soci::indicator data_null = soci::i_ok;
        long long a_id = 0, id = 0;
        soci::statement a = (sql_.prepare << "INSERT INTO a (data) VALUES (:data)", soci::use(data, data_null));
        soci::statement b = (sql_.prepare << "INSERT INTO b (a_id, data) VALUES (:a_id, :data)", soci::use(a_id),
                             soci::use(data, data_null));
        auto set = [&](const std::optional<std::string>& v) {
            data = v.value_or("");
            data_null = v ? soci::i_ok : soci::i_null;
        };
        for (auto& p : parents) {
            set(p.data);
            a.execute(true);
            sql_.get_last_insert_id("a", id);
            p.id = id;
            for (auto& c : p.children) {
                c.a_id = a_id = p.id;
                set(c.data);
                b.execute(true);
                sql_.get_last_insert_id("b", id);
                c.id = id;
            }
        }
    }

    /// PostgreSQL and MariaDB, as their raw loops: multi-row INSERT ... RETURNING
    /// id of insert_rows rows, parents first, then the children who need their ids.
    void insert_returning(std::vector<RawParent>& parents) {
        std::vector<std::string> data(insert_rows);
        std::vector<soci::indicator> data_null(insert_rows);
        std::vector<long long> a_ids(insert_rows);
        auto set = [&](std::size_t slot, const std::optional<std::string>& v) {
            data[slot] = v.value_or("");
            data_null[slot] = v ? soci::i_ok : soci::i_null;
        };
        MultiRowInsert a(sql_, "INSERT INTO a (data) VALUES ", 1, mark_, true,
                         [&](soci::statement& st, std::size_t r) { st.exchange(soci::use(data[r], data_null[r])); });
        for (std::size_t from = 0; from < parents.size(); from += insert_rows) {
            std::size_t n = std::min(insert_rows, parents.size() - from);
            for (std::size_t k = 0; k < n; ++k) set(k, parents[from + k].data);
            a.run(n);
            for (std::size_t k = 0; k < n; ++k) parents[from + k].id = a.ids()[k];
        }
        std::vector<RawChild*> children;
        for (auto& p : parents)
            for (auto& c : p.children) {
                c.a_id = p.id;
                children.push_back(&c);
            }
        MultiRowInsert b(sql_, "INSERT INTO b (a_id, data) VALUES ", 2, mark_, true, [&](soci::statement& st, std::size_t r) {
            st.exchange(soci::use(a_ids[r]));
            st.exchange(soci::use(data[r], data_null[r]));
        });
        for (std::size_t from = 0; from < children.size(); from += insert_rows) {
            std::size_t n = std::min(insert_rows, children.size() - from);
            for (std::size_t k = 0; k < n; ++k) {
                a_ids[k] = children[from + k]->a_id;
                set(k, children[from + k]->data);
            }
            b.run(n);
            for (std::size_t k = 0; k < n; ++k) children[from + k]->id = b.ids()[k];
        }
    }

    std::size_t load_selectin(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = parents_query();
        std::unordered_map<std::int64_t, std::size_t> index;
        index.reserve(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) index.emplace(parents[i].id, i);
        std::vector<long long> keys(selectin_batch);
        ChildRows rows;
        auto batch_of = [&](std::size_t n, soci::details::statement_type type) {
            return prepared(
                sql_, "SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (" + placeholders(n, mark_) + ")",
                [&](soci::statement& st) {
                    for (std::size_t k = 0; k < n; ++k) st.exchange(soci::use(keys[k]));
                    rows.into(st);
                },
                type);
        };
        // Every full batch reuses one prepared statement; the last, shorter one
        // runs once, unprepared (where SOCI makes the difference: PostgreSQL).
        std::optional<soci::statement> full;
        std::size_t children = 0;
        for (std::size_t from = 0; from < parents.size(); from += selectin_batch) {
            std::size_t n = std::min(selectin_batch, parents.size() - from);
            for (std::size_t k = 0; k < n; ++k) keys[k] = parents[from + k].id;
            soci::statement st = n < selectin_batch ? batch_of(n, soci::details::st_one_time_query)
                                                    : *(full ? full : (full = batch_of(n, soci::details::st_repeatable_query)));
            fetch_all(st, rows, [&] {
                for (std::size_t i = 0; i < rows.size(); ++i) parents[index.at(rows.a_id[i])].children.push_back(rows.get(i));
                children += rows.size();
            });
        }
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "selectin found other rows");
        return parents.size() + children;
    }

    std::size_t load_joined(const Workload& w, Stopwatch& watch) override {
        watch.start();
        ParentRows parent;
        ChildRows child;
        auto st = prepared(sql_, "SELECT a.id, a.data, a.create_date, b.id, b.a_id, b.data FROM a LEFT OUTER JOIN b ON a.id = b.a_id",
                           [&](soci::statement& s) {
                               parent.into(s);
                               child.into(s);
                           });
        std::vector<RawParent> parents;
        std::unordered_map<std::int64_t, std::size_t> index;
        std::size_t children = 0;
        struct Both {  // fetch_all's view of the two halves of a joined row
            ParentRows& parent;
            ChildRows& child;
            void resize(std::size_t n) {
                parent.resize(n);
                child.resize(n);
            }
        } both{parent, child};
        fetch_all(st, both, [&] {
            for (std::size_t i = 0; i < parent.size(); ++i) {
                auto [at, fresh] = index.emplace(parent.id[i], parents.size());
                if (fresh) parents.push_back(parent.get(i));
                if (child.present(i)) {
                    parents[at->second].children.push_back(child.get(i));
                    ++children;
                }
            }
        });
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "joined found other rows");
        return parents.size() + children;
    }

    std::size_t stream(const Workload& w, Stopwatch& watch) override {
        watch.start();
        std::size_t rows = 0;
        auto count = [&](const ParentRows& chunk) {
            for (std::size_t i = 0; i < chunk.size(); ++i) {
                RawParent p = chunk.get(i);
                rows += p.data ? 1 : 0;
            }
        };
        if (backend_ == Backend::postgresql) stream_cursor(count);
        else {
            // SQLite steps as SOCI fetches; MySQL's backend has buffered the whole
            // result by then (mysql_store_result), which SOCI offers no way around.
            ParentRows chunk;
            auto st = prepared(sql_, "SELECT a.id, a.data, a.create_date FROM a", [&](soci::statement& s) { chunk.into(s); });
            fetch_all(st, chunk, [&] { count(chunk); });
        }
        watch.stop();
        expect(rows == w.parents, "stream found other rows");
        return rows;
    }

    /// PostgreSQL, as raw_libpq: SOCI would read the whole result before the
    /// first row (and its single-row mode refuses bulk into), so a server-side
    /// cursor read fetch_rows rows per FETCH.
    template <class Take>
    void stream_cursor(Take take) {
        soci::transaction tr(sql_);
        sql_ << "DECLARE parents NO SCROLL CURSOR FOR SELECT a.id, a.data, a.create_date FROM a";
        ParentRows chunk;
        auto st = prepared(sql_, "FETCH FORWARD " + std::to_string(fetch_rows) + " FROM parents",
                           [&](soci::statement& s) { chunk.into(s); });
        do {
            chunk.resize(fetch_rows);
            if (!st.execute(true)) break;
            take(chunk);
        } while (chunk.size() == fetch_rows);
        sql_ << "CLOSE parents";
        tr.commit();
    }

    /// One bulk execution of `text` (`key = :id` last) for every key, after
    /// `data` when given; returns the rows it changed.
    std::size_t per_id(const char* text, std::vector<long long>& keys, std::vector<std::string>* data = nullptr) {
        if (keys.empty()) return 0;  // (SOCI refuses an empty vector)
        auto st = prepared(sql_, text, [&](soci::statement& s) {
            if (data) s.exchange(soci::use(*data));
            s.exchange(soci::use(keys));
        });
        st.execute(true);
        return static_cast<std::size_t>(st.get_affected_rows());
    }

    std::size_t update(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        watch.start();
        std::vector<std::string> data(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) data[i] = Workload::updated_data(i);
        soci::transaction tr(sql_);
        auto changed = per_id("UPDATE a SET data = :data WHERE a.id = :id", parents, &data);
        tr.commit();
        watch.stop();
        expect(changed == w.parents, "update changed other rows");
        return changed;
    }

    std::size_t get(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "get found other rows");
        ParentRow row;
        long long key = 0;
        auto g = prepared(sql_, "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = :id", [&](soci::statement& st) {
            row.into(st);
            st.exchange(soci::use(key));
        });
        watch.start();
        std::size_t found = 0;
        for (std::size_t k = 0; k < w.gets; ++k) {
            key = parents[(k * 7919) % parents.size()];
            if (get_one(g)) {
                RawParent p = row.get();
                found += p.id ? 1 : 0;
            }
        }
        watch.stop();
        expect(found == w.gets, "get missed rows");
        return found;
    }

    /// Operation k of the concurrent phase, on client `c`.
    void concurrent_operation(Client& c, const Workload& w, const std::vector<long long>& parents, std::size_t k) const {
        bool write = w.is_write(k);
        // A write takes SQLite's write lock up front, as raw_sqlite: a
        // deferred transaction upgrading from reading can fail at once with BUSY.
        if (write) {
            if (backend_ == Backend::sqlite) c.sql << "BEGIN IMMEDIATE";
            else c.sql.begin();
        }
        c.key = parents[w.concurrent_parent(k)];
        expect(get_one(*c.get), "concurrent get missed a row");
        RawParent p = c.row.get();
        if (write) {
            c.data = Workload::concurrent_data(k);
            c.key = p.id;
            c.update->execute(true);
            expect(c.update->get_affected_rows() == 1, "concurrent update changed other rows");
            c.sql.commit();
        }
    }

    std::size_t concurrent(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "concurrent found other rows");
        // Connected before the clock starts, as Retort's pool is.
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t t = 0; t < w.connections; ++t) clients.push_back(std::make_unique<Client>(backend_, connect_));
        auto operations = run_clients(
            w, watch, clients, [&](Client& c, std::size_t k) { concurrent_operation(c, w, parents, k); },
            [](Client& c) {
                try {
                    c.sql.rollback();
                } catch (const soci::soci_error&) {  // none was open
                }
            });
        // Every parent written holds one of its writes' data (which one depends on who won).
        std::set<std::size_t> written;
        for (std::size_t k = 0; k < w.operations; ++k)
            if (w.is_write(k)) written.insert(w.concurrent_parent(k));
        long long holding = 0;
        sql_ << "SELECT COUNT(*) FROM a WHERE a.data LIKE 'c%'", soci::into(holding);
        expect(static_cast<std::size_t>(holding) == written.size(), "concurrent left other rows written");
        return operations;
    }

    std::size_t remove(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a");
        auto children = ids("SELECT id FROM b");
        watch.start();
        soci::transaction tr(sql_);
        std::size_t gone = per_id("DELETE FROM b WHERE b.id = :id", children);
        gone += per_id("DELETE FROM a WHERE a.id = :id", parents);
        tr.commit();
        watch.stop();
        expect(gone == w.rows(), "delete removed other rows");
        return gone;
    }

    std::size_t core_insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        std::vector<std::string> data(w.core_rows());
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = Workload::core_data(i);
        soci::transaction tr(sql_);
        std::size_t written = 0;
        if (backend_ == Backend::postgresql) {
            // As raw_libpq: multi-row INSERTs of insert_rows rows (a bulk use
            // would be a round trip a row: SOCI sends no pipeline).
            std::vector<std::string> slots(insert_rows);
            MultiRowInsert a(sql_, "INSERT INTO a (data) VALUES ", 1, mark_, false,
                             [&](soci::statement& st, std::size_t r) { st.exchange(soci::use(slots[r])); });
            for (std::size_t from = 0; from < data.size(); from += insert_rows) {
                std::size_t n = std::min(insert_rows, data.size() - from);
                std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(from), n, slots.begin());
                written += a.run(n);
            }
        } else {
            // As raw_sqlite and raw_mariadb: the one-row INSERT for every row, in
            // one bulk use (which SOCI's MySQL backend sends as a query a row:
            // it has no array binding).
            soci::statement st = (sql_.prepare << "INSERT INTO a (data) VALUES (:data)", soci::use(data));
            st.execute(true);
            written = static_cast<std::size_t>(st.get_affected_rows());
        }
        tr.commit();
        watch.stop();
        expect(written == w.core_rows(), "core insert wrote other rows");
        return written;
    }

    std::size_t core_select(const Workload& w, Stopwatch& watch) override {
        watch.start();
        std::vector<RawParent> rows;
        ParentRows chunk;
        auto st = prepared(sql_, "SELECT a.id, a.data, a.create_date FROM a", [&](soci::statement& s) { chunk.into(s); });
        std::size_t with_data = 0;
        fetch_all(st, chunk, [&] {
            for (std::size_t i = 0; i < chunk.size(); ++i) {
                rows.push_back(chunk.get(i));
                with_data += rows.back().data ? 1 : 0;
            }
        });
        watch.stop();
        expect(rows.size() == w.core_rows() && with_data == rows.size(), "core select found other rows");
        return rows.size();
    }

    Backend backend_;
    std::string connect_;
    const char* mark_;
    soci::session sql_;
};

}  // namespace

std::unique_ptr<Runner> make_soci_runner(const std::string& backend, const std::string& connect) {
    return std::make_unique<SociRunner>(backend_named(backend), connect);
}

}  // namespace retort::bench
