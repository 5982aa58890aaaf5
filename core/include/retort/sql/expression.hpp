// The typed expression language: column expressions, operators, functions.
//
//   auto q = select(users.id, users.name)
//                .where(users.name == "ed" && users.age >= 18)   // typed: users.name == 5 does not compile
//                .order_by(users.id.desc());
//
// TypedExpr<T> is an expression whose values read as the C++ type T. Operators
// build new nodes; every plain C++ value becomes a bound parameter, never SQL text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "retort/sql/nodes.hpp"
#include "retort/value_traits.hpp"

namespace retort::sql {

/// An expression of unknown C++ type; the base of every TypedExpr.
class Expr {
public:
    Expr() = default;
    explicit Expr(ExprPtr n) : node_(std::move(n)) {}
    const ExprPtr& node() const noexcept { return node_; }
    SqlType type() const { return node_->type; }

protected:
    ExprPtr node_;
};

template <class T>
class TypedExpr;

namespace detail {
template <class T>
struct typed_expr_value { using type = void; };
template <class T>
struct typed_expr_value<TypedExpr<T>> { using type = T; };
template <class T>
concept IsTypedExpr = std::is_base_of_v<Expr, std::remove_cvref_t<T>> &&
                      requires { typename std::remove_cvref_t<T>::value_type; };

template <class T>
struct unwrap_optional { using type = T; };
template <class T>
struct unwrap_optional<std::optional<T>> { using type = T; };

// The C++ value type an operand stands for: X for a TypedExpr<X>, itself otherwise.
template <class T>
struct operand_value { using type = std::remove_cvref_t<std::decay_t<T>>; };
template <IsTypedExpr T>
struct operand_value<T> { using type = typename std::remove_cvref_t<T>::value_type; };
}  // namespace detail

template <class T>
using operand_value_t = typename detail::operand_value<T>::type;
template <class T>
using base_value_t = typename detail::unwrap_optional<operand_value_t<T>>::type;

template <class T>
constexpr ValueCategory category_of = ValueTraits<operand_value_t<T>>::category;

/// Something that can stand on either side of an operator: a typed expression or a bindable value.
template <class T>
concept Operand = detail::IsTypedExpr<T> || Bindable<T>;

/// Two operands whose values can be compared with each other.
template <class A, class B>
concept Comparable =
    Operand<A> && Operand<B> &&
    (category_of<A> == ValueCategory::any || category_of<B> == ValueCategory::any ||
     category_of<A> == category_of<B> ||
     ((category_of<A> == ValueCategory::datetime || category_of<A> == ValueCategory::timestamp) &&
      (category_of<B> == ValueCategory::datetime || category_of<B> == ValueCategory::timestamp)));

template <class T>
concept BooleanOperand = Operand<T> && (category_of<T> == ValueCategory::boolean || category_of<T> == ValueCategory::any);

/// The node for an operand: the expression itself, or a bound parameter typed
/// after `hint` (the other side of the comparison) when it has a type.
template <Operand T>
ExprPtr to_node(const T& v, const SqlType& hint = {}) {
    if constexpr (detail::IsTypedExpr<T>) {
        return v.node();
    } else {
        SqlType t = hint.kind == TypeKind::null_type ? value_traits_t<T>::sql_type() : hint;
        return std::make_shared<BindNode>(to_value(v), t);
    }
}

ExprPtr make_binary(BinaryOp op, ExprPtr l, ExprPtr r, SqlType result);
ExprPtr make_list(ListOp op, std::vector<ExprPtr> items);
ExprPtr make_unary(UnaryOp op, ExprPtr e, SqlType result);
ExprPtr make_in(ExprPtr e, std::vector<Value> values, bool negate);
ExprPtr make_in_select(ExprPtr e, SelectPtr s, bool negate);

/// Anything that yields a SELECT node (sql::Select, sql::CompoundSelect).
template <class S>
concept SelectLike = requires(const S& s) {
    { s.select_node() } -> std::convertible_to<SelectPtr>;
};

template <class T>
class TypedExpr : public Expr {
public:
    using value_type = T;
    TypedExpr() = default;
    explicit TypedExpr(ExprPtr n) : Expr(std::move(n)) {}

