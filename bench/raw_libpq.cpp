// The phases written against libpq as an expert would without an ORM:
// statements prepared once, pipeline mode for every batch (sent in chunks of
// `pipeline_chunk` with a sync after each, so that neither side's socket
// buffer fills while the other waits), multi-row INSERT ... RETURNING,
// a server-side cursor for the stream. Text format, as Retort's driver uses.
#include <libpq-fe.h>

#include <charconv>
#include <functional>
#include <set>
#include <unordered_map>

#include "raw_runners.hpp"

namespace retort::bench {

namespace {

constexpr std::size_t pipeline_chunk = 1000;
constexpr std::size_t insert_rows = 1000;  // rows per multi-row INSERT

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using Res = std::unique_ptr<PGresult, ResultDeleter>;

std::int64_t integer(const PGresult* r, int row, int col) {
    const char* p = PQgetvalue(r, row, col);
    std::int64_t v = 0;
    std::from_chars(p, p + PQgetlength(r, row, col), v);
    return v;
}

std::optional<std::string> text(const PGresult* r, int row, int col) {
    if (PQgetisnull(r, row, col)) return std::nullopt;
    return std::string(PQgetvalue(r, row, col), static_cast<std::size_t>(PQgetlength(r, row, col)));
}

RawParent parent_of(const PGresult* r, int row) {
    return RawParent{integer(r, row, 0), text(r, row, 1),
                     parse_timestamp(std::string_view(PQgetvalue(r, row, 2), static_cast<std::size_t>(PQgetlength(r, row, 2)))),
                     {}};
}

class Pg {
public:
    explicit Pg(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
        if (PQstatus(c_) != CONNECTION_OK) {
            std::string why = PQerrorMessage(c_);
            PQfinish(c_);
            throw std::runtime_error("libpq: cannot connect: " + why);
        }
    }
    ~Pg() { PQfinish(c_); }
    Pg(const Pg&) = delete;
    Pg& operator=(const Pg&) = delete;
    PGconn* get() const { return c_; }

    [[noreturn]] void fail(const char* what) const { throw std::runtime_error(std::string("libpq: ") + what + ": " + PQerrorMessage(c_)); }

    Res exec(const char* sql, ExecStatusType want = PGRES_COMMAND_OK) {
        Res r(PQexec(c_, sql));
        if (PQresultStatus(r.get()) != want) fail(sql);
        return r;
    }
    void prepare(const char* name, const std::string& sql) {
        Res r(PQprepare(c_, name, sql.c_str(), 0, nullptr));
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail("prepare");
    }

    /// Runs `count` statements in pipeline mode: send(i) queues the i-th, and
    /// each of its results goes to on_result(i, result).
    void pipelined(std::size_t count, const std::function<void(std::size_t)>& send,
                   const std::function<void(std::size_t, const PGresult*)>& on_result) {
        if (!PQenterPipelineMode(c_)) fail("enter pipeline mode");
        for (std::size_t from = 0; from < count; from += pipeline_chunk) {
            std::size_t to = std::min(count, from + pipeline_chunk);
            for (std::size_t i = from; i < to; ++i) send(i);
            if (!PQpipelineSync(c_)) fail("pipeline sync");
            for (std::size_t i = from; i < to; ++i) {
                Res r(PQgetResult(c_));
                auto st = PQresultStatus(r.get());
                if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) fail("pipelined statement");
                on_result(i, r.get());
                Res end(PQgetResult(c_));  // the null that ends each statement's results
                if (end) fail("more than one result");
            }
            Res sync(PQgetResult(c_));
            if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) fail("pipeline sync result");
        }
        if (!PQexitPipelineMode(c_)) fail("exit pipeline mode");
    }

    void send_prepared(const char* name, const std::vector<const char*>& values) {
        if (!PQsendQueryPrepared(c_, name, static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0))
            fail("send");
    }

private:
    PGconn* c_;
};

std::size_t changed_rows(const PGresult* r) {
    std::size_t n = 0;
    const char* t = PQcmdTuples(const_cast<PGresult*>(r));
    std::from_chars(t, t + std::char_traits<char>::length(t), n);
    return n;
}

/// A client of the concurrent phase: a connection of its own, its statements
/// prepared. A read is one prepared SELECT; a write two pipelines: BEGIN and
/// the SELECT, then the UPDATE and COMMIT.
struct Client {
    explicit Client(const std::string& conninfo) : pg(conninfo) {
        pg.prepare("get", "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = $1");
        pg.prepare("upd", "UPDATE a SET data = $1 WHERE a.id = $2");
    }

