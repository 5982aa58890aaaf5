#include "mysql_compiler.hpp"

#include "retort/plugin/utf8.hpp"

#include <algorithm>
#include <charconv>

#include "retort/error.hpp"

namespace retort::mysql {

sql::Capabilities make_capabilities() {
    sql::Capabilities c;
    // MariaDB 10.5+ has INSERT/DELETE ... RETURNING; neither it nor MySQL has UPDATE ... RETURNING.
    c.insert_returning = true;
    c.update_returning = false;
    c.delete_returning = true;
    c.max_rows_per_insert = 1000;
    c.max_parameters = 65535;
    c.native_boolean = false;  // BOOL is TINYINT(1)
    c.native_uuid = false;     // MySQL has none; CHAR(32) works on both servers
    c.native_json = true;
    c.native_decimal = true;
    c.timezone_aware_datetime = false;
    c.savepoints = true;
    c.nulls_ordering = false;
    c.ilike = false;
    c.intersect_except = true;  // MariaDB 10.3+, MySQL 8.0.31+
    c.full_outer_join = false;
    c.for_update = c.for_update_nowait = true;  // NOWAIT: MariaDB 10.3+
    c.for_update_skip_locked = true;           // MariaDB 10.6+, MySQL 8
    c.upsert_conflict_target = false;
    c.transactional_ddl = false;
    c.check_constraints_enforced = true;
    return c;
}

std::optional<ServerVersion> parse_server_version(std::string_view text) {
    ServerVersion v;
    if (text.starts_with("MariaDB ")) text.remove_prefix(8);
    else if (text.starts_with("MySQL ")) v.mariadb = false, text.remove_prefix(6);
    else return std::nullopt;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    for (int i = 0; i < 3; ++i) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *parts[i]);
        if (ec != std::errc() || end == text.data()) return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        if (i < 2) {
            if (!text.starts_with('.')) return std::nullopt;
            text.remove_prefix(1);
        }
    }
    return v;
}

sql::Capabilities make_capabilities(const ServerVersion& server) {
    sql::Capabilities c = make_capabilities();
    if (server.mariadb) {
        c.insert_returning = server.at_least(10, 5);
        c.delete_returning = server.at_least(10, 0, 5);
        c.intersect_except = server.at_least(10, 3);
        c.for_update_nowait = server.at_least(10, 3);
        c.for_update_skip_locked = server.at_least(10, 6);
        c.check_constraints_enforced = server.at_least(10, 2, 1);
    } else {
        c.insert_returning = c.delete_returning = false;
        c.intersect_except = server.at_least(8, 0, 31);
        c.for_update_nowait = c.for_update_skip_locked = server.at_least(8, 0, 1);
        c.check_constraints_enforced = server.at_least(8, 0, 16);
    }
    return c;
}

const std::vector<std::string_view>& MysqlCompiler::reserved_words() const {
    static const std::vector<std::string_view> words = {
#include "mysql_reserved_words.inc"
    };
    return words;
}

std::optional<std::string> MysqlCompiler::identifier_problem(std::string_view name) const {
    if (name.empty() || name.find('\0') != std::string_view::npos) return SqlCompiler::identifier_problem(name);
    const std::string shown = printable(name);
    if (plugin::invalid_utf8_at(name)) return "identifier '" + shown + "' is not valid UTF-8";
    std::size_t characters = 0;
    for (char ch : name) {
        auto byte = static_cast<unsigned char>(ch);
        characters += (byte & 0xc0) != 0x80;
        if (byte >= 0xf0)
            return "identifier '" + shown + "' holds a character outside the Basic Multilingual Plane (an emoji?), "
                   "which MySQL and MariaDB do not allow in a name";
    }
    if (characters > 64)
        return "identifier '" + shown + "' is " + std::to_string(characters) +
               " characters long; MySQL and MariaDB allow at most 64";
    if (std::string_view(" \t\n\r\v\f").find(name.back()) != std::string_view::npos)
        return "identifier '" + shown + "' ends in white space, which MySQL and MariaDB do not allow in a name";
    return std::nullopt;
}

std::string MysqlCompiler::quote_identifier(std::string_view name) const {
    std::string plain = SqlCompiler::quote_identifier(name);
    if (plain.empty() || plain[0] != '"') return plain;
    std::string out = "`";
    for (char ch : name) {
        if (ch == '`') out += '`';
        out += ch;
    }
    return out + "`";
}

std::string MysqlCompiler::type_ddl(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::boolean: return "BOOL";
        case TypeKind::float_: return "FLOAT";
        case TypeKind::double_: return "DOUBLE";
        case TypeKind::numeric:
            return t.precision ? "NUMERIC(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")" : "NUMERIC(65, 30)";
        // MySQL's VARCHAR needs a length; 255 characters stay within the index
        // size limit in utf8mb4, so an unbounded String can still be a key.
        case TypeKind::string: return "VARCHAR(" + std::to_string(t.length ? t.length : 255) + ")";
        case TypeKind::text: return "LONGTEXT";
        case TypeKind::large_binary: return "LONGBLOB";
        case TypeKind::time: return "TIME(6)";
        case TypeKind::datetime: return "DATETIME(6)";  // an instant is stored as its UTC date and time
        case TypeKind::uuid: return "CHAR(32)";
        default: return SqlCompiler::type_ddl(t);
    }
}