    /// `expr IN (...)` with one bound parameter per element (an empty list is false).
    template <class U>
        requires Comparable<T, U>
    TypedExpr<bool> in_(const std::vector<U>& values) const {
        return TypedExpr<bool>(make_in(node_, to_values(values), false));
    }
    /// `expr IN (a, b, c)`: the values as arguments (no initializer list: see dml.hpp).
    template <class... U>
        requires(sizeof...(U) > 0 && (Bindable<U> && ...) && (Comparable<T, U> && ...))
    TypedExpr<bool> in_(const U&... values) const {
        return TypedExpr<bool>(make_in(node_, {to_value(values)...}, false));
    }
    template <SelectLike S>
    TypedExpr<bool> in_(const S& subquery) const {
        return TypedExpr<bool>(make_in_select(node_, subquery.select_node(), false));
    }
    template <class U>
        requires Comparable<T, U>
    TypedExpr<bool> not_in(const std::vector<U>& values) const {
        return TypedExpr<bool>(make_in(node_, to_values(values), true));
    }
    template <class... U>
        requires(sizeof...(U) > 0 && (Bindable<U> && ...) && (Comparable<T, U> && ...))
    TypedExpr<bool> not_in(const U&... values) const {
        return TypedExpr<bool>(make_in(node_, {to_value(values)...}, true));
    }
    template <SelectLike S>
    TypedExpr<bool> not_in(const S& subquery) const {
        return TypedExpr<bool>(make_in_select(node_, subquery.select_node(), true));
    }

    template <class L, class H>
        requires Comparable<T, L> && Comparable<T, H>
    TypedExpr<bool> between(const L& low, const H& high) const {
        return TypedExpr<bool>(std::make_shared<BetweenNode>(node_, to_node(low, type()), to_node(high, type()), false));
    }
    template <class L, class H>
        requires Comparable<T, L> && Comparable<T, H>
    TypedExpr<bool> not_between(const L& low, const H& high) const {
        return TypedExpr<bool>(std::make_shared<BetweenNode>(node_, to_node(low, type()), to_node(high, type()), true));
    }

    /// `expr LIKE pattern [ESCAPE 'c']`. Case-sensitivity of LIKE is the backend's.
    template <class P>
        requires(category_of<T> == ValueCategory::string && Comparable<T, P>)
    TypedExpr<bool> like(const P& pattern, std::optional<char> escape = {}) const {
        return like_op(BinaryOp::like, to_node(pattern, type()), escape);
    }
    template <class P>
        requires(category_of<T> == ValueCategory::string && Comparable<T, P>)
    TypedExpr<bool> not_like(const P& pattern, std::optional<char> escape = {}) const {
        return like_op(BinaryOp::not_like, to_node(pattern, type()), escape);
    }
    /// Case-insensitive LIKE: ILIKE where the backend has it, lower() LIKE lower() elsewhere.
    template <class P>
        requires(category_of<T> == ValueCategory::string && Comparable<T, P>)
    TypedExpr<bool> ilike(const P& pattern, std::optional<char> escape = {}) const {
        return like_op(BinaryOp::ilike, to_node(pattern, type()), escape);
    }

    TypedExpr<bool> is_null() const { return TypedExpr<bool>(make_unary(UnaryOp::is_null, node_, types::Boolean())); }
    TypedExpr<bool> is_not_null() const {
        return TypedExpr<bool>(make_unary(UnaryOp::is_not_null, node_, types::Boolean()));
    }
    /// SQLAlchemy's spelling: `x.is_(null)`, `x.is_not(null)` (retort::null).
    TypedExpr<bool> is_(Null) const { return is_null(); }
    TypedExpr<bool> is_not(Null) const { return is_not_null(); }
    /// `IS DISTINCT FROM`: a NULL-safe inequality.
    template <class U>
        requires Comparable<T, U>
    TypedExpr<bool> is_distinct_from(const U& other) const {
        return TypedExpr<bool>(make_binary(BinaryOp::is_distinct_from, node_, to_node(other, type()), types::Boolean()));
    }
    template <class U>
        requires Comparable<T, U>
    TypedExpr<bool> is_not_distinct_from(const U& other) const {
        return TypedExpr<bool>(make_binary(BinaryOp::is_not_distinct_from, node_, to_node(other, type()), types::Boolean()));
    }

