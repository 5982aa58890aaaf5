// The dialect's SQL: the generic compiler (retort/sql/compiler.hpp) renders
// standard SQL; a dialect overrides only what its database writes otherwise.
#pragma once

#include <retort/sql/compiler.hpp>

namespace minisql {

/// What minisql can do: the core, the ORM and the conformance kit decide by it.
retort::sql::Capabilities minisql_capabilities();

class MinisqlCompiler : public retort::sql::SqlCompiler {
public:
    MinisqlCompiler() : SqlCompiler(minisql_capabilities()) {}
    std::string type_ddl(const retort::SqlType& type) const override;
    void render_column_ddl(retort::sql::CompileContext& c, const retort::sql::TableNode& t, std::size_t col) const override;
    void render_limit_offset(retort::sql::CompileContext& c, const retort::sql::ExprPtr& limit,
                             const retort::sql::ExprPtr& offset) const override;
    void visit_binary(retort::sql::CompileContext& c, const retort::sql::BinaryNode& n) const override;
};

}  // namespace minisql
