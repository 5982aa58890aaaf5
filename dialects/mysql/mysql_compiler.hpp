// SQL for MariaDB 10.5+ and MySQL 8: backquoted names, `?` placeholders,
// AUTO_INCREMENT, ON DUPLICATE KEY UPDATE, and emulations for what they lack
// (NULLS FIRST/LAST, IS DISTINCT FROM, OFFSET without LIMIT).
#pragma once

#include <optional>
#include <string_view>
#include <tuple>

#include "retort/sql/compiler.hpp"

namespace retort::mysql {

/// What the server is, from Connection::server_version(): "MariaDB 10.11.6", "MySQL 8.0.36".
struct ServerVersion {
    bool mariadb = true;
    int major = 0, minor = 0, patch = 0;
    bool at_least(int ma, int mi, int pa = 0) const { return std::tie(major, minor, patch) >= std::tie(ma, mi, pa); }
};
/// nullopt when `text` is neither form.
std::optional<ServerVersion> parse_server_version(std::string_view text);

/// What MariaDB 10.6 and later can do: the dialect's own capabilities, before a
/// connection says which server it is.
sql::Capabilities make_capabilities();
/// What that server can do (MySQL has no INSERT/DELETE ... RETURNING, INTERSECT
/// only from 8.0.31; older MariaDB lacks some of what 10.5 and 10.6 added).
sql::Capabilities make_capabilities(const ServerVersion& server);

class MysqlCompiler : public sql::SqlCompiler {
public:
    explicit MysqlCompiler(sql::Capabilities caps = make_capabilities()) : SqlCompiler(caps) {}
    std::string quote_identifier(std::string_view name) const override;
    std::string type_ddl(const SqlType& type) const override;
    std::string literal(const Value& v, const SqlType& type) const override;
    void visit_binary(sql::CompileContext& c, const sql::BinaryNode& n) const override;
    void visit_cast(sql::CompileContext& c, const sql::CastNode& n) const override;
    void visit_excluded(sql::CompileContext& c, const sql::ExcludedNode& n) const override;
    void visit_drop_index(sql::CompileContext& c, const sql::DropIndexNode& n) const override;
    bool render_known_function(sql::CompileContext& c, const sql::FunctionNode& n) const override;
    std::string_view truncating_division() const override { return " DIV "; }
    void render_column_ddl(sql::CompileContext& c, const sql::TableNode& t, std::size_t col) const override;
    void render_limit_offset(sql::CompileContext& c, const sql::ExprPtr& limit, const sql::ExprPtr& offset) const override;
    void render_upsert(sql::CompileContext& c, const sql::InsertNode& n) const override;
    std::string_view empty_insert_values() const override { return "() VALUES ()"; }
    const std::vector<std::string_view>& reserved_words() const override;
    /// UTF-8 within the Basic Multilingual Plane, 64 characters at most, not
    /// ending in white space (MySQL and MariaDB refuse the rest).
    std::optional<std::string> identifier_problem(std::string_view name) const override;
    std::size_t max_identifier_length() const override { return 64; }
};

}  // namespace retort::mysql
