// The generic compiler. Its output is ANSI-leaning SQL close to PostgreSQL's;
// dialects override the hooks where their SQL differs.
#include "retort/sql/compiler.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "retort/error.hpp"
#include "retort/plugin/utf8.hpp"

namespace retort::sql {

SqlCompiler::~SqlCompiler() = default;

namespace {

// Restores a context's rendering flags when a clause is done with them.
struct FlagScope {
    CompileContext& c;
    LabelStyle label;
    bool qualify;
    explicit FlagScope(CompileContext& ctx) : c(ctx), label(ctx.label), qualify(ctx.qualify) {}
    ~FlagScope() {
        c.label = label;
        c.qualify = qualify;
    }
};

int precedence(const ExprNode& e) {
    switch (e.kind) {
        case NodeKind::clause_list: {
            auto op = static_cast<const ClauseListNode&>(e).op;
            return op == ListOp::or_ ? 1 : op == ListOp::and_ ? 2 : 10;
        }
        case NodeKind::unary: {
            auto op = static_cast<const UnaryNode&>(e).op;
            if (op == UnaryOp::not_) return 3;
            if (op == UnaryOp::is_null || op == UnaryOp::is_not_null) return 4;
            return 8;
        }
        case NodeKind::binary:
            switch (static_cast<const BinaryNode&>(e).op) {
                case BinaryOp::add: case BinaryOp::sub: return 6;
                case BinaryOp::mul: case BinaryOp::div: case BinaryOp::mod: return 7;
                case BinaryOp::concat: return 5;
                default: return 4;
            }
        case NodeKind::in_list: case NodeKind::between: return 4;
        default: return 10;
    }
}

std::string_view binary_op_text(BinaryOp op) {
    switch (op) {
        case BinaryOp::eq: return " = ";
        case BinaryOp::ne: return " != ";
        case BinaryOp::lt: return " < ";
        case BinaryOp::le: return " <= ";
        case BinaryOp::gt: return " > ";
        case BinaryOp::ge: return " >= ";
        case BinaryOp::add: return " + ";
        case BinaryOp::sub: return " - ";
        case BinaryOp::mul: return " * ";
        case BinaryOp::div: return " / ";
        case BinaryOp::mod: return " % ";
        case BinaryOp::concat: return " || ";
        case BinaryOp::like: return " LIKE ";
        case BinaryOp::not_like: return " NOT LIKE ";
        case BinaryOp::ilike: return " ILIKE ";
        case BinaryOp::not_ilike: return " NOT ILIKE ";
        case BinaryOp::is_distinct_from: return " IS DISTINCT FROM ";
        case BinaryOp::is_not_distinct_from: return " IS NOT DISTINCT FROM ";
    }
    return " ? ";
}

void collect_froms(const ExprNode& e, std::vector<const FromNode*>& out) {
    if (e.kind == NodeKind::column) {
        const FromNode* f = static_cast<const ColumnNode&>(e).from.get();
        if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
        return;
    }
    if (e.kind == NodeKind::excluded) return;
    for_each_child(e, [&](const ExprNode& c) { collect_froms(c, out); });
}

void covered_by(const FromNode* f, std::vector<const FromNode*>& out) {
    out.push_back(f);
    if (f->kind == NodeKind::join) {
        const auto& j = static_cast<const JoinNode&>(*f);
        covered_by(j.left.get(), out);
        covered_by(j.right.get(), out);
    }
}

void collect_ctes(const FromNode* f, std::vector<const SubqueryNode*>& out) {
    if (f->kind == NodeKind::cte) {
        auto* c = static_cast<const SubqueryNode*>(f);
        for (auto* o : out)
            if (o->name == c->name) return;
        out.push_back(c);
    } else if (f->kind == NodeKind::join) {
        const auto& j = static_cast<const JoinNode&>(*f);
        collect_ctes(j.left.get(), out);
        collect_ctes(j.right.get(), out);
    } else if (f->kind == NodeKind::alias) {
        collect_ctes(static_cast<const AliasNode*>(f)->original.get(), out);
    }
}

bool is_plain_literal(const ExprNode& e) { return e.kind == NodeKind::bind || e.kind == NodeKind::literal; }

}  // namespace

void for_each_child(const ExprNode& e, const std::function<void(const ExprNode&)>& f) {
    auto visit = [&](const ExprPtr& p) {
        if (p) f(*p);
    };
    switch (e.kind) {
        case NodeKind::unary: visit(static_cast<const UnaryNode&>(e).operand); break;
        case NodeKind::binary: {
            const auto& b = static_cast<const BinaryNode&>(e);
            visit(b.left);
            visit(b.right);
            break;
        }
        case NodeKind::clause_list:
            for (const auto& i : static_cast<const ClauseListNode&>(e).items) visit(i);
            break;
        case NodeKind::function:
            for (const auto& i : static_cast<const FunctionNode&>(e).args) visit(i);
            break;
        case NodeKind::cast: visit(static_cast<const CastNode&>(e).expr); break;
        case NodeKind::case_: {
            const auto& c = static_cast<const CaseNode&>(e);
            for (const auto& [w, r] : c.whens) {
                visit(w);
                visit(r);
            }
            visit(c.else_);
            break;
        }
        case NodeKind::label: visit(static_cast<const LabelNode&>(e).expr); break;
        case NodeKind::in_list: {
            const auto& i = static_cast<const InNode&>(e);
            visit(i.expr);
            visit(i.list);
            break;
        }
        case NodeKind::between: {
            const auto& b = static_cast<const BetweenNode&>(e);
            visit(b.expr);
            visit(b.low);
            visit(b.high);
            break;
        }
        case NodeKind::order_item: visit(static_cast<const OrderItemNode&>(e).expr); break;
        default: break;
    }
}

// ---- entry points ------------------------------------------------------------------

Compiled SqlCompiler::compile(const StatementNode& stmt) const { return compile(stmt, stmt.cache_key()); }

Compiled SqlCompiler::compile(const StatementNode& stmt, const CacheKey& key) const {
    std::unordered_map<const Node*, std::size_t> index;
    index.reserve(key.binds.size());
    for (std::size_t i = 0; i < key.binds.size(); ++i) index.emplace(key.binds[i], i);
    Compiled result;
    result.shares_binds = index.size() < key.binds.size();
    CompileContext c{*this, result, result.sql, index};
    visit(c, stmt);
    switch (stmt.kind) {
        case NodeKind::select:
        case NodeKind::compound_select: {
            const auto& s = static_cast<const SelectBase&>(stmt);
            result.returns_rows = true;
            for (std::size_t i = 0; i < s.column_count(); ++i) result.columns.push_back({s.column_name(i), s.column_type(i)});
            break;
        }
        case NodeKind::insert:
        case NodeKind::update:
        case NodeKind::delete_: {
            result.is_dml = true;
            const std::vector<ExprPtr>* ret = nullptr;
            if (stmt.kind == NodeKind::insert) ret = &static_cast<const InsertNode&>(stmt).returning;
            else if (stmt.kind == NodeKind::update) ret = &static_cast<const UpdateNode&>(stmt).returning;
            else ret = &static_cast<const DeleteNode&>(stmt).returning;
            result.returns_rows = !ret->empty();
            for (const auto& e : *ret) {
                std::string name;
                if (e->kind == NodeKind::column) name = static_cast<const ColumnNode&>(*e).name;
                else if (e->kind == NodeKind::label) name = static_cast<const LabelNode&>(*e).name;
                result.columns.push_back({name, e->type});
            }
            break;
        }
        case NodeKind::text: result.returns_rows = true; break;  // decided by the driver from the result
        default: result.is_ddl = true; break;
    }
    for (const auto& p : result.params) result.has_expanding |= p.expanding;
    return result;
}

std::string expand_sql(const SqlCompiler& compiler, const Compiled& c, const std::vector<std::size_t>& sizes) {
    std::string out;
    out.reserve(c.sql.size() + 16 * c.params.size());
    std::size_t pos = 0, number = 0;
    for (std::size_t i = 0; i < c.params.size(); ++i) {
        auto [start, end] = c.placeholders[i];
        out.append(c.sql, pos, start - pos);
        pos = end;
        if (!c.params[i].expanding) {
            compiler.placeholder(out, ++number);
            continue;
        }
        std::size_t n = sizes[i];
        if (n == 0) {
            // An empty IN list is invalid SQL; this renders `x IN (NULL) AND (1 != 1)`
            // (or its NOT IN twin), which is false (true) for every row.
            out += c.params[i].name;
            continue;
        }
        for (std::size_t k = 0; k < n; ++k) {
            if (k) out += ", ";
            compiler.placeholder(out, ++number);
        }
    }
    out.append(c.sql, pos, std::string::npos);
    return out;
}

// ---- hooks: identifiers, placeholders, literals, types ----------------------------------

const std::vector<std::string_view>& SqlCompiler::reserved_words() const { return reserved_words_default(); }

const std::vector<std::string_view>& SqlCompiler::reserved_words_default() {
    // The SQL:2016 words most likely to be column names, plus those all three backends reserve.
    static const std::vector<std::string_view> words = {
        "all", "alter", "and", "any", "as", "asc", "between", "by", "case", "cast", "check", "collate", "column",
        "constraint", "create", "cross", "current_date", "current_time", "current_timestamp", "default", "delete",
        "desc", "distinct", "drop", "else", "end", "except", "exists", "false", "fetch", "for", "foreign", "from",
        "full", "grant", "group", "having", "in", "index", "inner", "insert", "intersect", "into", "is", "join",
        "key", "left", "like", "limit", "natural", "not", "null", "offset", "on", "or", "order", "outer",
        "primary", "references", "right", "select", "set", "table", "then", "to", "true", "union", "unique",
        "update", "user", "using", "values", "when", "where", "window", "with"};
    return words;
}

std::string SqlCompiler::printable(std::string_view name) {
    // Messages stay valid UTF-8: bytes of an ill-formed name are escaped too,
    // and a long name is cut on a character boundary.
    const bool escape_high = plugin::invalid_utf8_at(name).has_value();
    std::size_t cut = std::min<std::size_t>(name.size(), 80);
    if (!escape_high)
        while (cut > 0 && cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
    std::string out;
    for (char ch : name.substr(0, cut)) {
        auto u = static_cast<unsigned char>(ch);
        if (u < 0x20 || u == 0x7f || (escape_high && u >= 0x80)) {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 15];
        } else {
            out += ch;
        }
    }
    if (cut < name.size()) out += "...";
    return out;
}

std::optional<std::string> SqlCompiler::identifier_problem(std::string_view name) const {
    if (name.empty()) return "an identifier (table, column, alias or constraint name) cannot be empty";
    if (name.find('\0') != std::string_view::npos)
        return "identifier '" + printable(name) + "' contains a NUL byte, which no database accepts in a name";
    if (auto max = max_identifier_length(); max && name.size() > max)
        return "identifier '" + printable(name) + "' is " + std::to_string(name.size()) + " bytes long; this database "
               "allows at most " + std::to_string(max) + " (a longer name would be cut short, and two names could "
               "become one)";
    return std::nullopt;
}

std::string SqlCompiler::generated_name(std::string_view name) const {
    auto max = max_identifier_length();
    if (!max || name.size() <= max) return std::string(name);
    // FNV-1a of the whole name: the same on every run and every machine.
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 0x100000001b3ULL;
    char suffix[10];
    std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(h ^ (h >> 32)));
    std::size_t keep = max - 9;
    while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xc0) == 0x80) --keep;  // not inside a UTF-8 character
    return std::string(name.substr(0, keep)) + suffix;
}

