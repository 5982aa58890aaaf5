// The phases written against MariaDB Connector/C as an expert would without an
// ORM: prepared statements (binary protocol) reused, multi-row INSERT ...
// RETURNING, array binding (one execution for every row) for UPDATE and
// DELETE, rows fetched unbuffered into bound buffers.
#include <mysql.h>

#include <cstring>
#include <unordered_map>

#include "raw_runners.hpp"

namespace retort::bench {

namespace {

constexpr std::size_t insert_rows = 1000;  // rows per multi-row INSERT

std::chrono::sys_time<std::chrono::microseconds> from_mysql(const MYSQL_TIME& t) {
    using namespace std::chrono;
    auto day = sys_days(year_month_day{year(static_cast<int>(t.year)), month(t.month), std::chrono::day(t.day)});
    return time_point_cast<microseconds>(day + hours(t.hour) + minutes(t.minute) + seconds(t.second)) + microseconds(t.second_part);
}

class Statement {
public:
    Statement(MYSQL* m, const std::string& sql) : s_(mysql_stmt_init(m)) {
        if (!s_ || mysql_stmt_prepare(s_, sql.c_str(), sql.size())) fail("prepare");
    }
    ~Statement() { mysql_stmt_close(s_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error(std::string("Connector/C: ") + what + ": " + (s_ ? mysql_stmt_error(s_) : "out of memory"));
    }
    MYSQL_STMT* get() const { return s_; }

    /// Executes with `params` (and `rows` parameter sets for array binding, 0: none).
    void execute(std::vector<MYSQL_BIND>& params, unsigned rows = 0) {
        if (rows) {
            if (mysql_stmt_attr_set(s_, STMT_ATTR_ARRAY_SIZE, &rows)) fail("array size");
        }
        if (!params.empty() && mysql_stmt_bind_param(s_, params.data())) fail("bind");
        if (mysql_stmt_execute(s_)) fail("execute");
    }
    void bind_result(std::vector<MYSQL_BIND>& out) {
        if (mysql_stmt_bind_result(s_, out.data())) fail("bind result");
    }
    /// The next row into the bound buffers: false when there is none.
    bool fetch() {
        int rc = mysql_stmt_fetch(s_);
        if (rc == MYSQL_NO_DATA) return false;
        if (rc == 1) fail("fetch");
        return true;  // (MYSQL_DATA_TRUNCATED cannot happen: buffers fit the columns)
    }

private:
    MYSQL_STMT* s_;
};

MYSQL_BIND bind_int(std::int64_t* v) {
    MYSQL_BIND b{};
    b.buffer_type = MYSQL_TYPE_LONGLONG;
    b.buffer = v;
    return b;
}

MYSQL_BIND bind_text(const std::string& s) {
    MYSQL_BIND b{};
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = const_cast<char*>(s.data());
    b.buffer_length = s.size();
    return b;
}

/// Result buffers of one column of each kind the phases read.
struct IntOut {
    std::int64_t value = 0;
    my_bool null = 0;
    MYSQL_BIND bind() {
        MYSQL_BIND b = bind_int(&value);
        b.is_null = &null;
        return b;
    }
};
struct TextOut {
    char buffer[256];  // VARCHAR(50) in up to 4 bytes a character
    unsigned long length = 0;
    my_bool null = 0;
    MYSQL_BIND bind() {
        MYSQL_BIND b{};
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = buffer;
        b.buffer_length = sizeof buffer;
        b.length = &length;
        b.is_null = &null;
        return b;
    }
    std::optional<std::string> get() const { return null ? std::nullopt : std::optional<std::string>(std::string(buffer, length)); }
};
struct TimeOut {
    MYSQL_TIME value{};
    my_bool null = 0;
    MYSQL_BIND bind() {
        MYSQL_BIND b{};
        b.buffer_type = MYSQL_TYPE_DATETIME;
        b.buffer = &value;
        b.is_null = &null;
        return b;
    }
};

/// The bound row of `a.id, a.data, a.create_date`.
struct ParentOut {
    IntOut id;
    TextOut data;
    TimeOut created;
    std::vector<MYSQL_BIND> binds() { return {id.bind(), data.bind(), created.bind()}; }
    RawParent get() const { return RawParent{id.value, data.get(), from_mysql(created.value), {}}; }
};
/// The bound row of `b.id, b.a_id, b.data`.
struct ChildOut {
    IntOut id, a_id;
    TextOut data;
    std::vector<MYSQL_BIND> binds() { return {id.bind(), a_id.bind(), data.bind()}; }
    RawChild get() const { return RawChild{id.value, a_id.value, data.get()}; }
};

/// Column-wise array binding of variable-length texts: an array of pointers
/// and one of lengths, which `texts` and `lengths` keep.
MYSQL_BIND bind_texts(const std::vector<std::string>& data, std::vector<const char*>& texts, std::vector<unsigned long>& lengths) {
    texts.clear();
    lengths.clear();
    for (const auto& d : data) {
        texts.push_back(d.data());
        lengths.push_back(d.size());
    }
    MYSQL_BIND b{};
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = texts.data();
    b.length = lengths.data();
    return b;
}

/// An open connection, closed with its owner.
class Connection {
public:
    explicit Connection(const MysqlTarget& t) : m_(mysql_init(nullptr)) {
        if (!m_) throw std::runtime_error("Connector/C: out of memory");
        if (!mysql_real_connect(m_, t.host.c_str(), t.user.c_str(), t.password.c_str(), t.database.c_str(), t.port,
                                t.unix_socket.empty() ? nullptr : t.unix_socket.c_str(), 0)) {
            std::string why = mysql_error(m_);
            mysql_close(m_);
            throw std::runtime_error("Connector/C: cannot connect: " + why);
        }
    }
    ~Connection() { mysql_close(m_); }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    MYSQL* get() const { return m_; }
    void query(const char* sql) {
        if (mysql_query(m_, sql)) throw std::runtime_error(std::string("Connector/C: ") + sql + ": " + mysql_error(m_));
    }

private:
    MYSQL* m_;
};

/// A client of the concurrent phase: a connection of its own and its prepared
/// statements. A read is one SELECT (autocommit), a write BEGIN, SELECT, UPDATE, COMMIT.
struct Client {
    explicit Client(const MysqlTarget& target)
        : c(target), get(c.get(), "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ?"),
          update(c.get(), "UPDATE a SET data = ? WHERE a.id = ?"), params{bind_int(&key)}, out(row.binds()) {}

