// Catch2's main for Retort's own test programs, with the test context of the
// built-in backends: what the conformance kit is told about a database by
// whoever runs it (support/kit.hpp), here for PostgreSQL and MariaDB.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string_view>

int main(int argc, char** argv) {
    const char* backend = std::getenv("RETORT_TEST_BACKEND");
    std::string_view b = backend ? backend : "";
    const char* terminate = b == "postgresql" ? "SELECT pg_terminate_backend({id})" : b == "mysql" ? "KILL {id}" : nullptr;
    if (terminate) setenv("RETORT_TEST_TERMINATE_SESSION_SQL", terminate, 0);  // (unless set already)
    return Catch::Session().run(argc, argv);
}
