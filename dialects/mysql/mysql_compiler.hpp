// SQL for MariaDB 10.5+ and MySQL 8: backquoted names, `?` placeholders,
// AUTO_INCREMENT, ON DUPLICATE KEY UPDATE, and emulations for what they lack
// (NULLS FIRST/LAST, IS DISTINCT FROM, OFFSET without LIMIT).
#pragma once

#include "retort/sql/compiler.hpp"

namespace retort::mysql {

sql::Capabilities make_capabilities();

class MysqlCompiler : public sql::SqlCompiler {
public:
    MysqlCompiler() : SqlCompiler(make_capabilities()) {}
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