    void operation(const Workload& w, const std::vector<std::int64_t>& ids, std::size_t k) {
        std::string key = std::to_string(ids[w.concurrent_parent(k)]);
        std::vector<const char*> values{key.c_str()};
        RawParent p;
        auto read = [&](std::size_t, const PGresult* r) {
            if (PQntuples(r) == 1) p = parent_of(r, 0);
        };
        if (!w.is_write(k)) {
            Res r(PQexecPrepared(pg.get(), "get", 1, values.data(), nullptr, nullptr, 0));
            if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) pg.fail("get");
            read(0, r.get());
            expect(p.id != 0, "concurrent get missed a row");
            return;
        }
        auto plain = [&](const char* sql) {
            if (!PQsendQueryParams(pg.get(), sql, 0, nullptr, nullptr, nullptr, nullptr, 0)) pg.fail("send");
        };
        pg.pipelined(2, [&](std::size_t i) { i == 0 ? plain("BEGIN") : pg.send_prepared("get", values); }, read);
        expect(p.id != 0, "concurrent get missed a row");
        p.data = Workload::concurrent_data(k);
        std::vector<const char*> change{p.data->c_str(), key.c_str()};
        std::size_t changed = 0;
        pg.pipelined(
            2, [&](std::size_t i) { i == 0 ? pg.send_prepared("upd", change) : plain("COMMIT"); },
            [&](std::size_t i, const PGresult* r) { changed += i == 0 ? changed_rows(r) : 0; });
        expect(changed == 1, "concurrent update missed its row");
    }

    Pg pg;
};

class LibpqRunner final : public Runner {
public:
    explicit LibpqRunner(const std::string& conninfo) : conninfo_(conninfo), pg_(conninfo) {}
    std::string name() const override { return "libpq"; }


private:
    /// Prepares `sql` once per connection under `name`.
    const char* prepared(const char* name, const std::string& sql) {
        if (prepared_.emplace(name).second) pg_.prepare(name, sql);
        return name;
    }

