#include "postgresql_compiler.hpp"

#include "retort/plugin/utf8.hpp"

namespace retort::postgresql {

sql::Capabilities make_capabilities() {
    sql::Capabilities c;
    c.insert_returning = c.update_returning = c.delete_returning = true;
    // PostgreSQL returns multi-row INSERT ... RETURNING rows in VALUES order in
    // practice, but does not promise it: match rows by key.
    c.max_rows_per_insert = 1000;
    c.max_parameters = 65535;  // the protocol's 16-bit parameter count
    c.insert_many_values = true;  // a pipeline of single-row INSERTs costs the server a statement per row
    c.native_boolean = c.native_uuid = c.native_json = c.native_decimal = true;
    c.timezone_aware_datetime = true;
    c.savepoints = true;
    c.nulls_ordering = true;
    c.ilike = true;
    c.intersect_except = true;
    c.full_outer_join = true;
    c.for_update = c.for_update_nowait = c.for_update_skip_locked = true;
    c.upsert_conflict_target = true;
    c.transactional_ddl = true;
    return c;
}

void PostgresqlCompiler::placeholder(std::string& out, std::size_t position) const {
    out += '$';
    out += std::to_string(position);
}

std::string PostgresqlCompiler::type_ddl(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::large_binary: return "BYTEA";
        case TypeKind::datetime: return t.timezone ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP WITHOUT TIME ZONE";
        default: return SqlCompiler::type_ddl(t);
    }
}

bool PostgresqlCompiler::render_known_function(sql::CompileContext& c, const sql::FunctionNode& n) const {
    if (n.name != "sleep") return SqlCompiler::render_known_function(c, n);
    c.out += "pg_sleep(";
    visit(c, *n.args.at(0));
    c.out += ')';
    return true;
}

const std::vector<std::string_view>& PostgresqlCompiler::reserved_words() const {
    static const std::vector<std::string_view> words = {
#include "postgresql_reserved_words.inc"
    };
    return words;
}

std::optional<std::string> PostgresqlCompiler::identifier_problem(std::string_view name) const {
    if (auto problem = SqlCompiler::identifier_problem(name)) return problem;
    if (plugin::invalid_utf8_at(name)) return "identifier '" + printable(name) + "' is not valid UTF-8";
    return std::nullopt;
}

}  // namespace retort::postgresql