std::string SqlCompiler::index_identifier(const IndexSpec& ix) const {
    return quote_identifier(ix.generated_name ? generated_name(ix.name) : ix.name);
}

std::string SqlCompiler::quote_identifier(std::string_view name) const {
    if (auto problem = identifier_problem(name)) throw CompileError(*problem);
    bool plain = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char ch : name) {
        auto u = static_cast<unsigned char>(ch);
        if (!(std::islower(u) || std::isdigit(u) || ch == '_')) plain = false;
    }
    if (plain) {
        const auto& words = reserved_words();
        plain = !std::binary_search(words.begin(), words.end(), name);
    }
    if (plain) return std::string(name);
    std::string out = "\"";
    for (char ch : name) {
        if (ch == '"') out += '"';
        out += ch;
    }
    return out + "\"";
}

void SqlCompiler::placeholder(std::string& out, std::size_t) const { out += '?'; }

std::string SqlCompiler::type_ddl(const SqlType& t) const {
    switch (t.kind) {
        case TypeKind::integer: return "INTEGER";
        case TypeKind::big_integer: return "BIGINT";
        case TypeKind::small_integer: return "SMALLINT";
        case TypeKind::boolean: return "BOOLEAN";
        case TypeKind::float_: return "REAL";
        case TypeKind::double_: return "DOUBLE PRECISION";
        case TypeKind::numeric:
            if (t.precision) return "NUMERIC(" + std::to_string(t.precision) + ", " + std::to_string(t.scale) + ")";
            return "NUMERIC";
        case TypeKind::string: return t.length ? "VARCHAR(" + std::to_string(t.length) + ")" : "VARCHAR";
        case TypeKind::text: return "TEXT";
        case TypeKind::large_binary: return "BLOB";
        case TypeKind::date: return "DATE";
        case TypeKind::time: return "TIME";
        case TypeKind::datetime: return t.timezone ? "TIMESTAMP WITH TIME ZONE" : "TIMESTAMP";
        case TypeKind::uuid: return "UUID";
        case TypeKind::json: return "JSON";
        case TypeKind::null_type: break;
    }
    throw CompileError("a column needs a type; NullType has no DDL");
}

