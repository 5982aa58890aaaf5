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
    const std::vector<std::string_view>& reserved_words() const override;
    bool render_known_function(sql::CompileContext& c, const sql::FunctionNode& n) const override;
    /// NAMEDATALEN - 1: the server cuts longer names short without an error.
    std::size_t max_identifier_length() const override { return 63; }
    /// The base rules, and valid UTF-8 (the server's encoding).
    std::optional<std::string> identifier_problem(std::string_view name) const override;
};

}  // namespace retort::postgresql
