#include "sqlite_compiler.hpp"

#include <sqlite3.h>

namespace retort::sqlite {

sql::Capabilities make_capabilities() {
    sql::Capabilities c;
    c.insert_returning = c.update_returning = c.delete_returning = true;  // 3.35+
    c.multi_row_values = true;
    c.max_rows_per_insert = 500;
    c.insert_many_values = true;
    c.max_parameters = 32766;  // the documented default; Debian builds allow more, but portably this
    c.native_boolean = false;
    c.native_uuid = false;
    c.native_json = false;
    c.native_decimal = false;  // NUMERIC affinity stores a double
    c.timezone_aware_datetime = false;
    c.savepoints = true;
    c.nulls_ordering = true;       // 3.30+
    c.ilike = false;
    c.intersect_except = true;
    c.full_outer_join = sqlite3_libversion_number() >= 3039000;  // (the dialect accepts 3.35+)
    c.upsert_conflict_target = true;
    c.transactional_ddl = true;
    return c;
}

std::string SqliteCompiler::type_ddl(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::float_: return "FLOAT";
        case TypeKind::double_: return "DOUBLE";
        case TypeKind::datetime: return "DATETIME";
        // As SQLAlchemy stores a UUID on backends without one: 32 hex digits.
        case TypeKind::uuid: return "CHAR(32)";
        // "JSON" alone has NUMERIC affinity: the document `0` would be stored as
        // an integer and `1.50` as 1.5. The word TEXT gives it TEXT affinity.
        case TypeKind::json: return "JSON TEXT";
        default: return SqlCompiler::type_ddl(t);
    }
}

void SqliteCompiler::render_column_ddl(sql::CompileContext& c, const sql::TableNode& t, std::size_t i) const {
    auto autoinc = t.autoincrement_column();
    if (!(autoinc && *autoinc == i)) return SqlCompiler::render_column_ddl(c, t, i);
    // Only a column declared exactly INTEGER and alone in the primary key becomes
    // the rowid alias that SQLite fills in; BIGINT would not.
    const auto& col = t.columns[i];
    c.out += quote_identifier(col.name);
    c.out += " INTEGER";
    if (!col.nullable) c.out += " NOT NULL";
}

void SqliteCompiler::render_limit_offset(sql::CompileContext& c, const sql::ExprPtr& limit, const sql::ExprPtr& offset) const {
    c.out += " LIMIT ";
    // SQLite's grammar has no OFFSET without LIMIT; -1 means no limit.
    if (limit) visit(c, *limit);
    else c.out += "-1";
    if (offset) {
        c.out += " OFFSET ";
        visit(c, *offset);
    }
}

void SqliteCompiler::visit_binary(sql::CompileContext& c, const sql::BinaryNode& n) const {
    if (n.op == sql::BinaryOp::div && (n.left->type.kind == TypeKind::numeric || n.right->type.kind == TypeKind::numeric)) {
        // SQLite has no exact decimals: a NUMERIC value that is whole is stored
        // as an INTEGER, and INTEGER / INTEGER truncates. Divide as REAL.
        c.out += '(';
        visit(c, *n.left);
        c.out += " / CAST(";
        visit(c, *n.right);
        c.out += " AS REAL))";
        return;
    }
    if (n.op != sql::BinaryOp::is_distinct_from && n.op != sql::BinaryOp::is_not_distinct_from)
        return SqlCompiler::visit_binary(c, n);
    // SQLite's IS / IS NOT compare NULLs as values: exactly IS [NOT] DISTINCT FROM.
    c.out += '(';
    visit(c, *n.left);
    c.out += n.op == sql::BinaryOp::is_distinct_from ? " IS NOT " : " IS ";
    visit(c, *n.right);
    c.out += ')';
}

const std::vector<std::string_view>& SqliteCompiler::reserved_words() const {
    static const std::vector<std::string_view> words = {
#include "sqlite_reserved_words.inc"
    };
    return words;
}

}  // namespace retort::sqlite