std::string SqlCompiler::literal(const Value& v, const SqlType& type) const {
    auto quote = [](std::string_view s) {
        std::string out = "'";
        for (char ch : s) {
            if (ch == '\'') out += '\'';
            out += ch;
        }
        return out + "'";
    };
    struct V {
        const SqlCompiler& self;
        decltype(quote)& q;
        std::string operator()(Null) const { return "NULL"; }
        std::string operator()(bool b) const {
            return self.capabilities().native_boolean ? (b ? "TRUE" : "FALSE") : (b ? "1" : "0");
        }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", d);
            return buf;
        }
        std::string operator()(const std::string& s) const { return q(s); }
        std::string operator()(const Bytes& b) const {
            static const char* hex = "0123456789ABCDEF";
            std::string out = "X'";
            for (auto c : b) {
                out += hex[c >> 4];
                out += hex[c & 15];
            }
            return out + "'";
        }
        std::string operator()(const Decimal& d) const { return d.str(); }
        std::string operator()(Date d) const { return q(format_date(d)); }
        std::string operator()(Time t) const { return q(format_time(t)); }
        std::string operator()(DateTime t) const { return q(format_datetime(t)); }
        // As the drivers bind them where the type is not native: an instant as
        // its UTC date and time, a UUID as 32 hex digits. A default must be
        // stored as the same bytes as a value the program writes.
        std::string operator()(Timestamp t) const {
            if (self.capabilities().timezone_aware_datetime) return q(format_timestamp(t));
            return q(format_datetime(DateTime{t.time_since_epoch()}));
        }
        std::string operator()(const Uuid& u) const { return q(self.capabilities().native_uuid ? u.str() : u.hex()); }
        std::string operator()(const Json& j) const { return q(j.text); }
    };
    (void)type;
    return std::visit(V{*this, quote}, v);
}

std::string SqlCompiler::table_name(const TableNode& t) const {
    if (t.schema.empty()) return quote_identifier(t.name);
    return quote_identifier(t.schema) + "." + quote_identifier(t.name);
}

namespace {
// Names the column the parameters rendered in its scope are values for (an
// empty name keeps what an enclosing scope said).
class ValueFor {
public:
    ValueFor(CompileContext& c, std::string_view column) : c_(c), saved_(c.value_for) {
        if (!column.empty()) c.value_for = column;
    }
    ~ValueFor() { c_.value_for = saved_; }
    ValueFor(const ValueFor&) = delete;
    ValueFor& operator=(const ValueFor&) = delete;

private:
    CompileContext& c_;
    std::string_view saved_;
};

// The column an operand is, if it is one.
std::string_view column_name(const ExprPtr& e) {
    return e && e->kind == NodeKind::column ? std::string_view(static_cast<const ColumnNode&>(*e).name) : std::string_view{};
}
}  // namespace

void SqlCompiler::emit_param(CompileContext& c, ParamRef ref) const {
    if (ref.column.empty()) ref.column = std::string(c.value_for);
    std::size_t start = c.out.size();
    placeholder(c.out, c.result.params.size() + 1);
    c.result.placeholders.emplace_back(start, c.out.size());
    c.result.params.push_back(std::move(ref));
}

// ---- dispatch ------------------------------------------------------------------------

