// An application's memory is bounded by what it still holds: objects in
// two-way relationships (back_populates) are freed once the session and the
// application let go of them, however often they are loaded.
#include <catch2/catch.hpp>

#include "retort/orm.hpp"
#include "support/kit.hpp"

using namespace retort;

namespace orm_lifetime_test {

orm::Registry& registry() {
    static orm::Registry r;
    return r;
}

/// Counts the live objects of the classes below (a member left out of
/// RETORT_MAPPED is not mapped).
struct Live {
    static inline int count = 0;
    Live() { ++count; }
    Live(const Live&) { ++count; }
    Live& operator=(const Live&) = default;
    ~Live() { --count; }
};

struct Child;
struct Parent {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Child> children;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_parent", orm::column(&Parent::id, orm::primary_key()),
                          orm::column(&Parent::name, types::String(40)),
                          orm::relationship(&Parent::children, {.back_populates = "parent", .cascade = "all"}));
    }
};
RETORT_MAPPED(Parent, id, name, children)

struct Child {
    orm::Defaulted<std::int64_t> id;
    std::int64_t parent_id = 0;
    std::string name;
    orm::Reference<Parent> parent;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_child", orm::column(&Child::id, orm::primary_key()),
                          orm::column(&Child::parent_id, orm::foreign_key(&Parent::id)),
                          orm::column(&Child::name, types::String(40)),
                          orm::relationship(&Child::parent, {.back_populates = "children"}));
    }
};
RETORT_MAPPED(Child, id, parent_id, name, parent)

// Many-to-many both ways: Course.students owns (its qualified name sorts
// first), Student.courses gives way.
struct Course;
struct Student {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Course> courses;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_student", orm::column(&Student::id, orm::primary_key()),
                          orm::column(&Student::name, types::String(40)),
                          orm::relationship(&Student::courses, {.back_populates = "students",
                                                                .order_by = {"title"}, .secondary = "ol_enrollment"}));
    }
};
RETORT_MAPPED(Student, id, name, courses)

struct Course {
    orm::Defaulted<std::int64_t> id;
    std::string title;
    orm::Collection<Student> students;
    Live live;

    static auto mapping() {
        return orm::table(registry(), "ol_course", orm::column(&Course::id, orm::primary_key()),
                          orm::column(&Course::title, types::String(40)),
                          orm::relationship(&Course::students, {.back_populates = "courses",
                                                                .order_by = {"name"}, .secondary = "ol_enrollment"}));
    }
};
RETORT_MAPPED(Course, id, title, students)

[[maybe_unused]] const bool enrollment = orm::association_table(
    registry(), "ol_enrollment", {{"student_id", "ol_student.id"}, {"course_id", "ol_course.id"}});

/// 10 parents with 10 children each, both sides of each link assigned by the program.
awaitable<void> seed(AsyncEngine& engine) {
    co_await test::recreate_tables(engine, registry().metadata());
    orm::AsyncSession s(engine, {.expire_on_commit = false});  // the links stay loaded after commit
    for (int p = 0; p < 10; ++p) {
        auto parent = std::make_shared<Parent>(Parent{.name = "p" + std::to_string(p)});
        std::vector<std::shared_ptr<Child>> children;
        for (int c = 0; c < 10; ++c) {
            auto child = std::make_shared<Child>(Child{.name = "c" + std::to_string(c)});
            child->parent = parent;
            children.push_back(child);
        }
        parent->children = children;
        s.add(parent);
    }
    co_await s.commit();
    co_await s.close();
}

/// 3 courses and 4 students, each student in two courses; both sides of each
/// link assigned by the program.
awaitable<void> seed_courses(AsyncEngine& engine) {
    orm::AsyncSession s(engine, {.expire_on_commit = false});
    std::vector<std::shared_ptr<Course>> courses;
    for (const char* title : {"art", "math", "music"})
        courses.push_back(std::make_shared<Course>(Course{.title = title, .students = {}}));
    for (int i = 0; i < 4; ++i) {
        auto student = std::make_shared<Student>(Student{.name = "s" + std::to_string(i)});
        for (int k = 0; k < 2; ++k) {
            const auto& course = courses[(i + k) % 3];
            student->courses.push_back(course);
            course->students.push_back(student);
        }
        s.add(student);
    }
    co_await s.commit();
    co_await s.close();
}

/// The parent_id column of every child, from a session of its own.
awaitable<std::vector<std::int64_t>> parent_ids(AsyncEngine& engine) {
    orm::AsyncSession s(engine);
    auto children = co_await s.scalars(orm::select<Child>().order_by(&Child::id));
    std::vector<std::int64_t> ids;
    for (const auto& c : children) ids.push_back(c->parent_id);
    co_await s.close();
    co_return ids;
}

}  // namespace orm_lifetime_test

