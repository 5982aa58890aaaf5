// SQL for PostgreSQL 12+: $n placeholders, native BOOLEAN/UUID/JSON, IDENTITY keys.
#pragma once

#include "retort/sql/compiler.hpp"

namespace retort::postgresql {

sql::Capabilities capabilities();

class PostgresqlCompiler : public sql::SqlCompiler {
public:
    PostgresqlCompiler() : SqlCompiler(capabilities()) {}
    void placeholder(std::string& out, std::size_t position) const override;
    std::string type_ddl(const SqlType& type) const override;
};

}  // namespace retort::postgresql