void SqlCompiler::visit(CompileContext& c, const Node& n) const {
    switch (n.kind) {
        case NodeKind::column: return visit_column(c, static_cast<const ColumnNode&>(n));
        case NodeKind::bind: return visit_bind(c, static_cast<const BindNode&>(n));
        case NodeKind::literal: return visit_literal(c, static_cast<const LiteralNode&>(n));
        case NodeKind::unary: return visit_unary(c, static_cast<const UnaryNode&>(n));
        case NodeKind::binary: return visit_binary(c, static_cast<const BinaryNode&>(n));
        case NodeKind::clause_list: return visit_clause_list(c, static_cast<const ClauseListNode&>(n));
        case NodeKind::function: return visit_function(c, static_cast<const FunctionNode&>(n));
        case NodeKind::cast: return visit_cast(c, static_cast<const CastNode&>(n));
        case NodeKind::case_: return visit_case(c, static_cast<const CaseNode&>(n));
        case NodeKind::label: return visit_label(c, static_cast<const LabelNode&>(n));
        case NodeKind::in_list: return visit_in(c, static_cast<const InNode&>(n));
        case NodeKind::between: return visit_between(c, static_cast<const BetweenNode&>(n));
        case NodeKind::scalar_subquery: return visit_scalar_subquery(c, static_cast<const ScalarSubqueryNode&>(n));
        case NodeKind::exists: return visit_exists(c, static_cast<const ExistsNode&>(n));
        case NodeKind::excluded: return visit_excluded(c, static_cast<const ExcludedNode&>(n));
        case NodeKind::order_item: return visit_order_item(c, static_cast<const OrderItemNode&>(n));
        case NodeKind::table:
        case NodeKind::alias:
        case NodeKind::join:
        case NodeKind::subquery:
        case NodeKind::cte: return visit_from(c, static_cast<const FromNode&>(n));
        case NodeKind::select: return visit_select(c, static_cast<const SelectNode&>(n));
        case NodeKind::compound_select: return visit_compound_select(c, static_cast<const CompoundSelectNode&>(n));
        case NodeKind::insert: return visit_insert(c, static_cast<const InsertNode&>(n));
        case NodeKind::update: return visit_update(c, static_cast<const UpdateNode&>(n));
        case NodeKind::delete_: return visit_delete(c, static_cast<const DeleteNode&>(n));
        case NodeKind::text: c.out += static_cast<const TextNode&>(n).sql; return;
        case NodeKind::create_table: return visit_create_table(c, static_cast<const CreateTableNode&>(n));
        case NodeKind::drop_table: return visit_drop_table(c, static_cast<const DropTableNode&>(n));
        case NodeKind::create_index: return visit_create_index(c, static_cast<const CreateIndexNode&>(n));
        case NodeKind::drop_index: return visit_drop_index(c, static_cast<const DropIndexNode&>(n));
    }
}

namespace {
// Renders `child`, parenthesised when it binds more loosely than its parent.
void operand(const SqlCompiler& s, CompileContext& c, const ExprPtr& child, int parent_prec) {
    bool parens = precedence(*child) < parent_prec;
    if (parens) c.out += '(';
    s.visit(c, *child);
    if (parens) c.out += ')';
}
}  // namespace

// ---- expressions ------------------------------------------------------------------------

void SqlCompiler::visit_column(CompileContext& c, const ColumnNode& n) const {
    if (c.qualify) {
        const FromNode& f = *n.from;
        if (f.kind == NodeKind::table) c.out += table_name(static_cast<const TableNode&>(f));
        else if (f.kind == NodeKind::alias) c.out += quote_identifier(static_cast<const AliasNode&>(f).name);
        else if (f.kind == NodeKind::subquery || f.kind == NodeKind::cte)
            c.out += quote_identifier(static_cast<const SubqueryNode&>(f).name);
        c.out += '.';
    }
    c.out += quote_identifier(n.name);
}

void SqlCompiler::visit_bind(CompileContext& c, const BindNode& n) const {
    if (c.inline_binds) {
        if (!n.key.empty() || n.expanding) throw CompileError("DDL cannot take parameters");
        c.out += literal(n.value, n.type);
        return;
    }
    ParamRef ref;
    ref.type = n.type;
    ref.expanding = n.expanding;
    if (!n.key.empty()) {
        ref.source = ParamRef::Source::named;
        ref.name = n.key;
    } else {
        auto it = c.bind_index.find(&n);
        if (it == c.bind_index.end()) throw CompileError("internal: a bound value is missing from the statement's cache key");
        ref.index = it->second;
    }
    emit_param(c, std::move(ref));
}

void SqlCompiler::visit_literal(CompileContext& c, const LiteralNode& n) const { c.out += n.text; }

void SqlCompiler::visit_unary(CompileContext& c, const UnaryNode& n) const {
    switch (n.op) {
        case UnaryOp::not_:
            c.out += "NOT ";
            operand(*this, c, n.operand, 4);
            return;
        case UnaryOp::negate:
            c.out += '-';
            operand(*this, c, n.operand, 9);
            return;
        case UnaryOp::is_null:
        case UnaryOp::is_not_null:
            operand(*this, c, n.operand, 5);
            c.out += n.op == UnaryOp::is_null ? " IS NULL" : " IS NOT NULL";
            return;
        case UnaryOp::distinct:
            c.out += "DISTINCT ";
            visit(c, *n.operand);
            return;
    }
}

void SqlCompiler::visit_binary(CompileContext& c, const BinaryNode& n) const {
    int p = precedence(n);
    if ((n.op == BinaryOp::ilike || n.op == BinaryOp::not_ilike) && !caps_.ilike) {
        c.out += "lower(";
        visit(c, *n.left);
        c.out += n.op == BinaryOp::ilike ? ") LIKE lower(" : ") NOT LIKE lower(";
        visit(c, *n.right);
        c.out += ')';
    } else {
        {
            ValueFor v(c, column_name(n.right));
            operand(*this, c, n.left, p);
        }
        c.out += binary_op_text(n.op);
        // Left-associative operators need parentheses for an equal-precedence right side: a - (b - c).
        ValueFor v(c, column_name(n.left));
        operand(*this, c, n.right, p + 1);
    }
    if (n.escape) {
        c.out += " ESCAPE ";
        c.out += literal(std::string(1, *n.escape), types::String());
    }
}

void SqlCompiler::visit_clause_list(CompileContext& c, const ClauseListNode& n) const {
    if (n.items.empty()) {
        // and_() is true and or_() false, as the identities of their operators.
        c.out += n.op == ListOp::and_ ? "1 = 1" : n.op == ListOp::or_ ? "1 != 1" : "";
        return;
    }
    std::string_view sep = n.op == ListOp::and_ ? " AND " : n.op == ListOp::or_ ? " OR " : ", ";
    int p = precedence(n);
    if (n.op == ListOp::comma) c.out += '(';
    for (std::size_t i = 0; i < n.items.size(); ++i) {
        if (i) c.out += sep;
        operand(*this, c, n.items[i], p + (n.op == ListOp::comma ? 0 : 1));
    }
    if (n.op == ListOp::comma) c.out += ')';
}