using namespace orm_lifetime_test;

TEST_CASE("orm lifetime: objects linked both ways are freed when nothing holds them", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        CHECK(Live::count == 0);  // what the program built and flushed both ways

        // Loaded in a loop, as a service handling requests would: nothing accumulates.
        for (int round = 0; round < 300; ++round) {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>().options(orm::selectinload(&Parent::children)));
            std::size_t linked = 0;
            for (const auto& p : parents)
                for (const auto& c : p->children) linked += c->parent.get() == p;  // the reverse side is filled
            CHECK(linked == 100);
            co_await s.close();
        }
        CHECK(Live::count == 0);

        // A session dropped without close() lets go of them too.
        {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>().options(orm::selectinload(&Parent::children)));
            CHECK(Live::count == 110);
            co_await s.rollback();
        }
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: a child whose parent was released says so", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        std::shared_ptr<Child> kept;
        std::shared_ptr<Parent> parent;
        {
            orm::AsyncSession s(engine);
            auto parents = co_await s.scalars(orm::select<Parent>()
                                                  .where(orm::attr(&Parent::name) == "p3")
                                                  .options(orm::selectinload(&Parent::children)));
            parent = parents.one();
            kept = parent->children[0];
            CHECK(!kept->parent.owning());
            co_await s.close();
        }
        CHECK(kept->parent->name == "p3");  // alive while the application holds the parent
        parent.reset();
        CHECK_THROWS_WITH(kept->parent.get(), Catch::Contains("Child.parent refers to a") &&
                                                  Catch::Contains("that was released"));
        // A reference the program assigns owns its target again.
        kept->parent = std::make_shared<Parent>(Parent{.name = "new"});
        CHECK(kept->parent.owning());
        CHECK(kept->parent->name == "new");
        kept.reset();
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: many-to-many objects linked both ways are freed when nothing holds them", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        co_await seed_courses(engine);
        CHECK(Live::count == 0);  // what the program built and flushed both ways

        // Both sides loaded in one session: each course's students hold it back.
        for (int round = 0; round < 50; ++round) {
            orm::AsyncSession s(engine);
            auto students = co_await s.scalars(orm::select<Student>().options(orm::selectinload(&Student::courses)));
            auto courses = co_await s.scalars(orm::select<Course>().options(orm::selectinload(&Course::students)));
            std::size_t linked = 0;
            for (const auto& c : courses)
                for (const auto& st : c->students)
                    linked += std::count(st->courses.begin(), st->courses.end(), c);
            CHECK(linked == 8);
            co_await s.close();
        }
        CHECK(Live::count == 0);

        // Joined both ways, the session dropped without close().
        {
            orm::AsyncSession s(engine);
            auto courses = co_await s.scalars(
                orm::select<Course>().options(orm::joinedload(&Course::students).selectinload(&Student::courses)));
            CHECK(Live::count == 7);
            co_await s.rollback();
        }
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: the owning side of a many-to-many pair keeps what it holds and the other side says what it lost", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        co_await seed_courses(engine);
        std::shared_ptr<Course> art;
        std::shared_ptr<Student> s0;
        {
            orm::AsyncSession s(engine);
            auto students = co_await s.scalars(orm::select<Student>().order_by(&Student::name).options(
                orm::selectinload(&Student::courses).selectinload(&Course::students)));
            s0 = students.first();
            art = s0->courses[0];
            CHECK(art->title == "art");
            CHECK(art->students.owning());
            CHECK(!s0->courses.owning());
            co_await s.close();
        }
        // art holds its students; s0's courses are alive while something holds them.
        REQUIRE(art->students.size() == 3);
        CHECK(art->students[0]->name == "s0");
        CHECK(art->students[2]->name == "s3");
        CHECK(art->students[2]->courses[0] == art);
        CHECK(Live::count == 4);  // art, s0, s2 and s3: math and music were held by students only
        std::vector<std::string> titles;
        CHECK_THROWS_WITH(titles.push_back(s0->courses[1]->title),
                          Catch::Contains("Student.courses refers to a") && Catch::Contains("that was released"));
        CHECK_THROWS_WITH(s0->courses.items(), Catch::Contains("that was released"));
        CHECK(s0->courses.size() == 2);
        // A collection the program assigns owns its objects again.
        s0->courses = {std::make_shared<Course>(Course{.title = "new"})};
        CHECK(s0->courses.owning());
        CHECK(s0->courses[0]->title == "new");
        s0.reset();
        art.reset();
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: a detached graph given to merge() is freed with its copies", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        {
            auto parent = std::make_shared<Parent>(Parent{.name = "merged"});
            auto child = std::make_shared<Child>(Child{.name = "mc"});
            child->parent = parent;
            parent->children = {child};
            orm::AsyncSession s(engine);
            auto copy = co_await s.merge(parent);
            REQUIRE(copy->children.size() == 1);
            CHECK(copy->children[0]->parent.get() == copy);
            co_await s.commit();
            co_await s.close();
        }
        CHECK(Live::count == 0);
    });
}

