// The expression language's typing: what compiles and what must not.
#include <catch2/catch.hpp>

#include "retort/retort.hpp"

using namespace retort;
using namespace retort::sql;

namespace {
template <class A, class B>
concept EqualityComparable = requires(const A& a, const B& b) { a == b; };
template <class A, class B>
concept Addable = requires(const A& a, const B& b) { a + b; };
template <class A, class B>
concept Andable = requires(const A& a, const B& b) { a && b; };
}  // namespace

// A string column does not compare with an int, nor a date with a string...
static_assert(EqualityComparable<Column<std::string>, const char*>);
static_assert(!EqualityComparable<Column<std::string>, int>);
static_assert(!EqualityComparable<Column<std::int64_t>, std::string>);
static_assert(EqualityComparable<Column<std::int64_t>, double>);
static_assert(EqualityComparable<Column<std::optional<int>>, int>);
static_assert(!EqualityComparable<Column<Date>, std::string>);
static_assert(EqualityComparable<Column<DateTime>, TypedExpr<Timestamp>>);
static_assert(EqualityComparable<Column<std::string>, Null>);
// ...arithmetic needs numbers (or strings, for concatenation)...
static_assert(Addable<Column<int>, int>);
static_assert(Addable<Column<std::string>, const char*>);
static_assert(!Addable<Column<bool>, int>);
static_assert(!Addable<Column<Date>, int>);
// ...and AND/OR need booleans.
static_assert(Andable<TypedExpr<bool>, TypedExpr<bool>>);
static_assert(!Andable<Column<int>, TypedExpr<bool>>);

TEST_CASE("expressions: comparisons with null become IS NULL", "[expressions]") {
    MetaData md;
    Table t(md, "t");
    auto a = t.column<std::optional<std::string>>("a");
    auto e1 = (a == null).node();
    REQUIRE(e1->kind == NodeKind::unary);
    CHECK(static_cast<const UnaryNode&>(*e1).op == UnaryOp::is_null);
    auto e2 = (a != null).node();
    CHECK(static_cast<const UnaryNode&>(*e2).op == UnaryOp::is_not_null);
}

TEST_CASE("schema: column nullability follows the C++ type", "[expressions]") {
    MetaData md;
    Table t(md, "t");
    t.column<std::int64_t>("id", primary_key());
    t.column<std::string>("name");
    t.column<std::optional<std::string>>("note");
    t.column<std::string>("forced", nullable(true));
    const auto& cols = t.table().columns;
    CHECK_FALSE(cols[0].nullable);
    CHECK_FALSE(cols[1].nullable);
    CHECK(cols[2].nullable);
    CHECK(cols[3].nullable);
    CHECK(t.table().autoincrement_column() == 0u);
}

TEST_CASE("schema: declaration errors are ArgumentErrors", "[expressions]") {
    MetaData md;
    Table t(md, "t");
    auto id = t.column<std::int64_t>("id", primary_key());
    CHECK_THROWS_AS(t.column<int>("id"), ArgumentError);
    CHECK_THROWS_AS(Table(md, "t"), ArgumentError);
    Table u(md, "u");
    auto uid = u.column<std::int64_t>("id");
    CHECK_THROWS_AS(t.unique({uid}), ArgumentError);
    CHECK_THROWS_WITH(t.c<int>("nope"), Catch::Contains("columns: id"));
    // No foreign key between t and u: the join needs an explicit condition.
    CHECK_THROWS_WITH(select(id).join(u), Catch::Contains("no foreign key"));
}

TEST_CASE("schema: create order follows foreign keys, and cycles are reported", "[expressions]") {
    MetaData md;
    Table child(md, "child");
    Table parent(md, "parent");
    auto pid = parent.column<std::int64_t>("id", primary_key());
    child.column<std::int64_t>("id", primary_key());
    child.column<std::int64_t>("parent_id", references(pid));
    auto order = md.sorted_tables();
    REQUIRE(order.size() == 2);
    CHECK(order[0]->name == "parent");
    CHECK(order[1]->name == "child");

    MetaData cyc;
    Table a(cyc, "a");
    Table b(cyc, "b");
    auto aid = a.column<std::int64_t>("id", primary_key());
    auto bid = b.column<std::int64_t>("id", primary_key());
    a.column<std::int64_t>("b_id", references(bid));
    b.column<std::int64_t>("a_id", references(aid));
    CHECK_THROWS_WITH(cyc.sorted_tables(), Catch::Contains("'a', 'b'") && Catch::Contains("cycle"));
}

TEST_CASE("statements: multi-row INSERT rows must name the same columns", "[expressions]") {
    MetaData md;
    Table t(md, "t");
    auto a = t.column<int>("a");
    auto b = t.column<int>("b");
    CHECK_THROWS_AS(insert(t).rows({{{a, 1}, {b, 2}}, {{a, 3}}}), ArgumentError);
    CHECK_THROWS_AS(insert(t).rows({{{a, 1}, {b, 2}}, {{a, 3}, {a, 4}}}), ArgumentError);
    CHECK_NOTHROW(insert(t).rows({{{a, 1}, {b, 2}}, {{b, 4}, {a, 3}}}));
    CHECK_THROWS_AS(union_(select(a), select(a, b)), ArgumentError);
    CHECK_THROWS_WITH(select(a + 1).subquery("s"), Catch::Contains("label"));
}

TEST_CASE("BindBlock: values made in blocks stay distinct and valid past a block's capacity and the block's owner", "[expressions]") {
    std::vector<ExprPtr> nodes;
    {
        BindBlock binds(2);  // five values: three blocks
        for (std::int64_t i = 0; i < 5; ++i) nodes.push_back(binds.add(Value{i * 10}, types::BigInteger()));
    }
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        REQUIRE(nodes[i]->kind == NodeKind::bind);
        const auto& bind = static_cast<const BindNode&>(*nodes[i]);
        CHECK(bind.value == Value{static_cast<std::int64_t>(i) * 10});
        CHECK(bind.type == types::BigInteger());
        for (std::size_t j = 0; j < i; ++j) CHECK(nodes[j].get() != nodes[i].get());
    }
    // Each value is a parameter of its own in the statement built from them.
    MetaData md;
    Table t(md, "t");
    auto a = t.column<std::int64_t>("a");
    auto node = std::make_shared<InsertNode>();
    node->table = t.table_node();
    node->columns.push_back(a.column_node());
    for (const auto& n : nodes) node->rows.push_back({n});
    CHECK(node->cache_key().binds.size() == 5);
}

TEST_CASE("a table or column name with a NUL byte, or an empty one, is refused where it is declared", "[identifiers]") {
    retort::MetaData m;
    CHECK_THROWS_WITH(retort::sql::Table(m, std::string("ab\0cd", 5)),
                      Catch::Contains("a table name 'ab\\0...' contains a NUL byte"));
    CHECK_THROWS_WITH(retort::sql::Table(m, ""), Catch::Contains("a table name cannot be empty"));
    retort::sql::Table t(m, "fine");
    CHECK_THROWS_AS(t.column<int>(std::string("x\0y", 3)), retort::ArgumentError);
    CHECK_THROWS_WITH(t.column<int>(""), Catch::Contains("a column name of table 'fine' cannot be empty"));
}