std::string MysqlCompiler::literal(const Value& v, const SqlType& type) const {
    // A backslash means one thing in a MySQL string literal by default (an
    // escape) and another under NO_BACKSLASH_ESCAPES (itself), which a session
    // may set (init_command): a string holding one is written as hexadecimal,
    // which reads the same in both modes. Quotes are doubled, as everywhere.
    const std::string* text = std::get_if<std::string>(&v);
    if (!text) {
        if (const auto* json = std::get_if<Json>(&v)) text = &json->text;
    }
    if (!text || text->find('\\') == std::string::npos) return SqlCompiler::literal(v, type);
    static const char* hex = "0123456789ABCDEF";
    std::string out = "_utf8mb4 X'";
    for (unsigned char ch : *text) {
        out += hex[ch >> 4];
        out += hex[ch & 15];
    }
    return out + "'";
}

void MysqlCompiler::visit_binary(sql::CompileContext& c, const sql::BinaryNode& n) const {
    switch (n.op) {
        case sql::BinaryOp::concat:
            c.out += "concat(";
            visit(c, *n.left);
            c.out += ", ";
            visit(c, *n.right);
            c.out += ')';
            return;
        case sql::BinaryOp::is_distinct_from:
        case sql::BinaryOp::is_not_distinct_from:
            c.out += n.op == sql::BinaryOp::is_distinct_from ? "NOT (" : "(";
            visit(c, *n.left);
            c.out += " <=> ";
            visit(c, *n.right);
            c.out += ')';
            return;
        default: SqlCompiler::visit_binary(c, n);
    }
}

void MysqlCompiler::visit_cast(sql::CompileContext& c, const sql::CastNode& n) const {
    // CAST accepts only a few target names in MySQL and MariaDB.
    std::string target;
    const SqlType& t = n.type;
    switch (t.kind) {
        case TypeKind::integer:
        case TypeKind::big_integer:
        case TypeKind::small_integer:
        case TypeKind::boolean: target = "SIGNED"; break;
        case TypeKind::string:
        case TypeKind::text:
        case TypeKind::uuid: target = "CHAR"; break;
        case TypeKind::numeric: target = t.precision ? "DECIMAL(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")" : "DECIMAL(65, 30)"; break;
        case TypeKind::float_:
        case TypeKind::double_: target = "DOUBLE"; break;
        case TypeKind::large_binary: target = "BINARY"; break;
        case TypeKind::date: target = "DATE"; break;
        case TypeKind::time: target = "TIME(6)"; break;
        case TypeKind::datetime: target = "DATETIME(6)"; break;
        case TypeKind::json: target = "JSON"; break;
        case TypeKind::null_type: throw CompileError("CAST needs a target type");
    }
    c.out += "CAST(";
    visit(c, *n.expr);
    c.out += " AS " + target + ")";
}

void MysqlCompiler::visit_excluded(sql::CompileContext& c, const sql::ExcludedNode& n) const {
    // VALUES(col) works on MariaDB and (deprecated but accepted) on MySQL 8.
    c.out += "VALUES(" + quote_identifier(n.column->name) + ")";
}

void MysqlCompiler::visit_drop_index(sql::CompileContext& c, const sql::DropIndexNode& n) const {
    c.out += "DROP INDEX " + index_identifier(n.table->indexes.at(n.index)) + " ON " + table_name(*n.table);
}

bool MysqlCompiler::render_known_function(sql::CompileContext& c, const sql::FunctionNode& n) const {
    if (n.name == "now" && n.args.empty()) {
        // Microseconds, to match DATETIME(6) columns (a DEFAULT must match their precision).
        c.out += "CURRENT_TIMESTAMP(6)";
        return true;
    }
    return SqlCompiler::render_known_function(c, n);
}

void MysqlCompiler::render_column_ddl(sql::CompileContext& c, const sql::TableNode& t, std::size_t i) const {
    auto autoinc = t.autoincrement_column();
    if (!(autoinc && *autoinc == i)) return SqlCompiler::render_column_ddl(c, t, i);
    const auto& col = t.columns[i];
    c.out += quote_identifier(col.name) + " " + type_ddl(col.type) + " NOT NULL AUTO_INCREMENT";
}

void MysqlCompiler::render_limit_offset(sql::CompileContext& c, const sql::ExprPtr& limit, const sql::ExprPtr& offset) const {
    c.out += " LIMIT ";
    // MySQL's grammar has no OFFSET without LIMIT; its manual suggests the largest BIGINT UNSIGNED.
    if (limit) visit(c, *limit);
    else c.out += "18446744073709551615";
    if (offset) {
        c.out += " OFFSET ";
        visit(c, *offset);
    }
}

void MysqlCompiler::render_upsert(sql::CompileContext& c, const sql::InsertNode& n) const {
    const auto& u = *n.upsert;
    if (u.where) throw CompileError("MySQL's ON DUPLICATE KEY UPDATE takes no WHERE condition");
    c.out += " ON DUPLICATE KEY UPDATE ";
    if (u.set.empty()) {
        // "Do nothing": assign a key column to itself, which changes no row
        // (unlike INSERT IGNORE, which would also hide other errors).
        const auto& col = u.conflict_columns.empty() ? n.table->columns.at(n.table->primary_key.at(0)).name
                                                     : u.conflict_columns.front()->name;
        c.out += quote_identifier(col) + " = " + quote_identifier(col);
        return;
    }
    for (std::size_t i = 0; i < u.set.size(); ++i) {
        if (i) c.out += ", ";
        c.out += quote_identifier(u.set[i].first->name);
        c.out += " = ";
        visit(c, *u.set[i].second);
    }
}

}  // namespace retort::mysql
