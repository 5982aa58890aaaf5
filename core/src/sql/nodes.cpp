// Cache keys of every node kind. A key must capture everything that changes the
// compiled SQL or its result types, and nothing that does not (literal values).
#include "retort/sql/nodes.hpp"

#include <algorithm>

#include "retort/error.hpp"
#include "retort/sql/table.hpp"

namespace retort::sql {

Node::~Node() = default;

void CacheKey::add_type(const SqlType& t) {
    text += std::to_string(static_cast<int>(t.kind));
    if (t.length || t.precision || t.scale || t.timezone) {
        text += ':' + std::to_string(t.length) + ',' + std::to_string(t.precision) + ',' + std::to_string(t.scale) +
                (t.timezone ? "z" : "");
    }
    text.push_back('|');
}

namespace {
void key_of(CacheKey& k, const ExprPtr& e) {
    if (e) e->build_key(k);
    else k.add("~");
}
void key_of(CacheKey& k, const std::vector<ExprPtr>& v) {
    k.add(static_cast<std::int64_t>(v.size()));
    for (const auto& e : v) key_of(k, e);
}
}  // namespace

// A FROM element is identified by its name (tables, aliases, subqueries) and
// the names and types of its columns: two distinct Table objects with the same
// definition compile to the same SQL and results, so they may share a cache entry.
void ColumnNode::build_key(CacheKey& k) const {
    k.add("c");
    from->build_key(k);
    k.add(name);
    k.add_type(type);
}

void BindNode::build_key(CacheKey& k) const {
    k.add(expanding ? "be" : "b");
    k.add(key);
    k.add_type(type);
    if (key.empty()) k.binds.push_back(this);
}

ExprPtr BindBlock::add(Value v, SqlType t) {
    // A block never grows past its capacity: the nodes must stay where they are.
    if (!block_ || block_->size() == block_->capacity()) {
        block_ = std::make_shared<std::vector<BindNode>>();
        block_->reserve(std::max<std::size_t>(capacity_, 1));
    }
    block_->emplace_back(std::move(v), t);
    return ExprPtr(block_, &block_->back());  // shares the block's ownership
}

void LiteralNode::build_key(CacheKey& k) const {
    k.add("lit");
    k.add(text);
    k.add_type(type);
}

void UnaryNode::build_key(CacheKey& k) const {
    k.add("u");
    k.add(static_cast<int>(op));
    key_of(k, operand);
}

void BinaryNode::build_key(CacheKey& k) const {
    k.add("bin");
    k.add(static_cast<int>(op));
    k.add(escape ? std::string(1, *escape) : std::string());
    k.add_type(type);
    key_of(k, left);
    key_of(k, right);
}

void ClauseListNode::build_key(CacheKey& k) const {
    k.add("list");
    k.add(static_cast<int>(op));
    key_of(k, items);
}

void FunctionNode::build_key(CacheKey& k) const {
    k.add("fn");
    k.add(name);
    k.add(star ? "*" : "");
    k.add_type(type);
    key_of(k, args);
}

void CastNode::build_key(CacheKey& k) const {
    k.add("cast");
    k.add_type(type);
    key_of(k, expr);
}

void CaseNode::build_key(CacheKey& k) const {
    k.add("case");
    k.add_type(type);
    k.add(static_cast<std::int64_t>(whens.size()));
    for (const auto& [c, r] : whens) {
        key_of(k, c);
        key_of(k, r);
    }
    key_of(k, else_);
}

void LabelNode::build_key(CacheKey& k) const {
    k.add("label");
    k.add(name);
    key_of(k, expr);
}

InNode::InNode(ExprPtr e, ExprPtr l, SelectPtr sub, bool neg)
    : ExprNode(NodeKind::in_list, types::Boolean()), expr(std::move(e)), list(std::move(l)), subquery(std::move(sub)), negate(neg) {}

void InNode::build_key(CacheKey& k) const {
    k.add(negate ? "notin" : "in");
    key_of(k, expr);
    if (subquery) subquery->build_key(k);
    else key_of(k, list);
}

BetweenNode::BetweenNode(ExprPtr e, ExprPtr lo, ExprPtr hi, bool neg)
    : ExprNode(NodeKind::between, types::Boolean()), expr(std::move(e)), low(std::move(lo)), high(std::move(hi)), negate(neg) {}

void BetweenNode::build_key(CacheKey& k) const {
    k.add(negate ? "nbetween" : "between");
    key_of(k, expr);
    key_of(k, low);
    key_of(k, high);
}

void ScalarSubqueryNode::build_key(CacheKey& k) const {
    k.add("scalar");
    k.add_type(type);
    select->build_key(k);
}

ExistsNode::ExistsNode(SelectPtr s) : ExprNode(NodeKind::exists, types::Boolean()), select(std::move(s)) {}

void ExistsNode::build_key(CacheKey& k) const {
    k.add("exists");
    select->build_key(k);
}

void ExcludedNode::build_key(CacheKey& k) const {
    k.add("excluded");
    column->build_key(k);
}

void OrderItemNode::build_key(CacheKey& k) const {
    k.add(desc ? "desc" : "asc");
    k.add(static_cast<int>(nulls));
    key_of(k, expr);
}

std::size_t FromNode::find_column(std::string_view n) const {
    for (std::size_t i = 0, e = column_count(); i < e; ++i)
        if (column_name(i) == n) return i;
    return static_cast<std::size_t>(-1);
}

void AliasNode::build_key(CacheKey& k) const {
    k.add("alias");
    k.add(name);
    original->build_key(k);  // an aliased subquery renders in full and carries binds
}

void JoinNode::build_key(CacheKey& k) const {
    k.add(is_full ? "fulljoin" : is_outer ? "outerjoin" : "join");
    left->build_key(k);
    right->build_key(k);
    key_of(k, on);
}

std::size_t JoinNode::column_count() const { return left->column_count() + right->column_count(); }
const std::string& JoinNode::column_name(std::size_t i) const {
    auto n = left->column_count();
    return i < n ? left->column_name(i) : right->column_name(i - n);
}
SqlType JoinNode::column_type(std::size_t i) const {
    auto n = left->column_count();
    return i < n ? left->column_type(i) : right->column_type(i - n);
}

SubqueryNode::SubqueryNode(NodeKind k, SelectPtr s, std::string n) : FromNode(k), select(std::move(s)), name(std::move(n)) {
    for (std::size_t i = 0, e = select->column_count(); i < e; ++i) {
        std::string cn = select->column_name(i);
        if (cn.empty()) throw ArgumentError("column " + std::to_string(i + 1) + " of subquery '" + name +
                                            "' has no name: give it one with .label(\"...\")");
        names.push_back(std::move(cn));
        types_.push_back(select->column_type(i));
    }
}

void SubqueryNode::build_key(CacheKey& k) const {
    k.add(kind == NodeKind::cte ? (recursive ? "rcte" : "cte") : "subq");
    k.add(name);
    select->build_key(k);
}

std::string SelectNode::column_name(std::size_t i) const {
    const ExprNode* e = columns[i].get();
    if (e->kind == NodeKind::label) return static_cast<const LabelNode*>(e)->name;
    if (e->kind == NodeKind::column) return static_cast<const ColumnNode*>(e)->name;
    return {};
}

void SelectNode::build_key(CacheKey& k) const {
    k.add(distinct ? "selectd" : "select");
    k.add(static_cast<std::int64_t>(ctes.size()));
    for (const auto& c : ctes) c->build_key(k);
    key_of(k, columns);
    k.add(static_cast<std::int64_t>(froms.size()));
    for (const auto& f : froms) f->build_key(k);
    key_of(k, where);
    key_of(k, group_by);
    key_of(k, having);
    key_of(k, order_by);
    key_of(k, limit);
    key_of(k, offset);
    k.add(static_cast<std::int64_t>(for_update));
}

void CompoundSelectNode::build_key(CacheKey& k) const {
    k.add("compound");
    k.add(static_cast<int>(op));
    k.add(static_cast<std::int64_t>(selects.size()));
    for (const auto& s : selects) s->build_key(k);
    key_of(k, order_by);
    key_of(k, limit);
    key_of(k, offset);
}

void InsertNode::build_key(CacheKey& k) const {
    k.add("insert");
    table->build_key(k);
    k.add(static_cast<std::int64_t>(columns.size()));
    for (const auto& c : columns) k.add(c->name);
    k.add(static_cast<std::int64_t>(rows.size()));
    for (const auto& r : rows) key_of(k, r);
    if (from_select) from_select->build_key(k);
    key_of(k, returning);
    if (upsert) {
        k.add("upsert");
        for (const auto& c : upsert->conflict_columns) k.add(c->name);
        k.add(static_cast<std::int64_t>(upsert->set.size()));
        for (const auto& [c, v] : upsert->set) {
            k.add(c->name);
            key_of(k, v);
        }
        key_of(k, upsert->where);
    }
}

void UpdateNode::build_key(CacheKey& k) const {
    k.add("update");
    table->build_key(k);
    k.add(static_cast<std::int64_t>(set.size()));
    for (const auto& [c, v] : set) {
        k.add(c->name);
        key_of(k, v);
    }
    key_of(k, where);
    key_of(k, returning);
}

void DeleteNode::build_key(CacheKey& k) const {
    k.add("delete");
    table->build_key(k);
    key_of(k, where);
    key_of(k, returning);
}

void TextNode::build_key(CacheKey& k) const {
    k.add("text");
    k.add(sql);
}

// DDL is compiled once per create_all and never cached: its key only needs to be unique.
void CreateTableNode::build_key(CacheKey& k) const {
    k.add("ddl-create");
    k.add(std::to_string(reinterpret_cast<std::uintptr_t>(table.get())));
}
void DropTableNode::build_key(CacheKey& k) const {
    k.add("ddl-drop");
    k.add(std::to_string(reinterpret_cast<std::uintptr_t>(table.get())));
}
void CreateIndexNode::build_key(CacheKey& k) const {
    k.add("ddl-cindex");
    k.add(std::to_string(reinterpret_cast<std::uintptr_t>(table.get())));
    k.add(static_cast<std::int64_t>(index));
}
void DropIndexNode::build_key(CacheKey& k) const {
    k.add("ddl-dindex");
    k.add(std::to_string(reinterpret_cast<std::uintptr_t>(table.get())));
    k.add(static_cast<std::int64_t>(index));
}

}  // namespace retort::sql
