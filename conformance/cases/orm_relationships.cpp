// Relationship kinds on every backend: many-to-one assignment, one-to-many
// without delete-orphan, many-to-many through an association table, and a
// self-referential tree (adjacency list).
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace orm_relationships_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

struct Course;

struct Student {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Course> courses;

    static auto mapping() {
        return orm::table(registry(), "or_student",
                          orm::column(&Student::id, orm::primary_key()),
                          orm::column(&Student::name, types::String(40)),
                          orm::relationship(&Student::courses,
                                            {.back_populates = "students", .order_by = {"title"}, .secondary = "or_enrollment"}));
    }
};
RETORT_MAPPED(Student, id, name, courses)

struct Course {
    orm::Defaulted<std::int64_t> id;
    std::string title;
    orm::Collection<Student> students;

    static auto mapping() {
        return orm::table(registry(), "or_course",
                          orm::column(&Course::id, orm::primary_key()),
                          orm::column(&Course::title, types::String(40)),
                          orm::relationship(&Course::students,
                                            {.back_populates = "courses", .order_by = {"name"}, .secondary = "or_enrollment"}));
    }
};
RETORT_MAPPED(Course, id, title, students)

[[maybe_unused]] const bool enrollment = orm::association_table(
    registry(), "or_enrollment", {{"student_id", "or_student.id"}, {"course_id", "or_course.id"}});
// The same declaration again, as from a header included by a second translation unit.
[[maybe_unused]] const bool enrollment_again = orm::association_table(
    registry(), "or_enrollment", {{"student_id", "or_student.id"}, {"course_id", "or_course.id"}});

struct Node {
    orm::Defaulted<std::int64_t> id;
    std::optional<std::int64_t> parent_id;
    std::string name;
    orm::Reference<Node> parent;
    orm::Collection<Node> children;

    static auto mapping() {
        return orm::table(registry(), "or_node",
                          orm::column(&Node::id, orm::primary_key()),
                          orm::column(&Node::parent_id, orm::foreign_key(&Node::id)),
                          orm::column(&Node::name, types::String(40)),
                          orm::relationship(&Node::parent, {.back_populates = "children"}),
                          orm::relationship(&Node::children, {.back_populates = "parent",
                                                              .lazy = orm::Lazy::selectin,
                                                              .cascade = "all",
                                                              .order_by = {"name"}}));
    }
};
RETORT_MAPPED(Node, id, parent_id, name, parent, children)

struct Team;
struct Player {
    orm::Defaulted<std::int64_t> id;
    std::optional<std::int64_t> team_id;
    std::string name;
    orm::Reference<Team> team;

    static auto mapping() {
        return orm::table(registry(), "or_player",
                          orm::column(&Player::id, orm::primary_key()),
                          orm::column(&Player::team_id, orm::foreign_key("or_team.id")),
                          orm::column(&Player::name, types::String(40)),
                          orm::relationship(&Player::team, {.back_populates = "players", .lazy = orm::Lazy::joined}));
    }
};
RETORT_MAPPED(Player, id, team_id, name, team)

struct Team {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Player> players;  // no delete-orphan: removed players keep their row

    static auto mapping() {
        return orm::table(registry(), "or_team",
                          orm::column(&Team::id, orm::primary_key()),
                          orm::column(&Team::name, types::String(40)),
                          orm::relationship(&Team::players, {.back_populates = "team"}));
    }
};
RETORT_MAPPED(Team, id, name, players)

struct Shelf;
/// A child whose foreign key cannot be NULL (a plain int64), under a parent
/// whose collection neither cascades delete nor deletes orphans.
struct Book {
    orm::Defaulted<std::int64_t> id;
    std::int64_t shelf_id = 0;
    std::string title;
    orm::Reference<Shelf> shelf;

    static auto mapping() {
        return orm::table(registry(), "or_book",
                          orm::column(&Book::id, orm::primary_key()),
                          orm::column(&Book::shelf_id, orm::foreign_key("or_shelf.id")),
                          orm::column(&Book::title, types::String(40)),
                          orm::relationship(&Book::shelf, {.back_populates = "books"}));
    }
};
RETORT_MAPPED(Book, id, shelf_id, title, shelf)

struct Shelf {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Book> books;

    static auto mapping() {
        return orm::table(registry(), "or_shelf",
                          orm::column(&Shelf::id, orm::primary_key()),
                          orm::column(&Shelf::name, types::String(40)),
                          orm::relationship(&Shelf::books, {.back_populates = "shelf"}));
    }
};
RETORT_MAPPED(Shelf, id, name, books)

template <class T>
std::shared_ptr<T> make(T value) {
    return std::make_shared<T>(std::move(value));
}

/// Rows of one of this file's tables, as another session sees them.
awaitable<std::int64_t> count_rows(AsyncEngine& engine, const char* table) {
    co_return co_await test::count_rows(engine, registry().metadata().table(table));
}

}  // namespace orm_relationships_test