    void operation(const Workload& w, const std::vector<std::int64_t>& ids, std::size_t k) {
        bool write = w.is_write(k);
        key = ids[w.concurrent_parent(k)];
        if (write) c.query("BEGIN");
        get.execute(params);
        get.bind_result(out);
        RawParent p;
        while (get.fetch()) p = row.get();
        expect(p.id != 0, "concurrent get missed a row");
        if (!write) return;
        p.data = Workload::concurrent_data(k);
        std::vector<MYSQL_BIND> change{bind_text(*p.data), bind_int(&p.id)};
        update.execute(change);
        expect(mysql_stmt_affected_rows(update.get()) == 1, "concurrent update missed its row");
        c.query("COMMIT");
    }

    Connection c;
    Statement get, update;  // (closed before their connection)
    std::int64_t key = 0;
    std::vector<MYSQL_BIND> params;
    ParentOut row;
    std::vector<MYSQL_BIND> out;
};

class MariadbRunner final : public Runner {
public:
    explicit MariadbRunner(const MysqlTarget& t) : target_(t), connection_(t), m_(connection_.get()) {}
    std::string name() const override { return "Connector/C"; }


private:
    void query(const char* sql) { connection_.query(sql); }

    /// The prepared multi-row INSERT ... RETURNING id of `rows` rows, kept for reuse.
    Statement& insert_statement(const char* table, const char* columns, std::size_t width, std::size_t rows) {
        auto& s = inserts_[std::string(table) + "/" + std::to_string(rows)];
        if (!s) {
            std::string sql = std::string("INSERT INTO ") + table + " (" + columns + ") VALUES ";
            for (std::size_t r = 0; r < rows; ++r) sql += (r ? ", (" : "(") + placeholders(width, "?") + ")";
            s = std::make_unique<Statement>(m_, sql + " RETURNING id");
        }
        return *s;
    }

    /// Runs an INSERT ... RETURNING id and hands each id to `take`.
    template <class Take>
    void insert_returning(Statement& s, std::vector<MYSQL_BIND>& params, Take take) {
        s.execute(params);
        IntOut id;
        std::vector<MYSQL_BIND> out{id.bind()};
        s.bind_result(out);
        std::size_t k = 0;
        while (s.fetch()) take(k++, id.value);
    }