    /// Multi-row INSERT of `rows` rows of `width` values each (RETURNING id
    /// when `returning`), prepared once per (table, rows, returning).
    const char* insert_statement(const std::string& table, const char* columns, std::size_t width, std::size_t rows,
                                 bool returning = true) {
        auto& name = insert_names_[table + "/" + std::to_string(rows) + (returning ? "/r" : "")];
        if (name.empty()) {
            name = "ins_" + table + "_" + std::to_string(rows) + (returning ? "_r" : "");
            std::string sql = "INSERT INTO " + table + " (" + columns + ") VALUES ";
            for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", (" : "(") + placeholders(width, "$", r * width + 1) + ")";
            if (returning) sql += " RETURNING id";
            pg_.prepare(name.c_str(), sql);
        }
        return name.c_str();
    }

    /// Prepares the statements inserting `total` rows in batches of insert_rows.
    void prepare_inserts(const std::string& table, const char* columns, std::size_t width, std::size_t total, bool returning = true) {
        if (total >= insert_rows) insert_statement(table, columns, width, insert_rows, returning);
        if (total % insert_rows) insert_statement(table, columns, width, total % insert_rows, returning);
    }

    std::size_t insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = make_parents(w);
        pg_.exec("BEGIN");
        // Parents first, every batch in one pipeline; then the children, who need their ids.
        std::size_t batches = (parents.size() + insert_rows - 1) / insert_rows;
        std::vector<const char*> values;
        prepare_inserts("a", "data", 1, parents.size());  // (no synchronous call inside a pipeline)
        pg_.pipelined(
            batches,
            [&](std::size_t b) {
                std::size_t from = b * insert_rows, n = std::min(insert_rows, parents.size() - from);
                values.clear();
                for (std::size_t k = 0; k < n; ++k) values.push_back(parents[from + k].data->c_str());
                pg_.send_prepared(insert_statement("a", "data", 1, n), values);
            },
            [&](std::size_t b, const PGresult* r) {
                for (int k = 0; k < PQntuples(r); ++k) parents[b * insert_rows + static_cast<std::size_t>(k)].id = integer(r, k, 0);
            });
        std::vector<RawChild*> children;
        for (auto& p : parents)
            for (auto& c : p.children) {
                c.a_id = p.id;
                children.push_back(&c);
            }
        std::vector<std::string> a_ids(children.size());
        for (std::size_t i = 0; i < children.size(); ++i) a_ids[i] = std::to_string(children[i]->a_id);
        batches = (children.size() + insert_rows - 1) / insert_rows;
        prepare_inserts("b", "a_id, data", 2, children.size());
        pg_.pipelined(
            batches,
            [&](std::size_t b) {
                std::size_t from = b * insert_rows, n = std::min(insert_rows, children.size() - from);
                values.clear();
                for (std::size_t k = 0; k < n; ++k) {
                    values.push_back(a_ids[from + k].c_str());
                    values.push_back(children[from + k]->data->c_str());
                }
                pg_.send_prepared(insert_statement("b", "a_id, data", 2, n), values);
            },
            [&](std::size_t b, const PGresult* r) {
                for (int k = 0; k < PQntuples(r); ++k) children[b * insert_rows + static_cast<std::size_t>(k)]->id = integer(r, k, 0);
            });
        pg_.exec("COMMIT");
        watch.stop();
        expect(parents.back().id != 0 && parents.back().children.back().id != 0, "insert left ids unset");
        return w.rows();
    }

    std::vector<RawParent> parents_query() {
        auto r = pg_.exec("SELECT a.id, a.data, a.create_date FROM a", PGRES_TUPLES_OK);
        std::vector<RawParent> parents;
        parents.reserve(static_cast<std::size_t>(PQntuples(r.get())));
        for (int i = 0; i < PQntuples(r.get()); ++i) parents.push_back(parent_of(r.get(), i));
        return parents;
    }

    std::size_t load_selectin(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = parents_query();
        std::unordered_map<std::int64_t, std::size_t> index;
        index.reserve(parents.size());
        std::vector<std::string> ids(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) {
            index.emplace(parents[i].id, i);
            ids[i] = std::to_string(parents[i].id);
        }
        std::size_t batches = (parents.size() + selectin_batch - 1) / selectin_batch, children = 0;
        std::vector<const char*> values;
        const char* full = prepared("selectin", "SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (" + placeholders(selectin_batch, "$") + ")");
        pg_.pipelined(
            batches,
            [&](std::size_t b) {
                std::size_t from = b * selectin_batch, n = std::min(selectin_batch, parents.size() - from);
                values.clear();
                for (std::size_t k = 0; k < n; ++k) values.push_back(ids[from + k].c_str());
                // Every full batch reuses one prepared statement; the last, shorter one goes as it is.
                if (n == selectin_batch) pg_.send_prepared(full, values);
                else if (!PQsendQueryParams(pg_.get(),
                                            ("SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (" + placeholders(n, "$") + ")").c_str(),
                                            static_cast<int>(n), nullptr, values.data(), nullptr, nullptr, 0))
                    pg_.fail("send");
            },
            [&](std::size_t, const PGresult* r) {
                for (int k = 0; k < PQntuples(r); ++k) {
                    parents[index.at(integer(r, k, 1))].children.push_back(RawChild{integer(r, k, 0), integer(r, k, 1), text(r, k, 2)});
                    ++children;
                }
            });
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "selectin found other rows");
        return parents.size() + children;
    }

    std::size_t load_joined(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto r = pg_.exec("SELECT a.id, a.data, a.create_date, b.id, b.a_id, b.data FROM a LEFT OUTER JOIN b ON a.id = b.a_id",
                          PGRES_TUPLES_OK);
        std::vector<RawParent> parents;
        std::unordered_map<std::int64_t, std::size_t> index;
        std::size_t children = 0;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            auto [at, fresh] = index.emplace(integer(r.get(), i, 0), parents.size());
            if (fresh) parents.push_back(parent_of(r.get(), i));
            if (!PQgetisnull(r.get(), i, 3)) {
                parents[at->second].children.push_back(RawChild{integer(r.get(), i, 3), integer(r.get(), i, 4), text(r.get(), i, 5)});
                ++children;
            }
        }
        r.reset();
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "joined found other rows");
        return parents.size() + children;
    }

    std::size_t stream(const Workload& w, Stopwatch& watch) override {
        // A server-side cursor read 1,000 rows per FETCH (Retort's chunk): much
        // faster than single-row mode, which makes a PGresult per row.
        watch.start();
        pg_.exec("BEGIN");
        pg_.exec("DECLARE parents NO SCROLL CURSOR FOR SELECT a.id, a.data, a.create_date FROM a");
        std::size_t rows = 0;
        for (;;) {
            auto r = pg_.exec("FETCH FORWARD 1000 FROM parents", PGRES_TUPLES_OK);
            for (int i = 0; i < PQntuples(r.get()); ++i) {
                RawParent p = parent_of(r.get(), i);
                rows += p.data ? 1 : 0;
            }
            if (PQntuples(r.get()) < 1000) break;
        }
        pg_.exec("CLOSE parents");
        pg_.exec("COMMIT");
        watch.stop();
        expect(rows == w.parents, "stream found other rows");
        return rows;
    }

    std::vector<std::int64_t> ids(const char* sql) {
        auto r = pg_.exec(sql, PGRES_TUPLES_OK);
        std::vector<std::int64_t> out;
        for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(integer(r.get(), i, 0));
        return out;
    }

    /// Runs the prepared one-parameter statement `name` once per id, pipelined; returns the rows it changed.
    std::size_t per_id(const char* name, const std::vector<std::int64_t>& ids, const std::vector<std::string>* data = nullptr) {
        std::vector<std::string> keys(ids.size());
        for (std::size_t i = 0; i < ids.size(); ++i) keys[i] = std::to_string(ids[i]);
        std::size_t changed = 0;
        std::vector<const char*> values;
        pg_.pipelined(
            ids.size(),
            [&](std::size_t i) {
                values.clear();
                if (data) values.push_back((*data)[i].c_str());
                values.push_back(keys[i].c_str());
                pg_.send_prepared(name, values);
            },
            [&](std::size_t, const PGresult* r) { changed += changed_rows(r); });
        return changed;
    }

    std::size_t update(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        watch.start();
        std::vector<std::string> data(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) data[i] = Workload::updated_data(i);
        pg_.exec("BEGIN");
        auto changed = per_id(prepared("upd", "UPDATE a SET data = $1 WHERE a.id = $2"), parents, &data);
        pg_.exec("COMMIT");
        watch.stop();
        expect(changed == w.parents, "update changed other rows");
        return changed;
    }

    std::size_t get(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "get found other rows");
        const char* name = prepared("get", "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = $1");
        watch.start();
        std::size_t found = 0;
        for (std::size_t k = 0; k < w.gets; ++k) {
            std::string key = std::to_string(parents[(k * 7919) % parents.size()]);
            const char* value = key.c_str();
            Res r(PQexecPrepared(pg_.get(), name, 1, &value, nullptr, nullptr, 0));
            if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) pg_.fail("get");
            if (PQntuples(r.get()) == 1) {
                RawParent p = parent_of(r.get(), 0);
                found += p.id ? 1 : 0;
            }
        }
        watch.stop();
        expect(found == w.gets, "get missed rows");
        return found;
    }

    std::size_t remove(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a");
        auto children = ids("SELECT id FROM b");
        watch.start();
        pg_.exec("BEGIN");
        std::size_t gone = per_id(prepared("del_b", "DELETE FROM b WHERE b.id = $1"), children);
        gone += per_id(prepared("del_a", "DELETE FROM a WHERE a.id = $1"), parents);
        pg_.exec("COMMIT");
        watch.stop();
        expect(gone == w.rows(), "delete removed other rows");
        return gone;
    }

    std::size_t concurrent(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "concurrent found other rows");
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t t = 0; t < w.connections; ++t) clients.push_back(std::make_unique<Client>(conninfo_));
        return run_clients(
            w, watch, clients, [&](Client& c, std::size_t k) { c.operation(w, parents, k); },
            // A failure may leave it in pipeline mode with results unread, where
            // no ROLLBACK can be sent: a new session ends the old one's transaction.
            [](Client& c) { PQreset(c.pg.get()); });
    }

    std::size_t core_insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        std::vector<std::string> data(w.core_rows());
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = Workload::core_data(i);
        pg_.exec("BEGIN");
        std::size_t batches = (data.size() + insert_rows - 1) / insert_rows, written = 0;
        std::vector<const char*> values;
        prepare_inserts("a", "data", 1, data.size(), false);
        pg_.pipelined(
            batches,
            [&](std::size_t b) {
                std::size_t from = b * insert_rows, n = std::min(insert_rows, data.size() - from);
                values.clear();
                for (std::size_t k = 0; k < n; ++k) values.push_back(data[from + k].c_str());
                pg_.send_prepared(insert_statement("a", "data", 1, n, false), values);
            },
            [&](std::size_t, const PGresult* r) { written += changed_rows(r); });
        pg_.exec("COMMIT");
        watch.stop();
        expect(written == w.core_rows(), "core insert wrote other rows");
        return written;
    }

    std::size_t core_select(const Workload& w, Stopwatch& watch) override {
        return select_every_row(w, watch, [&] { return parents_query(); });
    }

    std::string conninfo_;
    Pg pg_;
    std::set<std::string> prepared_;
    std::unordered_map<std::string, std::string> insert_names_;
};

}  // namespace

std::unique_ptr<Runner> make_libpq_runner(const std::string& conninfo) { return std::make_unique<LibpqRunner>(conninfo); }

}  // namespace retort::bench
