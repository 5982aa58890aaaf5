// Many-to-many through an association table, in the style of async_orm.cpp:
// students and courses, enrolled from either side, loaded with selectinload.
//
//   many_to_many [URL] [-v]      (default: an in-memory SQLite database)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>
#include <retort/orm.hpp>

using namespace retort;

struct Course;

struct Student {
    orm::Defaulted<std::int64_t> id;
    std::string name;
    orm::Collection<Course> courses;

    static auto mapping() {
        return orm::table("student",
                          orm::column(&Student::id, orm::primary_key()),
                          orm::column(&Student::name, types::String(50)),
                          orm::relationship(&Student::courses,
                                            {.back_populates = "students", .order_by = {"title"}, .secondary = "enrollment"}));
    }
};
RETORT_MAPPED(Student, id, name, courses)

struct Course {
    orm::Defaulted<std::int64_t> id;
    std::string title;
    orm::Collection<Student> students;

    static auto mapping() {
        return orm::table("course",
                          orm::column(&Course::id, orm::primary_key()),
                          orm::column(&Course::title, types::String(50)),
                          orm::relationship(&Course::students,
                                            {.back_populates = "courses", .order_by = {"name"}, .secondary = "enrollment"}));
    }
};
RETORT_MAPPED(Course, id, title, students)

// The association table: one row per (student, course) pair.
[[maybe_unused]] const bool enrollment =
    orm::association_table(orm::default_registry(), "enrollment",
                           {{"student_id", "student.id"}, {"course_id", "course.id"}});

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
        auto math = std::make_shared<Course>(Course{.title = "math"});
        auto art = std::make_shared<Course>(Course{.title = "art"});
        auto music = std::make_shared<Course>(Course{.title = "music"});
        s.add_all(std::vector{
            std::make_shared<Student>(Student{.name = "ann", .courses = {math, art}}),
            std::make_shared<Student>(Student{.name = "bob", .courses = {math}}),
        });
        // From the other side: music enrolls cat.
        music->students = {std::make_shared<Student>(Student{.name = "cat"})};
        s.add(music);
        co_return;
    });
    co_await session.close();

    auto reader = make_session();
    auto students = co_await reader.scalars(
        orm::select<Student>().order_by(&Student::name).options(orm::selectinload(&Student::courses)));
    for (const auto& student : students) {
        std::cout << student->name << ":";
        for (const auto& course : student->courses) std::cout << " " << course->title;
        std::cout << "\n";
    }
    // Drop a course from ann: its association row goes at commit.
    auto ann = students.first();
    ann->courses.remove(ann->courses.front());
    co_await reader.commit();
    co_await reader.close();

    auto check = make_session();
    auto courses = co_await check.scalars(
        orm::select<Course>().order_by(&Course::title).options(orm::joinedload(&Course::students)));
    for (const auto& course : courses) {
        std::cout << course->title << " has " << course->students.size() << " student(s)\n";
    }
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