bool SqlCompiler::render_known_function(CompileContext& c, const FunctionNode& n) const {
    if (n.name == "now" && n.args.empty()) {
        c.out += "CURRENT_TIMESTAMP";
        return true;
    }
    if (n.name == "avg" && n.args.size() == 1) {
        // In floating point everywhere (MySQL's AVG of integers is a DECIMAL of 4 more digits).
        CastNode as_double(n.args[0], types::Double());
        c.out += "avg(";
        visit_cast(c, as_double);
        c.out += ')';
        return true;
    }
    if (n.name == "floordiv" && n.args.size() == 2) {
        // Integer division truncates toward zero on every backend (and % takes
        // the dividend's sign): one less when the signs differ and it is not exact.
        auto arg = [&](std::size_t i) {
            c.out += '(';
            visit(c, *n.args[i]);
            c.out += ')';
        };
        c.out += '(';
        arg(0);
        c.out += truncating_division();
        arg(1);
        c.out += " - CASE WHEN ";
        arg(0);
        c.out += " % ";
        arg(1);
        c.out += " <> 0 AND (";
        arg(0);
        c.out += " < 0) <> (";
        arg(1);
        c.out += " < 0) THEN 1 ELSE 0 END)";
        return true;
    }
    return false;
}

void SqlCompiler::visit_function(CompileContext& c, const FunctionNode& n) const {
    if (render_known_function(c, n)) return;
    c.out += n.name;
    c.out += '(';
    if (n.star) c.out += '*';
    for (std::size_t i = 0; i < n.args.size(); ++i) {
        if (i) c.out += ", ";
        visit(c, *n.args[i]);
    }
    c.out += ')';
}

void SqlCompiler::visit_cast(CompileContext& c, const CastNode& n) const {
    c.out += "CAST(";
    visit(c, *n.expr);
    c.out += " AS ";
    c.out += type_ddl(n.type);
    c.out += ')';
}

void SqlCompiler::visit_case(CompileContext& c, const CaseNode& n) const {
    c.out += "CASE";
    for (const auto& [w, r] : n.whens) {
        c.out += " WHEN ";
        visit(c, *w);
        c.out += " THEN ";
        visit(c, *r);
    }
    if (n.else_) {
        c.out += " ELSE ";
        visit(c, *n.else_);
    }
    c.out += " END";
}

void SqlCompiler::visit_label(CompileContext& c, const LabelNode& n) const {
    switch (c.label) {
        case LabelStyle::reference: c.out += quote_identifier(n.name); return;
        case LabelStyle::definition: {
            FlagScope scope(c);
            c.label = LabelStyle::inner;
            visit(c, *n.expr);
            c.out += " AS ";
            c.out += quote_identifier(n.name);
            return;
        }
        case LabelStyle::inner: visit(c, *n.expr); return;
    }
}

void SqlCompiler::visit_in(CompileContext& c, const InNode& n) const {
    if (n.subquery) {
        operand(*this, c, n.expr, 5);
        c.out += n.negate ? " NOT IN " : " IN ";
        visit_nested_select(c, *n.subquery);
        return;
    }
    // Parenthesised as a whole so that the empty-list rendering (which adds an
    // AND/OR of its own) keeps its meaning inside any expression.
    c.out += '(';
    operand(*this, c, n.expr, 5);
    c.out += n.negate ? " NOT IN (" : " IN (";
    const auto& list = static_cast<const BindNode&>(*n.list);
    std::size_t before = c.result.params.size();
    ValueFor v(c, column_name(n.expr));
    visit_bind(c, list);
    if (c.result.params.size() > before)
        c.result.params.back().name = n.negate ? "NULL) OR (1 = 1" : "NULL) AND (1 != 1";
    c.out += "))";
}

void SqlCompiler::visit_between(CompileContext& c, const BetweenNode& n) const {
    operand(*this, c, n.expr, 5);
    c.out += n.negate ? " NOT BETWEEN " : " BETWEEN ";
    ValueFor v(c, column_name(n.expr));
    operand(*this, c, n.low, 5);
    c.out += " AND ";
    operand(*this, c, n.high, 5);
}

void SqlCompiler::visit_scalar_subquery(CompileContext& c, const ScalarSubqueryNode& n) const {
    visit_nested_select(c, *n.select);
}

void SqlCompiler::visit_exists(CompileContext& c, const ExistsNode& n) const {
    c.out += "EXISTS ";
    visit_nested_select(c, *n.select);
}

void SqlCompiler::visit_excluded(CompileContext& c, const ExcludedNode& n) const {
    c.out += "excluded.";
    c.out += quote_identifier(n.column->name);
}

void SqlCompiler::render_nulls_order(CompileContext& c, const OrderItemNode& n) const {
    // Emulation for backends without NULLS FIRST/LAST: sort on "is null" first.
    // NULL sorts as the smallest value on those backends, so only the opposite
    // of the default placement needs the extra key.
    c.out += '(';
    visit(c, *n.expr);
    c.out += n.nulls == NullsOrder::first ? " IS NULL) DESC, " : " IS NULL), ";
    visit(c, *n.expr);
    c.out += n.desc ? " DESC" : "";
}

void SqlCompiler::visit_order_item(CompileContext& c, const OrderItemNode& n) const {
    if (n.nulls != NullsOrder::default_ && !caps_.nulls_ordering) return render_nulls_order(c, n);
    visit(c, *n.expr);
    if (n.desc) c.out += " DESC";
    if (n.nulls == NullsOrder::first) c.out += " NULLS FIRST";
    if (n.nulls == NullsOrder::last) c.out += " NULLS LAST";
}

// ---- FROM ------------------------------------------------------------------------------