    std::size_t insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = make_parents(w);
        query("BEGIN");
        std::vector<MYSQL_BIND> params;
        for (std::size_t from = 0; from < parents.size(); from += insert_rows) {
            std::size_t n = std::min(insert_rows, parents.size() - from);
            params.clear();
            for (std::size_t k = 0; k < n; ++k) params.push_back(bind_text(*parents[from + k].data));
            insert_returning(insert_statement("a", "data", 1, n), params,
                             [&](std::size_t k, std::int64_t id) { parents[from + k].id = id; });
        }
        std::vector<RawChild*> children;
        for (auto& p : parents)
            for (auto& c : p.children) {
                c.a_id = p.id;
                children.push_back(&c);
            }
        for (std::size_t from = 0; from < children.size(); from += insert_rows) {
            std::size_t n = std::min(insert_rows, children.size() - from);
            params.clear();
            for (std::size_t k = 0; k < n; ++k) {
                params.push_back(bind_int(&children[from + k]->a_id));
                params.push_back(bind_text(*children[from + k]->data));
            }
            insert_returning(insert_statement("b", "a_id, data", 2, n), params,
                             [&](std::size_t k, std::int64_t id) { children[from + k]->id = id; });
        }
        query("COMMIT");
        watch.stop();
        expect(parents.back().id != 0 && parents.back().children.back().id != 0, "insert left ids unset");
        return w.rows();
    }

    std::vector<RawParent> parents_query() {
        Statement s(m_, "SELECT a.id, a.data, a.create_date FROM a");
        std::vector<MYSQL_BIND> none;
        s.execute(none);
        ParentOut row;
        auto out = row.binds();
        s.bind_result(out);
        std::vector<RawParent> parents;
        while (s.fetch()) parents.push_back(row.get());
        return parents;
    }

    std::size_t load_selectin(const Workload& w, Stopwatch& watch) override {
        watch.start();
        auto parents = parents_query();
        std::unordered_map<std::int64_t, std::size_t> index;
        index.reserve(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) index.emplace(parents[i].id, i);
        std::size_t children = 0;
        std::unique_ptr<Statement> full;
        std::vector<MYSQL_BIND> params;
        ChildOut row;
        auto out = row.binds();
        for (std::size_t from = 0; from < parents.size(); from += selectin_batch) {
            std::size_t n = std::min(selectin_batch, parents.size() - from);
            std::string sql = "SELECT b.id, b.a_id, b.data FROM b WHERE b.a_id IN (" + placeholders(n, "?") + ")";
            // Every full batch reuses one prepared statement; the last, shorter one has its own.
            std::unique_ptr<Statement> rest;
            Statement& s = n == selectin_batch ? *(full ? full : (full = std::make_unique<Statement>(m_, sql)))
                                               : *(rest = std::make_unique<Statement>(m_, sql));
            params.clear();
            for (std::size_t k = 0; k < n; ++k) params.push_back(bind_int(&parents[from + k].id));
            s.execute(params);
            s.bind_result(out);
            while (s.fetch()) {
                parents[index.at(row.a_id.value)].children.push_back(row.get());
                ++children;
            }
        }
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "selectin found other rows");
        return parents.size() + children;
    }

    std::size_t load_joined(const Workload& w, Stopwatch& watch) override {
        watch.start();
        Statement s(m_, "SELECT a.id, a.data, a.create_date, b.id, b.a_id, b.data FROM a LEFT OUTER JOIN b ON a.id = b.a_id");
        std::vector<MYSQL_BIND> none;
        s.execute(none);
        ParentOut parent;
        ChildOut child;
        auto out = parent.binds();
        for (auto& b : child.binds()) out.push_back(b);
        s.bind_result(out);
        std::vector<RawParent> parents;
        std::unordered_map<std::int64_t, std::size_t> index;
        std::size_t children = 0;
        while (s.fetch()) {
            auto [at, fresh] = index.emplace(parent.id.value, parents.size());
            if (fresh) parents.push_back(parent.get());
            if (!child.id.null) {
                parents[at->second].children.push_back(child.get());
                ++children;
            }
        }
        watch.stop();
        expect(parents.size() == w.parents && children == w.parents * w.children_per_parent, "joined found other rows");
        return parents.size() + children;
    }

    std::size_t stream(const Workload& w, Stopwatch& watch) override {
        watch.start();
        Statement s(m_, "SELECT a.id, a.data, a.create_date FROM a");
        std::vector<MYSQL_BIND> none;
        s.execute(none);
        ParentOut row;
        auto out = row.binds();
        s.bind_result(out);
        std::size_t rows = 0;
        while (s.fetch()) {
            RawParent p = row.get();
            rows += p.data ? 1 : 0;
        }
        watch.stop();
        expect(rows == w.parents, "stream found other rows");
        return rows;
    }

