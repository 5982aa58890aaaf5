#include <fstream>
#include <sstream>

#include "support/golden_schema.hpp"

namespace retort::test {

using namespace retort::sql;

std::string compiled_sql(const plugin::Dialect& d, const sql::Statement& stmt) {
    try {
        CacheKey key;
        stmt.statement_node()->build_key(key);
        auto compiled = d.compiler().compile(*stmt.statement_node(), key);
        if (!compiled.has_expanding) return compiled.sql;
        std::vector<std::size_t> sizes;
        for (const auto& p : compiled.params)
            sizes.push_back(p.expanding && p.source == ParamRef::Source::literal ? key.binds[p.index]->values.size() : 1);
        return expand_sql(d.compiler(), compiled, sizes);
    } catch (const CompileError&) {
        return "!CompileError";
    }
}

std::vector<GoldenCase> golden_statements(const GoldenSchema& s) {
    std::vector<GoldenCase> c;
    auto add = [&](std::string name, Statement stmt, int rows = -1, Params params = {}) {
        c.push_back({std::move(name), std::move(stmt), rows, std::move(params)});
    };

    // ---- SELECT basics
    add("select_table", select(s.users), 3);
    add("select_columns_where", select(s.user_id, s.user_name).where(s.user_name == "ed"), 1);
    add("where_and_or", select(s.user_id).where((s.age > 18 && s.age < 65) || s.user_name == "mary"), 3);
    add("where_not", select(s.user_id).where(!(s.user_name == "ed")), 2);
    add("where_called_twice", select(s.user_id).where(s.age > 18).where(s.active == true), 2);
    add("nested_and_or", select(s.user_id).where(and_(s.active == true, or_(s.age < 30, s.age.is_null()))), 1);
    add("in_list", select(s.user_name).where(s.user_id.in_(1, 2, 3)), 3);
    add("not_in_list", select(s.user_name).where(s.user_id.not_in(1, 2)), 1);
    add("in_empty_list", select(s.user_name).where(s.user_id.in_(std::vector<std::int64_t>{})), 0);
    add("not_in_empty_list", select(s.user_name).where(s.user_id.not_in(std::vector<std::int64_t>{})), 3);
    add("in_subquery", select(s.user_name).where(s.user_id.in_(select(s.addr_user_id))), 2);
    add("between", select(s.user_name).where(s.age.between(20, 40)), 2);
    add("not_between", select(s.user_name).where(s.age.not_between(20, 40)), 0);
    add("like", select(s.user_name).where(s.user_name.like("w%")), 1);
    add("like_escape", select(s.email).where(s.email.like("%!_%", '!')), 1);
    add("not_like", select(s.user_name).where(s.user_name.not_like("%a%")), 2);
    add("ilike", select(s.user_name).where(s.user_name.ilike("ED%")), 1);
    add("is_null", select(s.user_name).where(s.fullname == null), 1);
    add("is_not_null", select(s.user_name).where(s.fullname.is_not_null()), 2);
    add("is_distinct_from", select(s.user_name).where(s.fullname.is_distinct_from(s.user_name)), 3);
    add("is_not_distinct_from", select(s.user_name).where(s.age.is_not_distinct_from(null_())), 1);

    // ---- ordering and paging
    add("order_by_asc_desc", select(s.user_name).order_by(s.active.desc(), s.user_name), 3);
    add("order_nulls_last", select(s.user_name).order_by(s.age.desc(NullsOrder::last)), 3);
    add("order_nulls_first", select(s.user_name).order_by(s.age.asc(NullsOrder::first)), 3);
    add("limit", select(s.user_name).order_by(s.user_id).limit(2), 2);
    add("limit_offset", select(s.user_name).order_by(s.user_id).limit(2).offset(1), 2);
    add("offset_only", select(s.user_name).order_by(s.user_id).offset(1), 2);
    add("distinct", select(s.addr_user_id).distinct(), 2);

    // ---- aggregates and grouping
    add("count_star", select(func::count()).select_from(s.users), 1);
    add("count_where_infers_from", select(func::count()).where(s.age > 18), 1);
    add("aggregates", select(func::sum(s.amount), func::min(s.amount), func::max(s.amount), func::avg(s.amount)), 1);
    add("group_by_having",
        select(s.addr_user_id, func::count(s.addr_id).label("n")).group_by(s.addr_user_id).having(func::count(s.addr_id) > 1), 1);
    auto lname = func::lower(s.user_name).label("lname");
    add("group_by_label", select(lname, func::count().label("n")).group_by(lname).order_by(lname), 3);
    add("count_distinct", select(func::count(s.addr_user_id.distinct())), 1);

    // ---- joins
    add("join_explicit", select(s.user_name, s.email).join(s.addresses, s.user_id == s.addr_user_id), 3);
    add("join_inferred", select(s.user_name, s.email).join(s.addresses), 3);
    add("outer_join", select(s.user_name, s.email).outerjoin(s.addresses).order_by(s.user_name), 4);
    add("join_chain", select(s.user_name, s.sku).join(s.orders).join(s.items), 3);
    add("select_from_join", select(s.email).select_from(s.users).join(s.addresses).where(s.user_name == "ed"), 2);
    auto parent = s.nodes.alias("parent");
    add("self_join_alias",
        select(s.node_name, parent[s.node_name].label("parent_name")).join(parent, s.node_parent_id == parent[s.node_id]), 3);
    auto counts = select(s.addr_user_id, func::count().label("n")).group_by(s.addr_user_id).subquery("counts");
    add("join_subquery", select(s.user_name, counts.c<std::int64_t>("n")).join(counts, s.user_id == counts[s.addr_user_id]), 2);

    // ---- subqueries
    add("scalar_subquery_correlated",
        select(s.user_name,
               select(func::count()).where(s.addr_user_id == s.user_id).scalar_subquery<std::int64_t>().label("n_addresses")), 3);
    add("exists", select(s.user_name).where(exists(select(s.addr_id).where(s.addr_user_id == s.user_id))), 2);
    add("not_exists", select(s.user_name).where(!exists(select(s.addr_id).where(s.addr_user_id == s.user_id))), 1);
    add("subquery_alias_column", select(counts.c<std::int64_t>("n")).where(counts.c<std::int64_t>("n") > 1), 1);

    // ---- compound selects and CTEs
    add("union", union_(select(s.user_name).where(s.user_id == 1), select(s.email).where(s.addr_id == 1)), 2);
    add("union_all_ordered",
        union_all(select(s.user_name.label("label")), select(s.email.label("label"))).order_by(s.user_name.label("label")).limit(5), 5);
    add("intersect", intersect(select(s.user_id), select(s.addr_user_id)), 2);
    add("except", except_(select(s.user_id), select(s.addr_user_id)), 1);
    auto mailers = select(s.addr_user_id).where(s.email.like("%@example.com")).cte("mailers");
    add("cte", select(s.user_name).join(mailers, s.user_id == mailers[s.addr_user_id]), 2);
    auto tree_anchor = select(s.node_id, s.node_parent_id, s.node_name).where(s.node_parent_id == null).cte("tree");
    auto tree = tree_anchor.union_all(
        select(s.node_id, s.node_parent_id, s.node_name).join(tree_anchor, s.node_parent_id == tree_anchor[s.node_id]));
    add("recursive_cte", select(tree[s.node_name]).order_by(tree[s.node_name]), 4);

    // ---- expressions
    add("case",
        select(s.user_name, case_<std::string>(When(s.age < 30, "young"), When(s.age >= 65, "senior")).else_("adult").label("bracket")), 3);
    add("cast", select(cast<std::string>(s.user_id).label("id_text")), 3);
    add("coalesce", select(func::coalesce(s.fullname, s.user_name).label("display")), 3);
    add("lower_upper", select(func::upper(s.user_name)).where(func::lower(s.user_name) == "ed"), 1);
    add("concat", select((s.user_name + " <" + s.email + ">").label("display")).join(s.addresses), 3);
    add("arithmetic", select((s.amount * 2 - 1).label("x"), (s.amount / 4).label("y")).where(s.amount % 2 == 0), 1);
    add("negate", select((-s.age).label("neg")).where(s.age != null), 2);
    add("true_division", select((s.user_id / 2).label("half"), floordiv(s.user_id, 2).label("floor_half")), 3);
    add("order_by_label_name", select(s.user_name, (s.user_id * 10).label("score")).order_by("score"), 3);
    add("group_by_name", select(s.addr_user_id, func::count().label("n")).group_by("user_id").order_by("n"), 2);
    add("nulls_last", select(s.user_name).order_by(s.age.desc().nulls_last()), 3);
    add("exists_where", select(s.user_name).where(exists().where(s.addr_user_id == s.user_id)), 2);
    add("join_from_outer", select(s.user_name, s.email).join_from(s.users, s.addresses, {.isouter = true}), 4);
    add("case_deduced", select(case_(When(s.age < 30, "young")).label("bracket")), 3);
    add("named_function", select(func::call<std::string>("replace", s.user_name, "e", "E")), 3);
    add("bindparam", select(s.user_id).where(s.user_name == bindparam<std::string>("name")), 1, {{"name", "ed"}});
    add("literal_column", select(literal_column<std::int64_t>("1").label("one")), 1);
    add("select_literal", select(literal(42).label("answer")), 1);
    add("now", select(func::now().label("ts")), 1);

    // ---- INSERT
    add("insert_values", insert(s.users).values({s.user_name, "jack"}, {s.fullname, "Jack Jones"}));
    add("insert_returning", insert(s.users).values({s.user_name, "jill"}).returning(s.user_id, s.created), 1);
    add("insert_rows", insert(s.addresses).rows({{{s.addr_user_id, 1}, {s.email, "a@x.org"}},
                                                 {{s.addr_user_id, 2}, {s.email, "b@x.org"}},
                                                 {{s.addr_user_id, 3}, {s.email, "c@x.org"}}}));
    add("insert_client_default", insert(s.events));
    add("insert_default_values", insert(s.tickets));
    add("insert_from_select", insert(s.archive).from_select(select(s.addr_user_id, s.email).where(s.email.like("%.com")),
                                                            s.arch_user_id, s.arch_email));
    add("upsert_do_nothing", insert(s.users).values({s.user_name, "ed"}).on_conflict(s.user_name).do_nothing());
    add("upsert_do_update",
        insert(s.users).values({s.user_name, "ed"}, {s.fullname, "Edward"}).on_conflict(s.user_name).do_update({s.fullname, excluded(s.fullname)}));

    // ---- UPDATE and DELETE
    add("update_where", update(s.users).values({s.fullname, "Ed Jones"}).where(s.user_id == 1));
    add("update_expression", update(s.users).values({s.age, s.age + 1}, {s.active, false}).where(s.age.is_not_null()));
    add("update_returning", update(s.users).values({s.age, 50}).where(s.user_name == "ed").returning(s.user_id, s.age), 1);
    add("update_correlated",
        update(s.users).values({s.fullname, select(s.email).where(s.addr_user_id == s.user_id).limit(1).scalar_subquery<std::string>()}));
    add("delete_where", delete_(s.addresses).where(s.email.like("%@spam.example")));
    add("delete_returning", delete_(s.addresses).where(s.addr_user_id == 2).returning(s.addr_id, s.email), 1);
    add("delete_exists", delete_(s.users).where(!exists(select(s.addr_id).where(s.addr_user_id == s.user_id))
                                                    && !exists(select(s.order_id).where(s.order_user_id == s.user_id))));

    // ---- quoting
    add("quoted_select", select(s.kw_select, s.kw_group, s.kw_spaced).where(s.kw_select == "x").order_by(s.kw_group), 1);
    add("quoted_insert", insert(s.keywords).values({s.kw_select, "y"}, {s.kw_group, "G"}, {s.kw_spaced, 3}));
    add("quoted_alias", select(s.keywords.alias("Select")[s.kw_select]), 1);
    return c;
}

std::vector<GoldenCase> golden_ddl(const GoldenSchema& s) {
    std::vector<GoldenCase> c;
    for (const auto& t : s.metadata.sorted_tables()) {
        Table table(std::const_pointer_cast<TableNode>(t));
        c.push_back({"create_" + t->name, create_table(table)});
        auto ix = create_indexes(table);
        for (std::size_t i = 0; i < ix.size(); ++i) c.push_back({"create_index_" + t->indexes[i].name, ix[i]});
    }
    c.push_back({"create_if_not_exists", create_table(s.tickets, true)});
    auto sorted = s.metadata.sorted_tables();
    for (auto it = sorted.rbegin(); it != sorted.rend(); ++it)
        c.push_back({"drop_" + (*it)->name, drop_table(Table(std::const_pointer_cast<TableNode>(*it)))});
    c.push_back({"drop_if_exists", drop_table(s.tickets, true)});
    return c;
}

std::vector<Statement> golden_seed(const GoldenSchema& s) {
    // Keys are generated, 1, 2, 3... in VALUES order on a new table: giving them
    // explicitly would leave PostgreSQL's identity sequences behind the data.
    return {
        insert(s.users).rows({{{s.user_name, "ed"}, {s.fullname, "Ed Jones"}, {s.age, 25}},
                              {{s.user_name, "wendy"}, {s.fullname, "Wendy Williams"}, {s.age, 35}},
                              {{s.user_name, "mary"}, {s.fullname, std::optional<std::string>{}}, {s.age, std::optional<int>{}}}}),
        update(s.users).values({s.active, false}).where(s.user_id == 3),
        insert(s.addresses).rows({{{s.addr_user_id, 1}, {s.email, "ed@example.com"}},
                                  {{s.addr_user_id, 1}, {s.email, "ed_jones@work.org"}},
                                  {{s.addr_user_id, 2}, {s.email, "wendy@example.com"}}}),
        insert(s.orders).rows({{{s.order_user_id, 1}, {s.amount, Decimal("10.00")}, {s.placed_on, Date{std::chrono::year{2024}, std::chrono::month{2}, std::chrono::day{29}}}},
                               {{s.order_user_id, 2}, {s.amount, Decimal("7.50")}, {s.placed_on, std::optional<Date>{}}}}),
        insert(s.items).rows({{{s.item_order_id, 1}, {s.item_line, 1}, {s.quantity, 2}, {s.sku, "A-1"}},
                              {{s.item_order_id, 1}, {s.item_line, 2}, {s.quantity, 1}, {s.sku, "B-2"}},
                              {{s.item_order_id, 2}, {s.item_line, 1}, {s.quantity, 5}, {s.sku, "A-1"}}}),
        insert(s.nodes).rows({{{s.node_parent_id, std::optional<std::int64_t>{}}, {s.node_name, "root"}},
                              {{s.node_parent_id, std::optional<std::int64_t>{1}}, {s.node_name, "child a"}},
                              {{s.node_parent_id, std::optional<std::int64_t>{1}}, {s.node_name, "child b"}},
                              {{s.node_parent_id, std::optional<std::int64_t>{2}}, {s.node_name, "grandchild"}}}),
        insert(s.keywords).values({s.kw_select, "x"}, {s.kw_group, "g"}, {s.kw_spaced, 7}),
    };
}

GoldenExpectations load_golden_file(const std::string& path) {
    // Format: "== name" opens a case; then one "dialect: SQL" line per dialect,
    // with continuation lines (multi-line DDL) indented by a tab.
    GoldenExpectations out;
    std::ifstream in(path);
    std::string line, current, dialect;
    while (std::getline(in, line)) {
        if (line.rfind("== ", 0) == 0) {
            current = line.substr(3);
            continue;
        }
        if (line.empty() || current.empty()) continue;
        if (line[0] == '\t') {
            out[current][dialect] += "\n" + line.substr(1);
            continue;
        }
        auto colon = line.find(": ");
        if (colon == std::string::npos) continue;
        dialect = line.substr(0, colon);
        out[current][dialect] = line.substr(colon + 2);
    }
    return out;
}

void write_golden_file(const std::string& path, const GoldenExpectations& expected) {
    std::ofstream out(path);
    out << "# Golden SQL: what each dialect compiles every statement of conformance/support/golden_statements.cpp to.\n"
           "# Regenerate with RETORT_GOLDEN_UPDATE=1 and review the diff: each line here was read by a person.\n";
    for (const auto& [name, by_dialect] : expected) {
        out << "\n== " << name << "\n";
        for (const auto& [dialect, text] : by_dialect) {
            out << dialect << ": ";
            for (char ch : text) {
                out << ch;
                if (ch == '\n') out << '\t';
            }
            out << "\n";
        }
    }
}

}  // namespace retort::test
