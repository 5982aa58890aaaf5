// sql::Statement: any executable statement (SELECT, INSERT, UPDATE, DELETE,
// DDL, text), type-erased so that connections take one parameter type.
#pragma once

#include <memory>
#include <string>

#include "retort/sql/nodes.hpp"

namespace retort::sql {

template <class S>
concept StatementLike = requires(const S& s) {
    { s.statement_node() } -> std::convertible_to<StatementPtr>;
};

class Statement {
public:
    explicit Statement(StatementPtr n) : node_(std::move(n)) {}
    template <StatementLike S>
    Statement(const S& s) : node_(s.statement_node()) {}  // NOLINT: implicit by design
    const StatementPtr& statement_node() const noexcept { return node_; }

private:
    StatementPtr node_;
};

/// Literal SQL, sent as written: `text("PRAGMA foreign_keys")`. It binds no
/// parameter; build statements with values through the expression language.
inline Statement text(std::string sql) { return Statement(std::make_shared<TextNode>(std::move(sql))); }

}  // namespace retort::sql
