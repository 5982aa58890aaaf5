#include "retort/sql/select.hpp"

#include <algorithm>
#include <functional>

#include "retort/error.hpp"
#include "retort/sql/compiler.hpp"

namespace retort::sql {

namespace detail {

void add_select_items(std::vector<ExprPtr>& out, const Expr& e) { out.push_back(e.node()); }

void add_select_items(std::vector<ExprPtr>& out, const FromClause& f) {
    const auto& n = f.from_node();
    for (std::size_t i = 0; i < n->column_count(); ++i)
        out.push_back(std::make_shared<ColumnNode>(n, i, n->column_name(i), n->column_type(i)));
}

namespace {

// The tables under a FROM element, each with the element that names it in the
// query (an alias names its table).
void tables_under(const FromPtr& f, std::vector<std::pair<const TableNode*, FromPtr>>& out) {
    if (f->kind == NodeKind::table) {
        out.emplace_back(static_cast<const TableNode*>(f.get()), f);
    } else if (f->kind == NodeKind::alias) {
        const auto& a = static_cast<const AliasNode&>(*f);
        if (a.original->kind == NodeKind::table) out.emplace_back(static_cast<const TableNode*>(a.original.get()), f);
    } else if (f->kind == NodeKind::join) {
        const auto& j = static_cast<const JoinNode&>(*f);
        tables_under(j.left, out);
        tables_under(j.right, out);
    }
}

ExprPtr column_of(const FromPtr& f, const std::string& name) {
    std::size_t i = f->find_column(name);
    return std::make_shared<ColumnNode>(f, i, name, f->column_type(i));
}

// Conditions joining `from` (whose table is `ft`) to `to` (table `tt`) through the foreign keys of `ft`.
void fk_conditions(const TableNode* ft, const FromPtr& from, const TableNode* tt, const FromPtr& to,
                   std::vector<ExprPtr>& found) {
    for (const auto& fk : ft->foreign_keys) {
        auto target = fk.target.lock();
        if (target.get() != tt) continue;
        std::vector<ExprPtr> parts;
        for (std::size_t k = 0; k < fk.columns.size(); ++k)
            parts.push_back(make_binary(BinaryOp::eq, column_of(from, ft->columns[fk.columns[k]].name),
                                        column_of(to, fk.target_columns[k]), types::Boolean()));
        found.push_back(parts.size() == 1 ? parts[0] : make_list(ListOp::and_, std::move(parts)));
    }
}

std::string describe(const FromPtr& f) {
    if (f->kind == NodeKind::table) return static_cast<const TableNode&>(*f).name;
    if (f->kind == NodeKind::alias) return static_cast<const AliasNode&>(*f).name;
    return "(join)";
}

}  // namespace

ExprPtr infer_join_condition(const FromPtr& left, const FromPtr& right) {
    std::vector<std::pair<const TableNode*, FromPtr>> lefts, rights;
    tables_under(left, lefts);
    tables_under(right, rights);
    std::vector<ExprPtr> found;
    for (const auto& [rt, rf] : rights) {
        for (const auto& [lt, lf] : lefts) {
            fk_conditions(rt, rf, lt, lf, found);
            if (rt != lt) fk_conditions(lt, lf, rt, rf, found);
        }
    }
    if (found.empty())
        throw ArgumentError("cannot join '" + describe(right) + "': no foreign key links it to '" + describe(left) +
                            "'; give the ON condition explicitly");
    if (found.size() > 1)
        throw ArgumentError("cannot join '" + describe(right) + "': more than one foreign key links it to '" +
                            describe(left) + "'; give the ON condition explicitly");
    return found.front();
}

}  // namespace detail

std::shared_ptr<SelectNode> Select::copy() const { return std::make_shared<SelectNode>(*node_); }

Select Select::with_where(ExprPtr cond) const {
    auto n = copy();
    n->where = n->where ? make_list(ListOp::and_, {n->where, std::move(cond)}) : std::move(cond);
    return Select(std::move(n));
}

Select Select::select_from(const FromClause& from) const {
    auto n = copy();
    n->froms.push_back(from.from_node());
    return Select(std::move(n));
}

Select Select::with_join(FromPtr right, ExprPtr on, bool outer, bool full) const {
    auto n = copy();
    FromPtr left;
    if (!n->froms.empty()) {
        left = n->froms.front();
    } else {
        // Join from the FROM element of the first column that has one, as
        // SQLAlchemy's select().join() does.
        std::function<void(const ExprNode&)> find = [&](const ExprNode& e) {
            if (left) return;
            if (e.kind == NodeKind::column) left = static_cast<const ColumnNode&>(e).from;
            else for_each_child(e, find);
        };
        for (const auto& c : n->columns) find(*c);
        if (!left) throw ArgumentError("join(): the select has no FROM element to join from; use select_from() first");
        n->froms.push_back(left);
    }
    if (!on) on = detail::infer_join_condition(left, right);
    n->froms.front() = std::make_shared<JoinNode>(left, std::move(right), std::move(on), outer, full);
    return Select(std::move(n));
}

namespace {
ExprPtr int_bind(std::int64_t v) { return std::make_shared<BindNode>(Value{v}, types::Integer()); }

/// Whether `tree` is `f` or a join that contains it.
bool contains_from(const FromPtr& tree, const FromPtr& f) {
    if (tree == f) return true;
    if (tree->kind != NodeKind::join) return false;
    const auto& j = static_cast<const JoinNode&>(*tree);
    return contains_from(j.left, f) || contains_from(j.right, f);
}
}  // namespace

Select Select::with_join_from(FromPtr left, FromPtr right, ExprPtr on, JoinOptions options) const {
    auto n = copy();
    if (!on) on = detail::infer_join_condition(left, right);
    // Onto the FROM entry that already holds `left`, else as a FROM entry of its own.
    auto it = std::find_if(n->froms.begin(), n->froms.end(), [&](const FromPtr& f) { return contains_from(f, left); });
    if (it == n->froms.end()) {
        n->froms.push_back(std::make_shared<JoinNode>(std::move(left), std::move(right), std::move(on),
                                                      options.isouter || options.full, options.full));
    } else {
        *it = std::make_shared<JoinNode>(*it, std::move(right), std::move(on), options.isouter || options.full,
                                         options.full);
    }
    return Select(std::move(n));
}

namespace detail {

ExprPtr resolve_name(const SelectBase& base, std::string_view name, const char* clause) {
    std::vector<ExprPtr> found;
    std::vector<std::string> known;
    if (base.kind == NodeKind::compound_select) {
        // A compound's ORDER BY names its output columns.
        const auto& first = *static_cast<const CompoundSelectNode&>(base).selects.front();
        for (std::size_t i = 0; i < base.column_count(); ++i) {
            known.push_back(base.column_name(i));
            if (known.back() == name)
                found.push_back(std::make_shared<LabelNode>(std::string(name), std::make_shared<LiteralNode>(
                                                                                    std::string(name), first.column_type(i))));
        }
    } else {
        const auto& n = static_cast<const SelectNode&>(base);
        for (const auto& c : n.columns) {
            if (c->kind == NodeKind::label) {
                known.push_back(static_cast<const LabelNode&>(*c).name);
                if (known.back() == name) found.push_back(c);
            } else if (c->kind == NodeKind::column) {
                known.push_back(static_cast<const ColumnNode&>(*c).name);
                if (known.back() == name) found.push_back(c);
            }
        }
        if (found.empty()) {
            // Then the columns of the tables it selects from.
            std::vector<FromPtr> froms = n.froms;
            for (const auto& c : n.columns)
                if (c->kind == NodeKind::column) froms.push_back(static_cast<const ColumnNode&>(*c).from);
            std::vector<std::pair<const TableNode*, FromPtr>> tables;
            for (const auto& f : froms) tables_under(f, tables);
            std::vector<const TableNode*> seen;
            for (const auto& [t, f] : tables) {
                if (std::find(seen.begin(), seen.end(), t) != seen.end()) continue;
                seen.push_back(t);
                for (std::size_t i = 0; i < t->columns.size(); ++i)
                    if (t->columns[i].name == name)
                        found.push_back(std::make_shared<ColumnNode>(f, i, t->columns[i].name, t->columns[i].type));
            }
        }
    }
    if (found.size() == 1) return found.front();
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    if (found.empty())
        throw ArgumentError(std::string(clause) + "(\"" + std::string(name) + "\"): this SELECT has no column or label "
                            "of that name (its columns: " + list + ")");
    throw ArgumentError(std::string(clause) + "(\"" + std::string(name) + "\"): several columns of this SELECT "
                        "have that name; give the column expression instead");
}

}  // namespace detail

Select Select::limit(std::int64_t v) const {
    auto n = copy();
    n->limit = int_bind(v);
    return Select(std::move(n));
}

Select Select::offset(std::int64_t v) const {
    auto n = copy();
    n->offset = int_bind(v);
    return Select(std::move(n));
}

Select Select::with_for_update(ForUpdate options) const {
    if (options.nowait && options.skip_locked)
        throw ArgumentError("with_for_update(): nowait and skip_locked exclude each other");
    auto n = copy();
    n->for_update = options.skip_locked ? 3 : options.nowait ? 2 : 1;
    return Select(std::move(n));
}

Select Select::distinct() const {
    auto n = copy();
    n->distinct = true;
    return Select(std::move(n));
}

FromClause Select::subquery(std::string name) const {
    return FromClause(std::make_shared<SubqueryNode>(NodeKind::subquery, node_, std::move(name)));
}

Cte Select::cte(std::string name) const { return Cte(std::make_shared<SubqueryNode>(NodeKind::cte, node_, std::move(name))); }

CompoundSelect compound(CompoundOp op, std::vector<SelectPtr> selects) {
    if (selects.size() < 2) throw ArgumentError("a compound select needs at least two selects");
    for (const auto& s : selects)
        if (s->column_count() != selects.front()->column_count())
            throw ArgumentError("the selects of a UNION/INTERSECT/EXCEPT must have the same number of columns");
    auto n = std::make_shared<CompoundSelectNode>();
    n->op = op;
    n->selects = std::move(selects);
    return CompoundSelect(std::move(n));
}

CompoundSelect CompoundSelect::limit(std::int64_t v) const {
    auto n = std::make_shared<CompoundSelectNode>(*node_);
    n->limit = int_bind(v);
    return CompoundSelect(std::move(n));
}

CompoundSelect CompoundSelect::offset(std::int64_t v) const {
    auto n = std::make_shared<CompoundSelectNode>(*node_);
    n->offset = int_bind(v);
    return CompoundSelect(std::move(n));
}

FromClause CompoundSelect::subquery(std::string name) const {
    return FromClause(std::make_shared<SubqueryNode>(NodeKind::subquery, node_, std::move(name)));
}

namespace {
Cte recursive_cte(const FromPtr& anchor_node, CompoundOp op, const Select& part) {
    const auto& anchor = static_cast<const SubqueryNode&>(*anchor_node);
    auto body = compound(op, {anchor.select, part.select_node()});
    auto n = std::make_shared<SubqueryNode>(NodeKind::cte, body.select_node(), anchor.name);
    n->recursive = true;
    return Cte(std::move(n));
}
}  // namespace

Cte Cte::union_all(const Select& recursive_part) const { return recursive_cte(node_, CompoundOp::union_all, recursive_part); }
Cte Cte::union_(const Select& recursive_part) const { return recursive_cte(node_, CompoundOp::union_, recursive_part); }

}  // namespace retort::sql