    std::vector<std::int64_t> ids(const char* sql) {
        Statement s(m_, sql);
        std::vector<MYSQL_BIND> none;
        s.execute(none);
        IntOut id;
        std::vector<MYSQL_BIND> out{id.bind()};
        s.bind_result(out);
        std::vector<std::int64_t> all;
        while (s.fetch()) all.push_back(id.value);
        return all;
    }

    /// One array-bound execution of `sql` (`key = ?` last) for every id; returns the rows changed.
    std::size_t per_id(const char* sql, std::vector<std::int64_t>& keys, const std::vector<std::string>* data = nullptr) {
        if (keys.empty()) return 0;
        Statement s(m_, sql);
        std::vector<MYSQL_BIND> params;
        std::vector<const char*> texts;
        std::vector<unsigned long> lengths;
        if (data) params.push_back(bind_texts(*data, texts, lengths));
        params.push_back(bind_int(keys.data()));
        s.execute(params, static_cast<unsigned>(keys.size()));
        return static_cast<std::size_t>(mysql_stmt_affected_rows(s.get()));
    }

    std::size_t update(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        watch.start();
        std::vector<std::string> data(parents.size());
        for (std::size_t i = 0; i < parents.size(); ++i) data[i] = Workload::updated_data(i);
        query("BEGIN");
        auto changed = per_id("UPDATE a SET data = ? WHERE a.id = ?", parents, &data);
        query("COMMIT");
        watch.stop();
        expect(changed == w.parents, "update changed other rows");
        return changed;
    }

    std::size_t get(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "get found other rows");
        Statement s(m_, "SELECT a.id, a.data, a.create_date FROM a WHERE a.id = ?");
        watch.start();
        std::int64_t key = 0;
        std::vector<MYSQL_BIND> params{bind_int(&key)};
        ParentOut row;
        auto out = row.binds();
        std::size_t found = 0;
        for (std::size_t k = 0; k < w.gets; ++k) {
            key = parents[(k * 7919) % parents.size()];
            s.execute(params);
            s.bind_result(out);
            while (s.fetch()) {
                RawParent p = row.get();
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
        query("BEGIN");
        std::size_t gone = per_id("DELETE FROM b WHERE b.id = ?", children);
        gone += per_id("DELETE FROM a WHERE a.id = ?", parents);
        query("COMMIT");
        watch.stop();
        expect(gone == w.rows(), "delete removed other rows");
        return gone;
    }

    std::size_t concurrent(const Workload& w, Stopwatch& watch) override {
        auto parents = ids("SELECT id FROM a ORDER BY id");
        expect(parents.size() == w.parents, "concurrent found other rows");
        std::vector<std::unique_ptr<Client>> clients;
        for (std::size_t t = 0; t < w.connections; ++t) clients.push_back(std::make_unique<Client>(target_));
        return run_clients(
            w, watch, clients, [&](Client& c, std::size_t k) { c.operation(w, parents, k); },
            [](Client& c) { mysql_rollback(c.c.get()); });
    }

    std::size_t core_insert(const Workload& w, Stopwatch& watch) override {
        watch.start();
        std::vector<std::string> data(w.core_rows());
        for (std::size_t i = 0; i < data.size(); ++i) data[i] = Workload::core_data(i);
        query("BEGIN");
        Statement s(m_, "INSERT INTO a (data) VALUES (?)");
        std::vector<const char*> texts;
        std::vector<unsigned long> lengths;
        std::vector<MYSQL_BIND> params{bind_texts(data, texts, lengths)};
        s.execute(params, static_cast<unsigned>(data.size()));
        auto written = static_cast<std::size_t>(mysql_stmt_affected_rows(s.get()));
        query("COMMIT");
        watch.stop();
        expect(written == w.core_rows(), "core insert wrote other rows");
        return written;
    }

    std::size_t core_select(const Workload& w, Stopwatch& watch) override {
        return select_every_row(w, watch, [&] { return parents_query(); });
    }

    MysqlTarget target_;
    Connection connection_;
    MYSQL* m_;
    std::unordered_map<std::string, std::unique_ptr<Statement>> inserts_;  // (closed before their connection)
};

}  // namespace

std::unique_ptr<Runner> make_mariadb_runner(const MysqlTarget& target) { return std::make_unique<MariadbRunner>(target); }

}  // namespace retort::bench
