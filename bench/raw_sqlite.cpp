// The phases written against SQLite's C API as an expert would without an
// ORM: statements prepared once and reused, on the calling thread, one
// transaction per phase.
#include <sqlite3.h>

#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "raw_runners.hpp"

namespace retort::bench {

namespace {

class Db {
public:
    explicit Db(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            throw std::runtime_error("sqlite3: cannot open " + path + ": " + why);
        }
        sqlite3_busy_timeout(db_, 5000);  // (first: the concurrent phase opens 8 at once)
        // What Retort's SQLite driver sets by default, so that both run alike.
        exec("PRAGMA foreign_keys = on");
        exec("PRAGMA journal_mode = wal");
    }
    ~Db() { sqlite3_close_v2(db_); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    void exec(const char* sql) {
        char* error = nullptr;
        if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
            std::string why = error ? error : "?";
            sqlite3_free(error);
            throw std::runtime_error(std::string("sqlite3: ") + sql + ": " + why);
        }
    }
    void fail(const char* what) const { throw std::runtime_error(std::string("sqlite3: ") + what + ": " + sqlite3_errmsg(db_)); }
    sqlite3* get() const { return db_; }

private:
    sqlite3* db_ = nullptr;
};

class Stmt {
public:
    Stmt(Db& db, const std::string& sql) : db_(db) {
        if (sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) != SQLITE_OK) db.fail("prepare");
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
    void bind(int i, const std::optional<std::string>& v) {
        if (v) sqlite3_bind_text(s_, i, v->data(), static_cast<int>(v->size()), SQLITE_STATIC);
        else sqlite3_bind_null(s_, i);
    }
    /// Steps once: true with a row, false when done.
    bool step() {
        int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) db_.fail("step");
        return false;
    }
    void run() {
        step();
        sqlite3_reset(s_);
    }
    void reset() { sqlite3_reset(s_); }
    bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
    std::int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
    std::optional<std::string> text(int col) const {
        auto* p = sqlite3_column_text(s_, col);
        if (!p) return std::nullopt;
        return std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)));
    }
    std::string_view view(int col) const {
        auto* p = sqlite3_column_text(s_, col);
        return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
                 : std::string_view();
    }

private:
    Db& db_;
    sqlite3_stmt* s_ = nullptr;
};

RawParent parent_of(const Stmt& s) {
    return RawParent{s.integer(0), s.text(1), parse_timestamp(s.view(2)), {}};
}

/// A client of the concurrent phase: a connection of its own and its statements.
/// Writes take the write lock up front (BEGIN IMMEDIATE), as an expert would:
/// a deferred transaction upgrading from reading can fail at once with BUSY.
/// And they queue on `writer` first: SQLite's busy handler waits by sleeping
/// (1, 2, 5, 10 ms...), so threads of one process take turns on a mutex instead.
struct Client {
    explicit Client(const std::string& path)
        : db(path), get(db, "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ?"),
          update(db, "UPDATE a SET data = ? WHERE a.id = ?") {}

    void operation(const Workload& w, const std::vector<std::int64_t>& ids, std::size_t k, std::mutex& writer) {
        bool write = w.is_write(k);
        std::unique_lock<std::mutex> turn(writer, std::defer_lock);
        if (write) {
            turn.lock();
            db.exec("BEGIN IMMEDIATE");
        }
        get.bind(1, ids[w.concurrent_parent(k)]);
        expect(get.step(), "concurrent get missed a row");
        RawParent p = parent_of(get);
        get.reset();
        if (write) {
            p.data = Workload::concurrent_data(k);
            update.bind(1, p.data);
            update.bind(2, p.id);
            update.run();
            expect(sqlite3_changes(db.get()) == 1, "concurrent update missed its row");
            db.exec("COMMIT");
        }
    }

    Db db;
    Stmt get, update;
};

class SqliteRunner final : public Runner {
public:
    explicit SqliteRunner(const std::string& path) : path_(path), db_(path) {}
    std::string name() const override { return "sqlite3 C API"; }

private:
    std::size_t insert(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        watch.start();
        auto parents = make_parents(w);
        Stmt a(db, "INSERT INTO a (data) VALUES (?)");
        Stmt b(db, "INSERT INTO b (a_id, data) VALUES (?, ?)");
        db.exec("BEGIN");
        for (auto& p : parents) {
            a.bind(1, p.data);
            a.run();
            p.id = sqlite3_last_insert_rowid(db.get());
            for (auto& c : p.children) {
                c.a_id = p.id;
                b.bind(1, c.a_id);
                b.bind(2, c.data);
                b.run();
                c.id = sqlite3_last_insert_rowid(db.get());
            }
        }
        db.exec("COMMIT");
        watch.stop();
        return w.rows();
    }

