#include "retort/sql/dml.hpp"

#include "retort/error.hpp"

namespace retort::sql {

namespace {

void check_target(const InsertNode& n, const std::shared_ptr<const ColumnNode>& c) {
    if (c->from.get() != n.table.get())
        throw ArgumentError("column '" + c->name + "' is not a column of '" + n.table->name + "'");
}

std::vector<std::shared_ptr<const ColumnNode>> own_columns(const TableNode& t, const std::vector<Expr>& cols,
                                                           std::string_view what) {
    std::vector<std::shared_ptr<const ColumnNode>> out;
    for (const auto& e : cols) {
        auto c = std::dynamic_pointer_cast<const ColumnNode>(e.node());
        if (!c || c->from.get() != &t)
            throw ArgumentError(std::string(what) + ": every column must belong to table '" + t.name + "'");
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace

Insert insert(const Table& table) {
    auto n = std::make_shared<InsertNode>();
    n->table = table.table_node();
    return Insert(std::move(n));
}

std::vector<Assignment> given_assignments(std::initializer_list<const Assignment*> all) {
    std::vector<Assignment> out;
    for (const Assignment* a : all)
        if (!a->empty()) out.push_back(*a);
    return out;
}

// The parameter list again, without its default arguments (definitions must not repeat them).
#define RETORT_ASSIGNMENT_DEFINITION                                                                      \
    Assignment a1, Assignment a2, Assignment a3, Assignment a4, Assignment a5, Assignment a6, Assignment a7, \
        Assignment a8, Assignment a9, Assignment a10, Assignment a11, Assignment a12, Assignment a13,        \
        Assignment a14, Assignment a15, Assignment a16
#define RETORT_ASSIGNMENT_ADDRESSES \
    {&a1, &a2, &a3, &a4, &a5, &a6, &a7, &a8, &a9, &a10, &a11, &a12, &a13, &a14, &a15, &a16}

Insert Insert::values(RETORT_ASSIGNMENT_DEFINITION) const { return values(given_assignments(RETORT_ASSIGNMENT_ADDRESSES)); }

Insert Insert::values(const std::vector<Assignment>& row) const {
    auto n = std::make_shared<InsertNode>(*node_);
    if (n->rows.size() > 1) throw ArgumentError("values() on a multi-row INSERT: use rows() for all rows");
    if (n->rows.empty()) n->rows.emplace_back();
    // A second values() call merges into the row, as in SQLAlchemy.
    for (const auto& a : row) {
        check_target(*n, a.column);
        bool replaced = false;
        for (std::size_t i = 0; i < n->columns.size(); ++i) {
            if (n->columns[i]->index == a.column->index) {
                n->rows[0][i] = a.value;
                replaced = true;
            }
        }
        if (!replaced) {
            n->columns.push_back(a.column);
            n->rows[0].push_back(a.value);
        }
    }
    return Insert(std::move(n));
}

Insert Insert::rows(const std::vector<std::vector<Assignment>>& rows) const {
    auto n = std::make_shared<InsertNode>(*node_);
    if (!n->rows.empty()) throw ArgumentError("rows() on an INSERT that already has values");
    if (rows.empty()) throw ArgumentError("rows() needs at least one row");
    for (const auto& a : rows.front()) {
        check_target(*n, a.column);
        n->columns.push_back(a.column);
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const auto& row = rows[r];
        if (row.size() != n->columns.size())
            throw ArgumentError("row " + std::to_string(r + 1) + " of a multi-row INSERT names " +
                                std::to_string(row.size()) + " columns, the first row " + std::to_string(n->columns.size()));
        std::vector<ExprPtr> values(n->columns.size());
        for (std::size_t k = 0; k < row.size(); ++k) {
            // Rows may list their columns in any order; align them on the first row's.
            std::size_t pos = n->columns.size();
            for (std::size_t i = 0; i < n->columns.size(); ++i)
                if (n->columns[i]->index == row[k].column->index) pos = i;
            if (pos == n->columns.size() || values[pos])
                throw ArgumentError("row " + std::to_string(r + 1) + " of a multi-row INSERT does not name the same columns as the first row");
            values[pos] = row[k].value;
        }
        n->rows.push_back(std::move(values));
    }
    return Insert(std::move(n));
}

Insert Insert::from_select_columns(const Select& select, const std::vector<Expr>& columns) const {
    auto n = std::make_shared<InsertNode>(*node_);
    n->columns = own_columns(*n->table, columns, "INSERT ... SELECT");
    if (select.node().column_count() != n->columns.size())
        throw ArgumentError("INSERT ... SELECT: the select returns " + std::to_string(select.node().column_count()) +
                            " columns for " + std::to_string(n->columns.size()) + " target columns");
    n->rows.clear();
    n->from_select = select.select_node();
    return Insert(std::move(n));
}

std::vector<std::shared_ptr<const ColumnNode>> Insert::conflict_target(const std::vector<Expr>& columns) const {
    if (columns.empty()) throw ArgumentError("on_conflict() needs the columns of a unique key");
    return own_columns(*node_->table, columns, "on_conflict");
}

Insert OnConflict::do_nothing() const {
    auto n = std::make_shared<InsertNode>(*node_);
    n->upsert = UpsertClause{columns_, {}, nullptr};
    return Insert(std::move(n));
}

Insert OnConflict::do_update(RETORT_ASSIGNMENT_DEFINITION) const { return do_update(given_assignments(RETORT_ASSIGNMENT_ADDRESSES)); }

Insert OnConflict::do_update(const std::vector<Assignment>& set) const {
    auto n = std::make_shared<InsertNode>(*node_);
    UpsertClause u{columns_, {}, nullptr};
    if (set.empty()) throw ArgumentError("do_update() needs at least one column to set");
    for (const auto& a : set) {
        check_target(*n, a.column);
        u.set.emplace_back(a.column, a.value);
    }
    n->upsert = std::move(u);
    return Insert(std::move(n));
}

Update update(const Table& table) {
    auto n = std::make_shared<UpdateNode>();
    n->table = table.table_node();
    return Update(std::move(n));
}

Update Update::values(RETORT_ASSIGNMENT_DEFINITION) const { return values(given_assignments(RETORT_ASSIGNMENT_ADDRESSES)); }

Update Update::values(const std::vector<Assignment>& set) const {
    auto n = std::make_shared<UpdateNode>(*node_);
    for (const auto& a : set) {
        if (a.column->from.get() != n->table.get())
            throw ArgumentError("column '" + a.column->name + "' is not a column of '" + n->table->name + "'");
        n->set.emplace_back(a.column, a.value);
    }
    return Update(std::move(n));
}

Delete delete_(const Table& table) {
    auto n = std::make_shared<DeleteNode>();
    n->table = table.table_node();
    return Delete(std::move(n));
}

Statement create_table(const Table& table, bool if_not_exists) {
    return Statement(std::make_shared<CreateTableNode>(table.table_node(), if_not_exists));
}

Statement drop_table(const Table& table, bool if_exists) {
    return Statement(std::make_shared<DropTableNode>(table.table_node(), if_exists));
}

std::vector<Statement> create_indexes(const Table& table) {
    std::vector<Statement> out;
    for (std::size_t i = 0; i < table.table().indexes.size(); ++i)
        out.emplace_back(std::make_shared<CreateIndexNode>(table.table_node(), i));
    return out;
}

}  // namespace retort::sql