void SqlCompiler::visit_from(CompileContext& c, const FromNode& n) const {
    switch (n.kind) {
        case NodeKind::table: c.out += table_name(static_cast<const TableNode&>(n)); return;
        case NodeKind::alias: {
            const auto& a = static_cast<const AliasNode&>(n);
            if (a.original->kind == NodeKind::table) visit_from(c, *a.original);
            else visit_nested_select(c, *static_cast<const SubqueryNode&>(*a.original).select);
            c.out += " AS ";
            c.out += quote_identifier(a.name);
            return;
        }
        case NodeKind::join: {
            const auto& j = static_cast<const JoinNode&>(n);
            if (j.is_full && !caps_.full_outer_join)
                throw CompileError("this dialect has no FULL OUTER JOIN (capability full_outer_join)");
            visit_from(c, *j.left);
            c.out += j.is_full ? " FULL OUTER JOIN " : j.is_outer ? " LEFT OUTER JOIN " : " JOIN ";
            visit_from(c, *j.right);
            c.out += " ON ";
            visit(c, *j.on);
            return;
        }
        case NodeKind::subquery: {
            const auto& s = static_cast<const SubqueryNode&>(n);
            CompileContext inner = c;  // a derived table does not correlate
            inner.enclosing_froms.clear();
            visit_nested_select(inner, *s.select);
            c.out += " AS ";
            c.out += quote_identifier(s.name);
            return;
        }
        case NodeKind::cte: c.out += quote_identifier(static_cast<const SubqueryNode&>(n).name); return;
        default: throw CompileError("internal: not a FROM element");
    }
}

std::vector<const FromNode*> SqlCompiler::froms_of(const CompileContext& c, const SelectNode& n) const {
    std::vector<const FromNode*> froms, covered;
    for (const auto& f : n.froms) {
        froms.push_back(f.get());
        covered_by(f.get(), covered);
    }
    std::vector<const FromNode*> referenced;
    for (const auto& e : n.columns) collect_froms(*e, referenced);
    if (n.where) collect_froms(*n.where, referenced);
    for (const auto& e : n.group_by) collect_froms(*e, referenced);
    if (n.having) collect_froms(*n.having, referenced);
    for (const auto& e : n.order_by) collect_froms(*e, referenced);
    std::vector<const FromNode*> inferred, correlated;
    for (const auto* f : referenced) {
        if (std::find(covered.begin(), covered.end(), f) != covered.end()) continue;
        bool outer = std::find(c.enclosing_froms.begin(), c.enclosing_froms.end(), f) != c.enclosing_froms.end();
        (outer ? correlated : inferred).push_back(f);
    }
    // A subquery that would be left with no FROM at all keeps the outer tables (no correlation).
    if (froms.empty() && inferred.empty()) inferred = correlated;
    froms.insert(froms.end(), inferred.begin(), inferred.end());
    return froms;
}

void SqlCompiler::visit_nested_select(CompileContext& c, const SelectBase& s, bool parenthesize) const {
    if (parenthesize) c.out += '(';
    CompileContext inner = c;
    inner.depth = c.depth + 1;
    inner.label = LabelStyle::inner;
    inner.qualify = true;
    visit(inner, s);
    if (parenthesize) c.out += ')';
}

// ---- SELECT -------------------------------------------------------------------------------

void SqlCompiler::visit_select(CompileContext& c, const SelectNode& n) const {
    auto froms = froms_of(c, n);

    std::vector<const SubqueryNode*> found, ctes;
    for (const auto& cte : n.ctes) found.push_back(cte.get());
    for (const auto* f : froms) collect_ctes(f, found);
    for (const auto* cte : found)
        if (std::find(c.ctes_in_scope.begin(), c.ctes_in_scope.end(), cte->name) == c.ctes_in_scope.end())
            ctes.push_back(cte);
    if (!ctes.empty()) {
        bool recursive = false;
        for (const auto* cte : ctes) recursive |= cte->recursive;
        c.out += recursive ? "WITH RECURSIVE " : "WITH ";
        for (std::size_t i = 0; i < ctes.size(); ++i) {
            if (i) c.out += ", ";
            const auto* cte = ctes[i];
            c.out += quote_identifier(cte->name);
            if (cte->recursive) {
                c.out += '(';
                for (std::size_t k = 0; k < cte->names.size(); ++k) {
                    if (k) c.out += ", ";
                    c.out += quote_identifier(cte->names[k]);
                }
                c.out += ')';
            }
            c.out += " AS ";
            CompileContext inner = c;
            inner.enclosing_froms.clear();
            for (const auto* defined : ctes) inner.ctes_in_scope.push_back(defined->name);
            visit_nested_select(inner, *cte->select);
        }
        c.out += ' ';
    }

    // Subqueries anywhere in this SELECT (its column list included) correlate
    // to its FROM entries.
    CompileContext inner = c;
    inner.label = LabelStyle::inner;
    inner.enclosing_froms.insert(inner.enclosing_froms.end(), froms.begin(), froms.end());
    for (const auto* cte : ctes) inner.ctes_in_scope.push_back(cte->name);

    c.out += n.distinct ? "SELECT DISTINCT " : "SELECT ";
    {
        FlagScope scope(inner);
        inner.label = LabelStyle::definition;
        for (std::size_t i = 0; i < n.columns.size(); ++i) {
            if (i) c.out += ", ";
            visit(inner, *n.columns[i]);
        }
    }
    if (!froms.empty()) {
        c.out += " FROM ";
        for (std::size_t i = 0; i < froms.size(); ++i) {
            if (i) c.out += ", ";
            visit_from(inner, *froms[i]);
        }
    }
    if (n.where) {
        c.out += " WHERE ";
        visit(inner, *n.where);
    }
    if (!n.group_by.empty()) {
        c.out += " GROUP BY ";
        FlagScope scope(inner);
        inner.label = LabelStyle::reference;
        for (std::size_t i = 0; i < n.group_by.size(); ++i) {
            if (i) c.out += ", ";
            visit(inner, *n.group_by[i]);
        }
    }
    if (n.having) {
        c.out += " HAVING ";
        visit(inner, *n.having);
    }
    if (!n.order_by.empty()) {
        c.out += " ORDER BY ";
        FlagScope scope(inner);
        inner.label = LabelStyle::reference;
        for (std::size_t i = 0; i < n.order_by.size(); ++i) {
            if (i) c.out += ", ";
            visit(inner, *n.order_by[i]);
        }
    }
    if (n.limit || n.offset) render_limit_offset(inner, n.limit, n.offset);
    if (n.for_update && caps_.for_update) {
        if (n.for_update == 2 && !caps_.for_update_nowait) throw CompileError("this dialect has no FOR UPDATE NOWAIT");
        if (n.for_update == 3 && !caps_.for_update_skip_locked)
            throw CompileError("this dialect has no FOR UPDATE SKIP LOCKED");
        c.out += n.for_update == 3 ? " FOR UPDATE SKIP LOCKED" : n.for_update == 2 ? " FOR UPDATE NOWAIT" : " FOR UPDATE";
    }
}