using namespace orm_relationships_test;

TEST_CASE("orm relationships: the mapping makes tables, keys and an association table", "[orm]") {
    auto& md = registry().metadata();
    auto enrollment_table = md.table("or_enrollment");
    CHECK(enrollment_table.table().primary_key.size() == 2);
    CHECK(enrollment_table.table().foreign_keys.size() == 2);
    auto node = md.table("or_node").table();
    CHECK(node.foreign_keys.size() == 1);
    CHECK(node.columns[node.foreign_keys[0].columns[0]].name == "parent_id");
    CHECK(node.columns[1].nullable);      // optional<int64>: nullable
    CHECK(!node.columns[2].nullable);     // std::string: NOT NULL
    const auto& student = orm::mapper<Student>();
    CHECK(student.relationship("courses").direction == orm::Direction::many_to_many);
    CHECK(student.relationship("courses").reverse == &orm::mapper<Course>().relationship("students"));
    CHECK(orm::mapper<Node>().relationship("children").direction == orm::Direction::one_to_many);
    CHECK(orm::mapper<Node>().relationship("parent").direction == orm::Direction::many_to_one);
    // Typed attribute expressions.
    auto cond = orm::attr(&Student::name) == "ann";
    CHECK(cond.type().kind == TypeKind::boolean);
}

TEST_CASE("orm relationships: many-to-many rows follow the collections", "[orm]") {
    test::StatementLog log;
    auto engine = test::make_engine(log.options());
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto math = make(Course{.title = "math"});
        auto art = make(Course{.title = "art"});
        auto ann = make(Student{.name = "ann", .courses = {math, art}});
        auto bob = make(Student{.name = "bob", .courses = {math}});
        session.add_all(std::vector{ann, bob});
        co_await session.commit();
        auto rows = co_await count_rows(engine, "or_enrollment");
        CHECK(rows == 3);

        // Both sides say the same thing once: one row.
        auto cat = make(Student{.name = "cat", .courses = {art}});
        art->students.push_back(cat);  // art's students were set (empty) when it was created
        session.add(cat);
        co_await session.commit();
        auto rows2 = co_await count_rows(engine, "or_enrollment");
        CHECK(rows2 == 4);

        ann->courses.remove(math);
        co_await session.commit();
        auto rows3 = co_await count_rows(engine, "or_enrollment");
        CHECK(rows3 == 3);

        orm::AsyncSession other(engine);
        auto students = co_await other.scalars(
            orm::select<Student>().order_by(&Student::name).options(orm::selectinload(&Student::courses)));
        REQUIRE(students.size() == 3);
        auto s0 = students.all()[0];
        REQUIRE(s0->courses.size() == 1);
        CHECK(s0->courses[0]->title == "art");
        CHECK(students.all()[1]->courses[0]->title == "math");
        log.sql.clear();
        co_await other.flush();  // loaded, unchanged collections: nothing to write
        CHECK(log.sql.empty());
        auto joined = co_await other.scalars(orm::select<Course>().order_by(&Course::title).options(orm::joinedload(&Course::students)));
        REQUIRE(joined.size() == 2);
        CHECK(joined.first()->students.size() == 2);  // art: ann, cat

        // Deleting a student removes its association rows.
        other.delete_(s0);
        co_await other.commit();
        auto rows4 = co_await count_rows(engine, "or_enrollment");
        CHECK(rows4 == 2);
        co_await other.close();
        co_await session.close();
    });
}

TEST_CASE("orm relationships: a self-referential tree is written parents first and loaded whole", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto leaf1 = make(Node{.name = "leaf1"});
        auto leaf2 = make(Node{.name = "leaf2"});
        auto mid = make(Node{.name = "mid", .children = {leaf1, leaf2}});
        auto root = make(Node{.name = "root", .children = {mid}});
        session.add(root);
        co_await session.commit();
        CHECK(mid->parent_id == root->id);
        CHECK(leaf1->parent_id == mid->id);
        CHECK(!root->parent_id);

        orm::AsyncSession other(engine);
        auto top = co_await other.scalar(orm::select<Node>().where(orm::attr(&Node::parent_id) == null));
        REQUIRE(top);
        // children is lazy = selectin: the whole tree came with the query.
        REQUIRE(top->children.size() == 1);
        REQUIRE(top->children[0]->children.size() == 2);
        CHECK(top->children[0]->children[1]->name == "leaf2");
        CHECK(top->children[0]->children[0]->parent.get() == top->children[0]);

        // Cascade delete takes the subtree.
        other.delete_(top);
        co_await other.commit();
        auto left = co_await count_rows(engine, "or_node");
        CHECK(left == 0);
        co_await other.close();
        co_await session.close();
    });
}

