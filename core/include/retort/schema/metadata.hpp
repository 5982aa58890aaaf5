// MetaData: the collection of tables an application declares, and the
// create_all()/drop_all() that turn it into a database schema.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "retort/sql/table.hpp"

namespace retort {

class Connection;

class MetaData {
public:
    MetaData() = default;
    /// Breaks the reference cycles a table's own expressions make (a CHECK
    /// condition names the table's columns, which point back at the table).
    /// Statements built from these tables stay valid; their DDL loses the CHECKs.
    ~MetaData();
    MetaData(const MetaData&) = delete;
    MetaData& operator=(const MetaData&) = delete;

    /// The tables in declaration order.
    const std::vector<std::shared_ptr<sql::TableNode>>& tables() const { return tables_; }
    /// The table named `name`; throws ArgumentError if none.
    sql::Table table(std::string_view name) const;

    /// Tables ordered so that every table comes after the tables it references
    /// (self-references aside). Throws ArgumentError naming the tables of a cycle.
    std::vector<std::shared_ptr<const sql::TableNode>> sorted_tables() const;

    /// CREATE TABLE and CREATE INDEX for every table, in dependency order.
    /// With `checkfirst`, tables that already exist are left alone.
    /// Run it inside AsyncConnection::run_sync (it is a blocking function).
    void create_all(Connection& conn, bool checkfirst = true) const;
    /// DROP TABLE for every table, dependants first. With `checkfirst`, missing tables are skipped.
    void drop_all(Connection& conn, bool checkfirst = true) const;

private:
    friend class sql::Table;
    std::vector<std::shared_ptr<sql::TableNode>> tables_;
};

}  // namespace retort