    std::size_t load_selectin(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        watch.start();
        std::vector<RawParent> parents;
        std::unordered_map<std::int64_t, std::size_t> index;
        {
            Stmt a(db, "SELECT a.id, a.data, a.create_date FROM a");
            while (a.step()) {
                index.emplace(a.integer(0), parents.size());
                parents.push_back(parent_of(a));
            }
        }
        std::size_t children = 0;
        for (std::size_t from = 0; from < parents.size(); from += selectin_batch) {
            std::size_t n = std::min(selectin_batch, parents.size() - from);
            Stmt b(db, "SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (" + placeholders(n, "?") + ")");
            for (std::size_t k = 0; k < n; ++k) b.bind(static_cast<int>(k + 1), parents[from + k].id);
            while (b.step()) {
                parents[index.at(b.integer(1))].children.push_back(RawChild{b.integer(0), b.integer(1), b.text(2)});
                ++children;
            }
        }
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "selectin found other rows");
        return parents.size() + children;
    }

    std::size_t load_joined(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        watch.start();
        std::vector<RawParent> parents;
        std::unordered_map<std::int64_t, std::size_t> index;
        std::size_t children = 0;
        Stmt j(db, "SELECT a.id, a.data, a.create_date, b.id, b.a_id, b.data FROM a LEFT OUTER JOIN b ON a.id = b.a_id");
        while (j.step()) {
            auto [at, fresh] = index.emplace(j.integer(0), parents.size());
            if (fresh) parents.push_back(parent_of(j));
            if (!j.is_null(3)) {
                parents[at->second].children.push_back(RawChild{j.integer(3), j.integer(4), j.text(5)});
                ++children;
            }
        }
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "joined found other rows");
        return parents.size() + children;
    }

    std::size_t stream(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        watch.start();
        std::size_t rows = 0;
        Stmt a(db, "SELECT a.id, a.data, a.create_date FROM a");
        while (a.step()) {
            RawParent p = parent_of(a);
            rows += p.data ? 1 : 0;
        }
        watch.stop();
        expect(rows == w.parents, "stream found other rows");
        return rows;
    }

    std::vector<std::int64_t> ids(Db& db, const char* sql) {
        std::vector<std::int64_t> out;
        Stmt s(db, sql);
        while (s.step()) out.push_back(s.integer(0));
        return out;
    }

    std::size_t update(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        auto parents = ids(db, "SELECT id FROM a ORDER BY id");
        watch.start();
        Stmt u(db, "UPDATE a SET data = ? WHERE a.id = ?");
        db.exec("BEGIN");
        std::size_t changed = 0;
        for (std::size_t i = 0; i < parents.size(); ++i) {
            std::optional<std::string> data = Workload::updated_data(i);
            u.bind(1, data);
            u.bind(2, parents[i]);
            u.run();
            changed += static_cast<std::size_t>(sqlite3_changes(db.get()));
        }
        db.exec("COMMIT");
        watch.stop();
        expect(changed == w.parents, "update changed other rows");
        return changed;
    }

    std::size_t get(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        auto parents = ids(db, "SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "get found other rows");
        watch.start();
        Stmt g(db, "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ?");
        std::size_t found = 0;
        for (std::size_t k = 0; k < w.gets; ++k) {
            g.bind(1, parents[(k * 7919) % parents.size()]);
            if (g.step()) {
                RawParent p = parent_of(g);
                found += p.id ? 1 : 0;
            }
            g.reset();
        }
        watch.stop();
        expect(found == w.gets, "get missed rows");
        return found;
    }

    std::size_t remove(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        auto parents = ids(db, "SELECT id FROM a");
        auto children = ids(db, "SELECT id FROM b");
        watch.start();
        Stmt b(db, "DELETE FROM b WHERE b.id = ?");
        Stmt a(db, "DELETE FROM a WHERE a.id = ?");
        db.exec("BEGIN");
        std::size_t gone = 0;
        for (auto id : children) {
            b.bind(1, id);
            b.run();
            gone += static_cast<std::size_t>(sqlite3_changes(db.get()));
        }
        for (auto id : parents) {
            a.bind(1, id);
            a.run();
            gone += static_cast<std::size_t>(sqlite3_changes(db.get()));
        }
        db.exec("COMMIT");
        watch.stop();
        expect(gone == w.rows(), "delete removed other rows");
        return gone;
    }

    std::size_t concurrent(const Workload& w, Stopwatch& watch) override {
        auto parents = ids(db_, "SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "concurrent found other rows");
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t t = 0; t < w.connections; ++t) clients.push_back(std::make_unique<Client>(path_));
        std::mutex writer;
        return run_clients(
            w, watch, clients, [&](Client& c, std::size_t k) { c.operation(w, parents, k, writer); },
            [](Client& c) { sqlite3_exec(c.db.get(), "ROLLBACK", nullptr, nullptr, nullptr); });
    }

    std::size_t core_insert(const Workload& w, Stopwatch& watch) override {
        Db& db = db_;
        watch.start();
        Stmt a(db, "INSERT INTO a (data) VALUES (?)");
        db.exec("BEGIN");
        std::size_t written = 0;
        for (std::size_t i = 0; i < w.core_rows(); ++i) {
            std::optional<std::string> data = Workload::core_data(i);
            a.bind(1, data);
            a.run();
            written += static_cast<std::size_t>(sqlite3_changes(db.get()));
        }
        db.exec("COMMIT");
        watch.stop();
        expect(written == w.core_rows(), "core insert wrote other rows");
        return written;
    }

    std::size_t core_select(const Workload& w, Stopwatch& watch) override {
        return select_every_row(w, watch, [&] {
            std::vector<RawParent> rows;
            Stmt a(db_, "SELECT a.id, a.data, a.create_date FROM a");
            while (a.step()) rows.push_back(parent_of(a));
            return rows;
        });
    }

    std::string path_;
    Db db_;
};

}  // namespace

std::unique_ptr<Runner> make_sqlite_runner(const std::string& path) { return std::make_unique<SqliteRunner>(path); }

}  // namespace retort::bench