void SqlCompiler::render_limit_offset(CompileContext& c, const ExprPtr& limit, const ExprPtr& offset) const {
    if (limit) {
        c.out += " LIMIT ";
        visit(c, *limit);
    }
    if (offset) {
        c.out += " OFFSET ";
        visit(c, *offset);
    }
}

void SqlCompiler::visit_compound_select(CompileContext& c, const CompoundSelectNode& n) const {
    static constexpr std::string_view ops[] = {" UNION ", " UNION ALL ", " INTERSECT ", " EXCEPT "};
    if ((n.op == CompoundOp::intersect || n.op == CompoundOp::except) && !caps_.intersect_except)
        throw CompileError("this dialect has no INTERSECT/EXCEPT");
    for (std::size_t i = 0; i < n.selects.size(); ++i) {
        if (i) c.out += ops[static_cast<int>(n.op)];
        const auto& s = *n.selects[i];
        if (s.kind == NodeKind::select) {
            const auto& sel = static_cast<const SelectNode&>(s);
            if (!sel.order_by.empty() || sel.limit || sel.offset)
                throw CompileError("a member of a UNION/INTERSECT/EXCEPT cannot have its own ORDER BY or LIMIT; "
                                   "select from it as a subquery instead");
        }
        visit(c, s);
    }
    if (!n.order_by.empty()) {
        // A compound's ORDER BY names its output columns, not any table's.
        FlagScope scope(c);
        c.qualify = false;
        c.label = LabelStyle::reference;
        c.out += " ORDER BY ";
        for (std::size_t i = 0; i < n.order_by.size(); ++i) {
            if (i) c.out += ", ";
            visit(c, *n.order_by[i]);
        }
    }
    if (n.limit || n.offset) render_limit_offset(c, n.limit, n.offset);
}

// ---- DML -------------------------------------------------------------------------------

void SqlCompiler::render_returning(CompileContext& c, const std::vector<ExprPtr>& items) const {
    FlagScope scope(c);
    // Unqualified: RETURNING refers to the row of the one target table.
    c.qualify = false;
    c.label = LabelStyle::definition;
    c.out += " RETURNING ";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) c.out += ", ";
        visit(c, *items[i]);
    }
}

void SqlCompiler::render_upsert(CompileContext& c, const InsertNode& n) const {
    const auto& u = *n.upsert;
    c.out += " ON CONFLICT (";
    for (std::size_t i = 0; i < u.conflict_columns.size(); ++i) {
        if (i) c.out += ", ";
        c.out += quote_identifier(u.conflict_columns[i]->name);
    }
    c.out += ')';
    if (u.set.empty()) {
        c.out += " DO NOTHING";
        return;
    }
    c.out += " DO UPDATE SET ";
    for (std::size_t i = 0; i < u.set.size(); ++i) {
        if (i) c.out += ", ";
        c.out += quote_identifier(u.set[i].first->name);
        c.out += " = ";
        visit(c, *u.set[i].second);
    }
    if (u.where) {
        c.out += " WHERE ";
        visit(c, *u.where);
    }
}

void SqlCompiler::visit_insert(CompileContext& c, const InsertNode& n) const {
    const TableNode& t = *n.table;
    // Columns with a client-side default that the statement leaves out get a
    // placeholder whose value is computed at execution, once per row.
    std::vector<std::size_t> defaulted;
    if (!n.from_select) {
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (!t.columns[i].default_factory) continue;
            bool given = false;
            for (const auto& col : n.columns) given |= col->index == i;
            if (!given) defaulted.push_back(i);
        }
    }
    c.out += "INSERT INTO ";
    c.out += table_name(t);
    std::size_t ncols = n.columns.size() + defaulted.size();
    if (ncols == 0 && !n.from_select) {
        if (n.rows.size() > 1) throw CompileError("a multi-row INSERT needs at least one column");
        c.out += ' ';
        c.out += empty_insert_values();
    } else {
        c.out += " (";
        for (std::size_t i = 0; i < n.columns.size(); ++i) {
            if (i) c.out += ", ";
            c.out += quote_identifier(n.columns[i]->name);
        }
        for (std::size_t i = 0; i < defaulted.size(); ++i) {
            if (i || !n.columns.empty()) c.out += ", ";
            c.out += quote_identifier(t.columns[defaulted[i]].name);
        }
        c.out += ')';
        if (n.from_select) {
            c.out += ' ';
            visit_nested_select(c, *n.from_select, false);
        } else {
            if (n.rows.size() > 1 && !caps_.multi_row_values)
                throw CompileError("this dialect cannot insert several rows in one statement");
            c.out += " VALUES ";
            const std::vector<ExprPtr> empty_row;
            std::size_t nrows = std::max<std::size_t>(n.rows.size(), 1);
            for (std::size_t r = 0; r < nrows; ++r) {
                if (r) c.out += ", ";
                c.out += '(';
                const auto& row = n.rows.empty() ? empty_row : n.rows[r];
                for (std::size_t i = 0; i < row.size(); ++i) {
                    if (i) c.out += ", ";
                    ValueFor v(c, n.columns[i]->name);
                    visit(c, *row[i]);
                }
                for (std::size_t i = 0; i < defaulted.size(); ++i) {
                    if (i || !row.empty()) c.out += ", ";
                    ParamRef ref;
                    ref.source = ParamRef::Source::column_default;
                    ref.index = defaulted[i];
                    ref.type = t.columns[defaulted[i]].type;
                    ref.column = t.columns[defaulted[i]].name;
                    emit_param(c, std::move(ref));
                }
                c.out += ')';
            }
        }
    }
    if (n.upsert) render_upsert(c, n);
    if (!n.returning.empty()) {
        if (!caps_.insert_returning) throw CompileError("this dialect has no INSERT ... RETURNING");
        render_returning(c, n.returning);
    }
}

