#include "minisql_compiler.hpp"

namespace minisql {

using namespace retort;

// Each flag is a promise the conformance kit checks; a flag left false makes
// the core emulate the feature or the kit skip its cases (naming the flag).
sql::Capabilities minisql_capabilities() {
    sql::Capabilities c;
    c.insert_returning = c.update_returning = c.delete_returning = true;  // SQLite 3.35+
    c.multi_row_values = true;
    c.max_rows_per_insert = 500;
    c.max_parameters = 32766;       // SQLITE_MAX_VARIABLE_NUMBER's default
    c.native_decimal = false;       // NUMERIC affinity keeps a double
    c.savepoints = true;
    c.nulls_ordering = true;        // 3.30+
    c.intersect_except = true;
    c.upsert_conflict_target = true;
    c.transactional_ddl = true;
    c.check_constraints_enforced = true;
    c.for_update = false;           // a write transaction locks the whole database
    return c;
}

std::string MinisqlCompiler::type_ddl(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::float_: return "FLOAT";
        case TypeKind::double_: return "DOUBLE";
        case TypeKind::datetime: return "DATETIME";
        case TypeKind::uuid: return "CHAR(32)";  // 32 hex digits (minisql_types.cpp)
        // The declared type decides SQLite's affinity: "JSON" alone is NUMERIC
        // (the document `1.50` would come back as 1.5), "JSON TEXT" is TEXT.
        case TypeKind::json: return "JSON TEXT";
        default: return SqlCompiler::type_ddl(t);
    }
}

// A generated key must be declared exactly INTEGER PRIMARY KEY to become
// SQLite's rowid, which the database fills in; BIGINT would stay NULL.
void MinisqlCompiler::render_column_ddl(sql::CompileContext& c, const sql::TableNode& t, std::size_t i) const {
    auto generated = t.autoincrement_column();
    if (!(generated && *generated == i)) return SqlCompiler::render_column_ddl(c, t, i);
    const auto& col = t.columns[i];
    c.out += quote_identifier(col.name);
    c.out += " INTEGER";
    if (!col.nullable) c.out += " NOT NULL";
}

// SQLite has no OFFSET without LIMIT: LIMIT -1 means no limit.
void MinisqlCompiler::render_limit_offset(sql::CompileContext& c, const sql::ExprPtr& limit,
                                          const sql::ExprPtr& offset) const {
    c.out += " LIMIT ";
    if (limit) visit(c, *limit);
    else c.out += "-1";
    if (offset) {
        c.out += " OFFSET ";
        visit(c, *offset);
    }
}

// A whole NUMERIC is stored as an INTEGER, and INTEGER / INTEGER truncates:
// a division with a numeric side is done in REAL.
void MinisqlCompiler::visit_binary(sql::CompileContext& c, const sql::BinaryNode& n) const {
    bool numeric = n.left->type.kind == TypeKind::numeric || n.right->type.kind == TypeKind::numeric;
    if (n.op != sql::BinaryOp::div || !numeric) return SqlCompiler::visit_binary(c, n);
    c.out += '(';
    visit(c, *n.left);
    c.out += " / CAST(";
    visit(c, *n.right);
    c.out += " AS REAL))";
}

}  // namespace minisql