TEST_CASE("orm relationships: many-to-one assignment and a one-to-many without delete-orphan", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        orm::AsyncSession session(engine, {.expire_on_commit = false});
        auto red = make(Team{.name = "red"});
        auto blue = make(Team{.name = "blue"});
        auto pia = make(Player{.name = "pia", .team = red});
        session.add(pia);  // the team comes along through the reference
        session.add(blue);
        co_await session.commit();
        CHECK(pia->team_id == red->id);

        pia->team = blue;  // re-pointing the reference moves the foreign key
        co_await session.commit();
        CHECK(pia->team_id == blue->id);

        orm::AsyncSession other(engine);
        auto player = co_await other.scalar(orm::select<Player>());
        REQUIRE(player->team.loaded());  // lazy = joined
        CHECK(player->team->name == "blue");
        auto team = co_await other.get<Team>(blue->id);
        CHECK(team == player->team.get());
        auto players = co_await other.load(team, &Team::players);
        REQUIRE(players.size() == 1);
        team->players.clear();  // not delete-orphan: the player stays, without a team
        co_await other.flush();
        CHECK(!player->team_id);
        CHECK(!player->team);  // back_populates: the reference went with it
        co_await other.commit();
        auto players_left = co_await count_rows(engine, "or_player");
        CHECK(players_left == 1);
        co_await other.close();
        co_await session.close();
    });
}

TEST_CASE("orm relationships: a flush that would null a foreign key that cannot be NULL fails, saying which relationship and why", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await test::recreate_tables(engine, registry().metadata());
        {
            orm::AsyncSession s(engine);
            auto shelf = make(Shelf{.name = "fiction"});
            s.add(make(Book{.title = "emma", .shelf = shelf}));
            s.add(make(Book{.title = "persuasion", .shelf = shelf}));
            co_await s.commit();
            co_await s.close();
        }
        auto expect_refused = [&](const std::function<awaitable<void>(orm::AsyncSession&)>& change,
                                  const std::string& why) -> awaitable<void> {
            orm::AsyncSession s(engine);
            co_await change(s);
            auto error = co_await test::capture<FlushError>(s.flush());
            REQUIRE(error.has_value());
            CHECK_THAT(error->what(), Catch::Contains("Book.shelf_id cannot be set to") && Catch::Contains(why));
            co_await s.close();
            // Nothing was written: both books are still on their shelf.
            orm::AsyncSession other(engine);
            auto books = co_await other.scalars(orm::select<Book>());
            REQUIRE(books.size() == 2);
            for (const auto& b : books) CHECK(b->shelf_id != 0);
            co_await other.close();
        };
        // (Each change named first: GCC 12 mishandles temporaries that own
        // resources inside a co_await expression.)
        std::function<awaitable<void>(orm::AsyncSession&)> delete_parent =
            [](orm::AsyncSession& s) -> awaitable<void> {
            auto shelf = co_await s.scalar(orm::select<Shelf>());
            s.delete_(shelf);
        };
        const std::string parent_deleted =
            "its parent orm_relationships_test::Shelf is deleted and orm_relationships_test::Shelf.books does not "
            "cascade delete";
        co_await expect_refused(delete_parent, parent_deleted);

        std::function<awaitable<void>(orm::AsyncSession&)> remove_children =
            [](orm::AsyncSession& s) -> awaitable<void> {
            auto shelf = co_await s.scalar(orm::select<Shelf>());
            co_await s.load(shelf, &Shelf::books);
            shelf->books.clear();
        };
        const std::string removed =
            "it was removed from orm_relationships_test::Shelf.books, which is not delete-orphan";
        co_await expect_refused(remove_children, removed);

        std::function<awaitable<void>(orm::AsyncSession&)> unset_reference =
            [](orm::AsyncSession& s) -> awaitable<void> {
            auto book = co_await s.scalar(orm::select<Book>());
            co_await s.load(book, &Book::shelf);
            book->shelf = nullptr;
        };
        const std::string unset = "orm_relationships_test::Book.shelf was set to nullptr";
        co_await expect_refused(unset_reference, unset);
    });
}

TEST_CASE("orm relationships: mapping mistakes are reported when mappers are configured", "[orm]") {
    CHECK_THROWS_AS(orm::Cascade::parse("save-update, explode"), MappingError);
    CHECK(orm::Cascade::parse("all, delete-orphan").delete_orphan);
    CHECK_THROWS_WITH(orm::mapper<Student>().relationship("nope"), Catch::Contains("Student") && Catch::Contains("nope"));
    // The association table was declared twice, identically: one table.
    std::size_t tables = 0;
    for (const auto& t : registry().metadata().tables()) tables += t->name == "or_enrollment";
    CHECK(tables == 1);
    CHECK_THROWS_WITH(orm::association_table(registry(), "or_enrollment", {{"student_id", "or_student.id"},
                                                                          {"course", "or_course.id"}}),
                      Catch::Contains("declared twice with different columns"));
}
