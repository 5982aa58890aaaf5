#include "retort/schema/metadata.hpp"

#include <algorithm>

#include "retort/engine/connection.hpp"
#include "retort/error.hpp"
#include "retort/plugin/dialect.hpp"

namespace retort {

MetaData::~MetaData() {
    for (auto& t : tables_) {
        t->checks.clear();
        for (auto& c : t->columns) c.server_default.reset();
    }
}

sql::Table MetaData::table(std::string_view name) const {
    for (const auto& t : tables_)
        if (t->name == name) return sql::Table(t);
    throw ArgumentError("no table '" + std::string(name) + "' in this MetaData");
}

std::vector<std::shared_ptr<const sql::TableNode>> MetaData::sorted_tables() const {
    // Kahn's algorithm, taking tables in declaration order whenever several are ready,
    // so that the DDL order is stable and predictable.
    std::vector<std::shared_ptr<const sql::TableNode>> out;
    std::vector<bool> done(tables_.size(), false);
    auto deps_done = [&](const sql::TableNode& t) {
        for (const auto& fk : t.foreign_keys) {
            auto target = fk.target.lock();
            if (!target || target.get() == &t) continue;
            for (std::size_t j = 0; j < tables_.size(); ++j)
                if (tables_[j] == target && !done[j]) return false;
        }
        return true;
    };
    while (out.size() < tables_.size()) {
        bool progress = false;
        for (std::size_t i = 0; i < tables_.size(); ++i) {
            if (done[i] || !deps_done(*tables_[i])) continue;
            done[i] = true;
            out.push_back(tables_[i]);
            progress = true;
            break;
        }
        if (!progress) {
            std::string names;
            for (std::size_t i = 0; i < tables_.size(); ++i)
                if (!done[i]) names += (names.empty() ? "'" : ", '") + tables_[i]->name + "'";
            throw ArgumentError("the foreign keys of tables " + names +
                                " form a cycle, so no creation order satisfies them; "
                                "break the cycle (for example, make one of the keys a plain column)");
        }
    }
    return out;
}

namespace {
bool table_exists(Connection& conn, const sql::TableNode& t) {
    // A name the database cannot take is a CompileError before anything is
    // sent, the lookup by name included.
    conn.dialect().compiler().table_name(t);
    return conn.execute(conn.dialect().has_table_query(t)).first().has_value();
}
}  // namespace

void MetaData::create_all(Connection& conn, bool checkfirst) const {
    for (const auto& t : sorted_tables()) {
        if (checkfirst && table_exists(conn, *t)) continue;
        conn.execute(sql::Statement(std::make_shared<sql::CreateTableNode>(t, false)));
        for (std::size_t i = 0; i < t->indexes.size(); ++i)
            conn.execute(sql::Statement(std::make_shared<sql::CreateIndexNode>(t, i)));
    }
}

void MetaData::drop_all(Connection& conn, bool checkfirst) const {
    auto tables = sorted_tables();
    std::reverse(tables.begin(), tables.end());
    for (const auto& t : tables) {
        if (checkfirst && !table_exists(conn, *t)) continue;
        conn.execute(sql::Statement(std::make_shared<sql::DropTableNode>(t, false)));
    }
}

}  // namespace retort
