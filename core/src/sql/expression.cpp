#include "retort/sql/expression.hpp"

namespace retort::sql {

ExprPtr make_binary(BinaryOp op, ExprPtr l, ExprPtr r, SqlType result) {
    return std::make_shared<BinaryNode>(op, std::move(l), std::move(r), result);
}

ExprPtr make_list(ListOp op, std::vector<ExprPtr> items) {
    // Flatten a AND (b AND c) into one list: the SQL reads better and nests less.
    std::vector<ExprPtr> flat;
    flat.reserve(items.size());
    for (auto& i : items) {
        if (i->kind == NodeKind::clause_list) {
            const auto& l = static_cast<const ClauseListNode&>(*i);
            if (l.op == op) {
                flat.insert(flat.end(), l.items.begin(), l.items.end());
                continue;
            }
        }
        flat.push_back(std::move(i));
    }
    return std::make_shared<ClauseListNode>(op, std::move(flat), op == ListOp::comma ? SqlType{} : types::Boolean());
}

ExprPtr make_unary(UnaryOp op, ExprPtr e, SqlType result) { return std::make_shared<UnaryNode>(op, std::move(e), result); }

ExprPtr make_in(ExprPtr e, std::vector<Value> values, bool negate) {
    SqlType t = e->type;
    auto list = std::make_shared<BindNode>(std::move(values), t);
    return std::make_shared<InNode>(std::move(e), std::move(list), nullptr, negate);
}

ExprPtr make_in_select(ExprPtr e, SelectPtr s, bool negate) {
    return std::make_shared<InNode>(std::move(e), nullptr, std::move(s), negate);
}

namespace func {
TypedExpr<std::int64_t> count() {
    auto n = std::make_shared<FunctionNode>("count", std::vector<ExprPtr>{}, types::BigInteger());
    n->star = true;
    return TypedExpr<std::int64_t>(std::move(n));
}
TypedExpr<Timestamp> now() {
    return TypedExpr<Timestamp>(std::make_shared<FunctionNode>("now", std::vector<ExprPtr>{}, types::DateTime(true)));
}
TypedExpr<Value> sleep(double seconds) {
    return TypedExpr<Value>(std::make_shared<FunctionNode>("sleep", std::vector<ExprPtr>{literal<double>(seconds).node()},
                                                           types::NullType()));
}
}  // namespace func

}  // namespace retort::sql