    TypedExpr<T> asc(NullsOrder nulls = NullsOrder::default_) const {
        return TypedExpr<T>(std::make_shared<OrderItemNode>(node_, false, nulls));
    }
    TypedExpr<T> desc(NullsOrder nulls = NullsOrder::default_) const {
        return TypedExpr<T>(std::make_shared<OrderItemNode>(node_, true, nulls));
    }
    /// Where NULLs go in an ORDER BY: `x.desc().nulls_last()`; on `x` alone, ascending.
    TypedExpr<T> nulls_first() const { return with_nulls(NullsOrder::first); }
    TypedExpr<T> nulls_last() const { return with_nulls(NullsOrder::last); }
    /// `expr AS name` in a SELECT list; results and subqueries know the column by `name`.
    TypedExpr<T> label(std::string name) const { return TypedExpr<T>(std::make_shared<LabelNode>(std::move(name), node_)); }
    /// `DISTINCT expr`, as in count(distinct(x)).
    TypedExpr<T> distinct() const { return TypedExpr<T>(make_unary(UnaryOp::distinct, node_, type())); }

private:
    TypedExpr<T> with_nulls(NullsOrder nulls) const {
        if (node_->kind == NodeKind::order_item) {
            const auto& o = static_cast<const OrderItemNode&>(*node_);
            return TypedExpr<T>(std::make_shared<OrderItemNode>(o.expr, o.desc, nulls));
        }
        return TypedExpr<T>(std::make_shared<OrderItemNode>(node_, false, nulls));
    }
    template <class U>
    static std::vector<Value> to_values(const std::vector<U>& values) {
        std::vector<Value> out;
        out.reserve(values.size());
        for (const auto& v : values) out.push_back(to_value(v));
        return out;
    }
    TypedExpr<bool> like_op(BinaryOp op, ExprPtr pattern, std::optional<char> escape) const {
        auto n = std::make_shared<BinaryNode>(op, node_, std::move(pattern), types::Boolean());
        n->escape = escape;
        return TypedExpr<bool>(std::move(n));
    }
};

// ---------------------------------------------------------------------------
// Operators. One of the two operands must be a typed expression; the other may
// be a plain C++ value, which is bound with the expression's SQL type.
// ---------------------------------------------------------------------------

template <class L, class R>
concept ExprOperands = (detail::IsTypedExpr<L> || detail::IsTypedExpr<R>) && Operand<L> && Operand<R>;

namespace detail {
template <class L, class R>
SqlType operand_type(const L& l, const R& r) {
    if constexpr (IsTypedExpr<L>) {
        if (l.type().kind != TypeKind::null_type) return l.type();
    }
    if constexpr (IsTypedExpr<R>) return r.type();
    return {};
}

template <class L, class R>
TypedExpr<bool> compare(BinaryOp op, const L& l, const R& r) {
    SqlType t = operand_type(l, r);
    // `x == null` means IS NULL: comparing with NULL is never true in SQL.
    if constexpr (std::is_same_v<std::remove_cvref_t<R>, Null>) {
        if (op == BinaryOp::eq || op == BinaryOp::ne)
            return TypedExpr<bool>(make_unary(op == BinaryOp::eq ? UnaryOp::is_null : UnaryOp::is_not_null,
                                              to_node(l, t), types::Boolean()));
    }
    return TypedExpr<bool>(make_binary(op, to_node(l, t), to_node(r, t), types::Boolean()));
}

template <class L, class R>
using arithmetic_result_t = std::conditional_t<IsTypedExpr<L>, operand_value_t<L>, operand_value_t<R>>;

template <class L, class R>
auto arithmetic(BinaryOp op, const L& l, const R& r) {
    SqlType t = operand_type(l, r);
    // A product or quotient of decimals has more digits than its operands: the
    // result is NUMERIC without a scale, so that no reader rounds it to the column's.
    SqlType result = t.kind == TypeKind::numeric ? types::Numeric() : t;
    return TypedExpr<arithmetic_result_t<L, R>>(make_binary(op, to_node(l, t), to_node(r, t), result));
}
}  // namespace detail

namespace detail {
// Names that the compiler prints in its first error line (as the deleted
// overload's last template argument) when operands do not go together.
template <class L, class R>
struct an_sql_expression_compared_with_a_value_of_another_kind__compare_with_the_column_type_or_cast_one_side;
template <class L, class R>
struct arithmetic_on_sql_expressions_needs_two_numbers__strings_concatenate_with_plus;
}  // namespace detail

// Each operator has a deleted overload for operands that do not go together,
// so that the compiler's first line names the reason and both operand types
// instead of listing every operator== it knows; being deleted, it still lets
// `requires { a == b; }` see that they do not compare.
#define RETORT_COMPARISON(op, code)                                                                          \
    template <class L, class R>                                                                              \
        requires ExprOperands<L, R> && Comparable<L, R>                                                      \
    TypedExpr<bool> operator op(const L& l, const R& r) {                                                    \
        return detail::compare(BinaryOp::code, l, r);                                                        \
    }                                                                                                        \
    template <class L, class R,                                                                              \
              class Reason = detail::an_sql_expression_compared_with_a_value_of_another_kind__compare_with_the_column_type_or_cast_one_side<L, R>> \
        requires ExprOperands<L, R> && (!Comparable<L, R>)                                                   \
    TypedExpr<bool> operator op(const L&, const R&) = delete;
RETORT_COMPARISON(==, eq)
RETORT_COMPARISON(!=, ne)
RETORT_COMPARISON(<, lt)
RETORT_COMPARISON(<=, le)
RETORT_COMPARISON(>, gt)
RETORT_COMPARISON(>=, ge)
#undef RETORT_COMPARISON

template <class L, class R>
concept NumericOperands = ExprOperands<L, R> && Comparable<L, R> &&
                          (category_of<L> == ValueCategory::number || category_of<R> == ValueCategory::number);

#define RETORT_ARITHMETIC(op, code)                                                                          \
    template <class L, class R>                                                                              \
        requires NumericOperands<L, R>                                                                       \
    auto operator op(const L& l, const R& r) {                                                               \
        return detail::arithmetic(BinaryOp::code, l, r);                                                     \
    }                                                                                                        \
    template <class L, class R,                                                                              \
              class Reason = detail::arithmetic_on_sql_expressions_needs_two_numbers__strings_concatenate_with_plus<L, R>> \
        requires ExprOperands<L, R> && (!NumericOperands<L, R>)                                              \
    TypedExpr<Value> operator op(const L&, const R&) = delete;
RETORT_ARITHMETIC(-, sub)
RETORT_ARITHMETIC(*, mul)
RETORT_ARITHMETIC(%, mod)
#undef RETORT_ARITHMETIC

namespace detail {
template <class L, class R>
inline constexpr bool integer_operands = std::is_integral_v<base_value_t<L>> && std::is_integral_v<base_value_t<R>>;
template <class L, class R>
inline constexpr bool nullable_operands =
    !std::is_same_v<operand_value_t<L>, base_value_t<L>> || !std::is_same_v<operand_value_t<R>, base_value_t<R>>;
template <class L, class R, class V>
using result_of_t = std::conditional_t<nullable_operands<L, R>, std::optional<V>, V>;
}  // namespace detail

/// `a / b` is true division on every backend, as in SQLAlchemy 2.0: two
/// integers divide as floating point (`a / CAST(b AS DOUBLE)`) and read as
/// double, so 7 / 2 is 3.5 everywhere. floordiv() is the integer quotient.
template <class L, class R>
    requires NumericOperands<L, R>
auto operator/(const L& l, const R& r) {
    if constexpr (detail::integer_operands<L, R>) {
        using Out = detail::result_of_t<L, R, double>;
        SqlType t = detail::operand_type(l, r);
        auto divisor = std::make_shared<CastNode>(to_node(r, t), types::Double());
        return TypedExpr<Out>(make_binary(BinaryOp::div, to_node(l, t), std::move(divisor), types::Double()));
    } else {
        return detail::arithmetic(BinaryOp::div, l, r);
    }
}

/// The integer quotient rounded down (Python's //): floordiv(-7, 2) is -4 on
/// every backend. For integer operands; read as std::int64_t.
template <class L, class R>
    requires NumericOperands<L, R> && detail::integer_operands<L, R>
TypedExpr<detail::result_of_t<L, R, std::int64_t>> floordiv(const L& l, const R& r) {
    SqlType t = detail::operand_type(l, r);
    return TypedExpr<detail::result_of_t<L, R, std::int64_t>>(
        std::make_shared<FunctionNode>("floordiv", std::vector<ExprPtr>{to_node(l, t), to_node(r, t)}, types::BigInteger()));
}

/// `a + b`: addition for numbers, concatenation (`||` or concat()) for strings.
template <class L, class R>
    requires ExprOperands<L, R> && Comparable<L, R> &&
             (category_of<L> == ValueCategory::number || category_of<L> == ValueCategory::string ||
              category_of<R> == ValueCategory::number || category_of<R> == ValueCategory::string)
auto operator+(const L& l, const R& r) {
    constexpr bool strings = category_of<L> == ValueCategory::string || category_of<R> == ValueCategory::string;
    return detail::arithmetic(strings ? BinaryOp::concat : BinaryOp::add, l, r);
}

template <class T>
    requires(category_of<T> == ValueCategory::number)
TypedExpr<T> operator-(const TypedExpr<T>& e) {
    return TypedExpr<T>(make_unary(UnaryOp::negate, e.node(), e.type()));
}

template <class L, class R>
    requires(detail::IsTypedExpr<L> || detail::IsTypedExpr<R>) && BooleanOperand<L> && BooleanOperand<R>
TypedExpr<bool> operator&&(const L& l, const R& r) {
    return TypedExpr<bool>(make_list(ListOp::and_, {to_node(l), to_node(r)}));
}
template <class L, class R>
    requires(detail::IsTypedExpr<L> || detail::IsTypedExpr<R>) && BooleanOperand<L> && BooleanOperand<R>
TypedExpr<bool> operator||(const L& l, const R& r) {
    return TypedExpr<bool>(make_list(ListOp::or_, {to_node(l), to_node(r)}));
}
template <class T>
    requires BooleanOperand<TypedExpr<T>>
TypedExpr<bool> operator!(const TypedExpr<T>& e) {
    return TypedExpr<bool>(make_unary(UnaryOp::not_, e.node(), types::Boolean()));
}

/// and_(a, b, c...): all of them. With no argument it is TRUE.
template <BooleanOperand... C>
TypedExpr<bool> and_(const C&... c) {
    return TypedExpr<bool>(make_list(ListOp::and_, {to_node(c)...}));
}
/// or_(a, b, c...): any of them. With no argument it is FALSE.
template <BooleanOperand... C>
TypedExpr<bool> or_(const C&... c) {
    return TypedExpr<bool>(make_list(ListOp::or_, {to_node(c)...}));
}
template <BooleanOperand C>
TypedExpr<bool> not_(const C& c) {
    return TypedExpr<bool>(make_unary(UnaryOp::not_, to_node(c), types::Boolean()));
}

/// A value bound as a parameter, usable where an expression is needed (`select(literal(1))`).
template <Bindable T>
TypedExpr<std::remove_cvref_t<std::decay_t<T>>> literal(const T& v) {
    using V = std::remove_cvref_t<std::decay_t<T>>;
    return TypedExpr<V>(to_node(v));
}
template <Bindable T>
TypedExpr<std::remove_cvref_t<std::decay_t<T>>> literal(const T& v, SqlType type) {
    using V = std::remove_cvref_t<std::decay_t<T>>;
    return TypedExpr<V>(to_node(v, type));
}

/// A named parameter whose value is supplied at execution: `conn.execute(stmt, {{"name", "ed"}})`.
template <class T>
TypedExpr<T> bindparam(std::string name, SqlType type = ValueTraits<T>::sql_type()) {
    return TypedExpr<T>(std::make_shared<BindNode>(std::move(name), type, false));
}

/// SQL text used as a column expression, verbatim. Never put user data in it.
template <class T = Value>
TypedExpr<T> literal_column(std::string text, SqlType type = ValueTraits<T>::sql_type()) {
    return TypedExpr<T>(std::make_shared<LiteralNode>(std::move(text), type));
}

/// The SQL NULL literal as an expression.
inline TypedExpr<Null> null_() { return TypedExpr<Null>(std::make_shared<LiteralNode>("NULL", types::NullType())); }

/// `CAST(expr AS type)`; the result reads as T.
template <class T, class E>
    requires Operand<E>
TypedExpr<T> cast(const E& e, SqlType type = ValueTraits<T>::sql_type()) {
    return TypedExpr<T>(std::make_shared<CastNode>(to_node(e), type));
}

namespace detail {
/// What a CASE branch's result reads as: a string literal is a std::string.
template <class R>
using case_result_t = std::conditional_t<std::is_convertible_v<const R&, std::string_view> && !IsTypedExpr<R>,
                                         std::string, base_value_t<R>>;
}  // namespace detail

/// One branch of a CASE expression: `When(condition, result)`.
template <class R = Value>
struct When {
    template <BooleanOperand C, Operand X>
    When(const C& c, const X& r) : condition(to_node(c)), result(to_node(r)) {}
    using result_type = R;
    ExprPtr condition, result;
};
template <class C, class R>
When(const C&, const R&) -> When<detail::case_result_t<R>>;

/// `CASE WHEN c1 THEN r1 ... END`. Without else_() no branch may match, so it
/// reads as std::optional<T>; `.else_(e)` gives T.
///   case_(When(age < 18, "minor"), When(age >= 65, "senior")).else_("adult")   // std::string
template <class T>
class CaseExpr : public TypedExpr<std::optional<T>> {
public:
    explicit CaseExpr(std::shared_ptr<const CaseNode> n) : TypedExpr<std::optional<T>>(std::move(n)) {}
    template <Operand E>
    TypedExpr<T> else_(const E& value) const {
        auto n = std::make_shared<CaseNode>(static_cast<const CaseNode&>(*this->node_));
        n->else_ = to_node(value, n->type);
        return TypedExpr<T>(std::move(n));
    }
};

/// case_<T>(...) states the result type; case_(...) takes the common type of the branches.
template <class T = void, class... W>
    requires(sizeof...(W) > 0)
auto case_(const When<W>&... whens) {
    using R = std::conditional_t<std::is_void_v<T>, std::common_type_t<W...>, T>;
    auto n = std::make_shared<CaseNode>(ValueTraits<R>::sql_type());
    (n->whens.emplace_back(whens.condition, whens.result), ...);
    return CaseExpr<R>(std::move(n));
}

/// `EXISTS (subquery)`.
template <SelectLike S>
TypedExpr<bool> exists(const S& s) {
    return TypedExpr<bool>(std::make_shared<ExistsNode>(s.select_node()));
}

/// In an upsert's update values, the value the INSERT proposed for `column`.
template <class T>
TypedExpr<T> excluded(const TypedExpr<T>& column) {
    auto c = std::dynamic_pointer_cast<const ColumnNode>(column.node());
    if (!c) throw ArgumentError("excluded() takes a table column");
    return TypedExpr<T>(std::make_shared<ExcludedNode>(std::move(c)));
}

/// SQL functions. Generic ones (count, now, coalesce...) are rendered by each
/// dialect in its own spelling; func::call renders any function by name.
namespace func {

/// count(*)
TypedExpr<std::int64_t> count();
template <class T>
TypedExpr<std::int64_t> count(const TypedExpr<T>& e) {
    return TypedExpr<std::int64_t>(std::make_shared<FunctionNode>("count", std::vector<ExprPtr>{e.node()}, types::BigInteger()));
}
/// Aggregates over no row are NULL, hence the optional.
template <class T>
TypedExpr<std::optional<base_value_t<TypedExpr<T>>>> sum(const TypedExpr<T>& e) {
    return TypedExpr<std::optional<base_value_t<TypedExpr<T>>>>(std::make_shared<FunctionNode>("sum", std::vector<ExprPtr>{e.node()}, e.type()));
}
template <class T>
TypedExpr<std::optional<base_value_t<TypedExpr<T>>>> min(const TypedExpr<T>& e) {
    return TypedExpr<std::optional<base_value_t<TypedExpr<T>>>>(std::make_shared<FunctionNode>("min", std::vector<ExprPtr>{e.node()}, e.type()));
}
template <class T>
TypedExpr<std::optional<base_value_t<TypedExpr<T>>>> max(const TypedExpr<T>& e) {
    return TypedExpr<std::optional<base_value_t<TypedExpr<T>>>>(std::make_shared<FunctionNode>("max", std::vector<ExprPtr>{e.node()}, e.type()));
}
/// avg() is computed in floating point on every backend.
template <class T>
    requires(category_of<TypedExpr<T>> == ValueCategory::number)
TypedExpr<std::optional<double>> avg(const TypedExpr<T>& e) {
    return TypedExpr<std::optional<double>>(std::make_shared<FunctionNode>("avg", std::vector<ExprPtr>{e.node()}, types::Double()));
}
/// The current date and time of the transaction (CURRENT_TIMESTAMP, now()).
TypedExpr<Timestamp> now();
/// Makes the statement wait `seconds` on the server (pg_sleep, SLEEP; on SQLite a
/// function its driver provides, sleeping on the connection's own thread). Its
/// value means nothing. For tests of timeouts, cancellation and concurrency.
TypedExpr<Value> sleep(double seconds);
template <class T, class... R>
    requires(Comparable<TypedExpr<T>, R> && ...)
TypedExpr<base_value_t<TypedExpr<T>>> coalesce(const TypedExpr<T>& first, const R&... rest) {
    return TypedExpr<base_value_t<TypedExpr<T>>>(std::make_shared<FunctionNode>(
        "coalesce", std::vector<ExprPtr>{first.node(), to_node(rest, first.type())...}, first.type()));
}
template <class T>
    requires(category_of<TypedExpr<T>> == ValueCategory::string)
TypedExpr<T> lower(const TypedExpr<T>& e) {
    return TypedExpr<T>(std::make_shared<FunctionNode>("lower", std::vector<ExprPtr>{e.node()}, e.type()));
}
template <class T>
    requires(category_of<TypedExpr<T>> == ValueCategory::string)
TypedExpr<T> upper(const TypedExpr<T>& e) {
    return TypedExpr<T>(std::make_shared<FunctionNode>("upper", std::vector<ExprPtr>{e.node()}, e.type()));
}
template <class T>
    requires(category_of<TypedExpr<T>> == ValueCategory::string)
TypedExpr<std::int64_t> length(const TypedExpr<T>& e) {
    return TypedExpr<std::int64_t>(std::make_shared<FunctionNode>("length", std::vector<ExprPtr>{e.node()}, types::Integer()));
}
template <class T>
    requires(category_of<TypedExpr<T>> == ValueCategory::number)
TypedExpr<T> abs(const TypedExpr<T>& e) {
    return TypedExpr<T>(std::make_shared<FunctionNode>("abs", std::vector<ExprPtr>{e.node()}, e.type()));
}
/// Any function by name, read as R: `func::call<std::int64_t>("instr", name, "x")`.
/// The name is SQL text: never build it from user input.
template <class R = Value, Operand... A>
TypedExpr<R> call(std::string name, const A&... args) {
    return TypedExpr<R>(std::make_shared<FunctionNode>(std::move(name), std::vector<ExprPtr>{to_node(args)...},
                                                       ValueTraits<R>::sql_type()));
}

}  // namespace func

}  // namespace retort::sql
