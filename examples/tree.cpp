// A self-referential tree (adjacency list), in the style of async_orm.cpp:
// nodes with a parent reference and children loaded by lazy = selectin, so a
// query for the root brings the whole tree; deleting the root cascades.
//
//   tree [URL] [-v]      (default: an in-memory SQLite database)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <retort/orm.hpp>

using namespace retort;

struct Node {
    orm::Defaulted<std::int64_t> id;
    std::optional<std::int64_t> parent_id;
    std::string name;
    orm::Reference<Node> parent;
    orm::Collection<Node> children;

    static auto mapping() {
        return orm::table("tree_node",
                          orm::column(&Node::id, orm::primary_key()),
                          orm::column(&Node::parent_id, orm::foreign_key(&Node::id)),
                          orm::column(&Node::name, types::String(50)),
                          orm::relationship(&Node::parent, {.back_populates = "children"}),
                          orm::relationship(&Node::children, {.back_populates = "parent",
                                                              .lazy = orm::Lazy::selectin,
                                                              .cascade = "all, delete-orphan",
                                                              .order_by = {"name"}}));
    }
};
RETORT_MAPPED(Node, id, parent_id, name, parent, children)

std::shared_ptr<Node> node(std::string name, std::vector<std::shared_ptr<Node>> children = {}) {
    return std::make_shared<Node>(Node{.name = std::move(name), .children = std::move(children)});
}

void print(const Node& n, int depth = 0) {
    std::cout << std::string(2 * depth, ' ') << n.name << " (id " << n.id << ")\n";
    for (const auto& child : n.children) print(*child, depth + 1);
}

awaitable<void> run(AsyncEngine engine) {
    co_await engine.begin([](AsyncConnection& conn) -> awaitable<void> {
        co_await conn.run_sync([](Connection& c) {
            orm::metadata().drop_all(c);
            orm::metadata().create_all(c);
        });
    });
    orm::async_sessionmaker make_session(engine, {.expire_on_commit = false});

    auto session = make_session();
    co_await session.begin([](orm::AsyncSession& s) -> awaitable<void> {
        s.add(node("root", {node("fruit", {node("apple"), node("pear")}), node("vegetable", {node("leek")})}));
        co_return;
    });
    co_await session.close();

    auto reader = make_session();
    auto root = co_await reader.scalar(orm::select<Node>().where(orm::attr(&Node::parent_id) == null));
    print(*root);

    // Move "leek" under "fruit", and delete "pear" (an orphan once removed).
    auto fruit = root->children[0];
    auto vegetable = root->children[1];
    auto leek = vegetable->children[0];
    vegetable->children.clear();
    fruit->children.push_back(leek);
    fruit->children.remove(fruit->children[1]);  // pear
    co_await reader.commit();
    co_await reader.close();

    auto check = make_session();
    auto again = co_await check.scalar(orm::select<Node>().where(orm::attr(&Node::parent_id) == null));
    std::cout << "after moving leek and deleting pear:\n";
    print(*again);
    check.delete_(again);  // cascades to the whole tree
    co_await check.commit();
    auto left = co_await check.scalars(orm::select<Node>());
    std::cout << "nodes left after deleting the root: " << left.size() << "\n";
    co_await check.close();
    co_await engine.dispose();
}

int main(int argc, char** argv) {
    try {
        std::vector<std::string> args(argv + 1, argv + argc);
        EngineOptions options;
        std::erase_if(args, [&](const std::string& a) { return a == "-v" ? (options.echo = true) : false; });
        auto engine = create_async_engine(args.empty() ? "sqlite://" : args[0], options);
        boost::asio::io_context io;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, run(engine), [&](std::exception_ptr e) { failure = e; });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