TEST_CASE("orm lifetime: a flush never writes a link whose target was released as if it were unset", "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        co_await seed_courses(engine);
        auto before = co_await parent_ids(engine);
        {
            orm::AsyncSession s(engine);
            std::shared_ptr<Child> child;
            {
                auto parents = co_await s.scalars(orm::select<Parent>()
                                                      .where(orm::attr(&Parent::name) == "p3")
                                                      .options(orm::selectinload(&Parent::children)));
                auto parent = parents.one();
                child = parent->children[0];
                s.expunge(parent);  // the session no longer holds the parent, and nor does the program
            }
            CHECK_THROWS_WITH(child->parent.get(), Catch::Contains("that was released"));
            child->name = "renamed";
            co_await s.commit();  // the child's row keeps its parent

            std::shared_ptr<Student> s0;
            {
                auto students = co_await s.scalars(orm::select<Student>().order_by(&Student::name).options(
                    orm::selectinload(&Student::courses).selectinload(&Course::students)));
                s0 = students.first();
                s.expunge(s0->courses[1]);  // math: held by its students only, once the session lets go
            }
            REQUIRE_THROWS(s0->courses.items());
            s0->name = "s0 renamed";
            co_await s.commit();  // s0 stays in math
            auto courses = co_await s.load(s0, &Student::courses);  // loaded again, whole
            REQUIRE(courses.size() == 2);
            CHECK(courses[1]->title == "math");
            co_await s.close();
        }
        auto after = co_await parent_ids(engine);
        CHECK(after == before);
        auto rows = co_await test::count_rows(engine, registry().metadata().table("ol_enrollment"));
        CHECK(rows == 8);
        CHECK(Live::count == 0);
    });
}

// SQLAlchemy's identity map is weak for clean objects: what the program let go
// of leaves the session, so a session that streams or inserts millions of rows
// stays small. A changed object is never dropped: it stays until written.
TEST_CASE("orm lifetime: a streamed object the program let go leaves the session, and a changed one stays until written",
          "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        std::size_t seen = 0, most = 0;
        std::int64_t changed_id = 0;
        {
            orm::AsyncSession s(engine);
            auto stream = co_await s.stream_scalars(orm::select<Child>().order_by(&Child::id), 10);  // chunks of 10
            while (auto c = co_await stream.next()) {
                if (++seen == 25) {
                    c->name = "changed";
                    changed_id = *c->id;
                }
                most = std::max(most, s.size());
            }
            CHECK(seen == 100);
            CHECK(most <= 21);  // this chunk, the one before it, and the changed object: never all 100
            CHECK(Live::count == 1);  // the changed object, held by the session alone
            co_await s.commit();
            CHECK(Live::count == 0);  // written, then let go
            CHECK(s.size() == 0);
            co_await s.close();
        }
        orm::AsyncSession check(engine);
        auto again = co_await check.get<Child>(changed_id);
        REQUIRE(again);
        CHECK(again->name == "changed");
        co_await check.close();
    });
}

TEST_CASE("orm lifetime: loaded and inserted objects the program let go leave the session at commit, changes written",
          "[orm]") {
    auto engine = test::make_engine();
    test::run([&]() -> awaitable<void> {
        co_await seed(engine);
        orm::AsyncSession s(engine, {.expire_on_commit = false});
        std::shared_ptr<Child> kept;
        {
            auto children = co_await s.scalars(orm::select<Child>().order_by(&Child::id));
            CHECK(s.size() == 100);
            children.all()[3]->name = "renamed";  // changed, then let go
            kept = children.all()[7];
        }
        for (int i = 0; i < 50; ++i) s.add(std::make_shared<Parent>(Parent{.name = "new" + std::to_string(i)}));
        co_await s.commit();
        CHECK(s.size() == 1);  // only what the program still holds
        CHECK(Live::count == 1);
        // What the program holds keeps its identity.
        auto same = co_await s.get<Child>(*kept->id);
        CHECK(same == kept);
        co_await s.close();
        auto renamed = co_await test::count_rows(engine, registry().metadata().table("ol_child"));
        CHECK(renamed == 100);
        orm::AsyncSession check(engine);
        auto r = co_await check.scalars(orm::select<Child>().where(orm::attr(&Child::name) == "renamed"));
        CHECK(r.all().size() == 1);
        auto parents = co_await check.scalars(orm::select<Parent>());
        CHECK(parents.all().size() == 60);
        co_await check.close();
    });
}