void SqlCompiler::visit_update(CompileContext& c, const UpdateNode& n) const {
    if (n.set.empty()) throw CompileError("UPDATE of '" + n.table->name + "' sets no column");
    CompileContext inner = c;
    inner.enclosing_froms.push_back(n.table.get());
    c.out += "UPDATE ";
    c.out += table_name(*n.table);
    c.out += " SET ";
    for (std::size_t i = 0; i < n.set.size(); ++i) {
        if (i) c.out += ", ";
        c.out += quote_identifier(n.set[i].first->name);
        c.out += " = ";
        ValueFor v(inner, n.set[i].first->name);
        visit(inner, *n.set[i].second);
    }
    if (n.where) {
        c.out += " WHERE ";
        visit(inner, *n.where);
    }
    if (!n.returning.empty()) {
        if (!caps_.update_returning) throw CompileError("this dialect has no UPDATE ... RETURNING");
        render_returning(c, n.returning);
    }
}

void SqlCompiler::visit_delete(CompileContext& c, const DeleteNode& n) const {
    c.out += "DELETE FROM ";
    c.out += table_name(*n.table);
    CompileContext inner = c;
    inner.enclosing_froms.push_back(n.table.get());
    if (n.where) {
        c.out += " WHERE ";
        visit(inner, *n.where);
    }
    if (!n.returning.empty()) {
        if (!caps_.delete_returning) throw CompileError("this dialect has no DELETE ... RETURNING");
        render_returning(c, n.returning);
    }
}

// ---- DDL -----------------------------------------------------------------------------------

bool SqlCompiler::primary_key_inline(const TableNode&) const { return false; }

void SqlCompiler::render_server_default(CompileContext& c, const ExprPtr& e) const {
    // Constants and the current timestamp stand bare after DEFAULT everywhere;
    // any other expression needs parentheses (SQLite and MySQL insist).
    bool bare = is_plain_literal(*e) ||
                (e->kind == NodeKind::function && static_cast<const FunctionNode&>(*e).name == "now");
    if (bare) {
        visit(c, *e);
        return;
    }
    c.out += '(';
    visit(c, *e);
    c.out += ')';
}

void SqlCompiler::render_column_ddl(CompileContext& c, const TableNode& t, std::size_t i) const {
    const ColumnSpec& col = t.columns[i];
    c.out += quote_identifier(col.name);
    c.out += ' ';
    auto autoinc = t.autoincrement_column();
    if (autoinc && *autoinc == i) {
        c.out += type_ddl(col.type);
        c.out += " GENERATED BY DEFAULT AS IDENTITY";
    } else {
        c.out += type_ddl(col.type);
    }
    if (col.server_default) {
        c.out += " DEFAULT ";
        render_server_default(c, col.server_default);
    }
    if (!col.nullable) c.out += " NOT NULL";
}

void SqlCompiler::visit_create_table(CompileContext& c, const CreateTableNode& n) const {
    const TableNode& t = *n.table;
    if (t.columns.empty()) throw CompileError("table '" + t.name + "' has no column");
    FlagScope scope(c);
    c.qualify = false;
    c.inline_binds = true;
    c.out += n.if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ";
    c.out += table_name(t);
    c.out += " (\n";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i) c.out += ",\n";
        c.out += '\t';
        render_column_ddl(c, t, i);
    }
    auto column_list = [&](const std::vector<std::size_t>& cols) {
        c.out += '(';
        for (std::size_t k = 0; k < cols.size(); ++k) {
            if (k) c.out += ", ";
            c.out += quote_identifier(t.columns[cols[k]].name);
        }
        c.out += ')';
    };
    auto constraint_name = [&](const std::string& name) {
        if (!name.empty()) c.out += "CONSTRAINT " + quote_identifier(name) + " ";
    };
    if (!t.primary_key.empty() && !primary_key_inline(t)) {
        c.out += ",\n\tPRIMARY KEY ";
        column_list(t.primary_key);
    }
    for (const auto& u : t.uniques) {
        c.out += ",\n\t";
        constraint_name(u.name);
        c.out += "UNIQUE ";
        column_list(u.columns);
    }
    for (const auto& ck : t.checks) {
        c.out += ",\n\t";
        constraint_name(ck.name);
        c.out += "CHECK (";
        visit(c, *ck.condition);
        c.out += ')';
    }
    for (const auto& fk : t.foreign_keys) {
        auto target = fk.target.lock();
        if (!target) throw CompileError("a foreign key of table '" + t.name + "' references a table that no longer exists");
        c.out += ",\n\t";
        constraint_name(fk.name);
        c.out += "FOREIGN KEY";
        column_list(fk.columns);
        c.out += " REFERENCES ";
        c.out += table_name(*target);
        c.out += " (";
        for (std::size_t k = 0; k < fk.target_columns.size(); ++k) {
            if (k) c.out += ", ";
            c.out += quote_identifier(fk.target_columns[k]);
        }
        c.out += ')';
        if (fk.on_delete != ReferentialAction::no_action) c.out += " ON DELETE " + std::string(to_sql(fk.on_delete));
        if (fk.on_update != ReferentialAction::no_action) c.out += " ON UPDATE " + std::string(to_sql(fk.on_update));
    }
    c.out += "\n)";
    c.inline_binds = false;
}

void SqlCompiler::visit_drop_table(CompileContext& c, const DropTableNode& n) const {
    c.out += n.if_exists ? "DROP TABLE IF EXISTS " : "DROP TABLE ";
    c.out += table_name(*n.table);
}

void SqlCompiler::visit_create_index(CompileContext& c, const CreateIndexNode& n) const {
    const auto& ix = n.table->indexes.at(n.index);
    c.out += ix.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
    c.out += index_identifier(ix);
    c.out += " ON ";
    c.out += table_name(*n.table);
    c.out += " (";
    for (std::size_t k = 0; k < ix.columns.size(); ++k) {
        if (k) c.out += ", ";
        c.out += quote_identifier(n.table->columns[ix.columns[k]].name);
    }
    c.out += ')';
}

void SqlCompiler::visit_drop_index(CompileContext& c, const DropIndexNode& n) const {
    c.out += "DROP INDEX ";
    c.out += index_identifier(n.table->indexes.at(n.index));
}

}  // namespace retort::sql
