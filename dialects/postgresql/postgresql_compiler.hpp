// SQL for PostgreSQL 12+: $n placeholders, native BOOLEAN/UUID/JSON, IDENTITY keys.
#pragma once

#include "retort/sql/compiler.hpp"

namespace retort::postgresql {

sql::Capabilities make_capabilities();

class PostgresqlCompiler : public sql::SqlCompiler {
public:
    PostgresqlCompiler() : SqlCompiler(make_capabilities()) {}
    void placeholder(std::string& out, std::size_t position) const override;
    std::string type_ddl(const SqlType& type) const override;
    bool render_known_function(sql::CompileContext& c, const sql::FunctionNode& n) const override;
};

}  // namespace retort::postgresql
