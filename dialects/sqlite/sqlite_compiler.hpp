// SQL for SQLite 3.35+ (RETURNING, NULLS FIRST/LAST, upserts).
#pragma once

#include "retort/sql/compiler.hpp"

namespace retort::sqlite {

sql::Capabilities make_capabilities();

class SqliteCompiler : public sql::SqlCompiler {
public:
    SqliteCompiler() : SqlCompiler(make_capabilities()) {}
    std::string type_ddl(const SqlType& type) const override;
    const std::vector<std::string_view>& reserved_words() const override;
    void render_column_ddl(sql::CompileContext& c, const sql::TableNode& t, std::size_t col) const override;
    void render_limit_offset(sql::CompileContext& c, const sql::ExprPtr& limit, const sql::ExprPtr& offset) const override;
    void visit_binary(sql::CompileContext& c, const sql::BinaryNode& n) const override;
};

}  // namespace retort::sqlite
