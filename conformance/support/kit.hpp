// The conformance kit's helpers, for its cases and for Retort's own tests:
// running a coroutine to completion, the database under test, and skipping a
// case whose dialect lacks a capability (the skip names the flag).
//
// The database under test: RETORT_TEST_URL when set (`retort conformance URL`
// sets it); otherwise RETORT_TEST_BACKEND names a built-in backend (sqlite by
// default) and RETORT_TEST_<BACKEND>_URL its URL.
#pragma once

#include <algorithm>
#include <chrono>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "retort/plugin/dialect.hpp"
#include "retort/retort.hpp"

namespace retort::test {

/// Runs `body` on a fresh io_context until it finishes; rethrows what it throws.
void run(std::function<boost::asio::awaitable<void>()> body);

/// The URL of the database this test process runs against (see above). SQLite
/// defaults to a fresh file in the working directory; a backend without a URL
/// skips the test.
std::string backend_url();

/// The environment variable RETORT_TEST_<BACKEND>_<name> of the backend under
/// test (tools/test sets RETORT_TEST_POSTGRESQL_SOCKET...), if set and not empty.
std::optional<std::string> backend_setting(const std::string& name);

/// What only a test needs to know of a database, given by whoever runs the kit
/// (`retort conformance --terminate-session-sql`, or tools/test for the
/// built-in backends): a statement that ends another session, as an
/// administrator would, with "{id}" standing for Connection::session_id().
/// nullopt when none was given: the cases that need it are skipped.
std::optional<std::string> terminate_session_sql(std::int64_t session_id);

/// An engine on the backend under test.
AsyncEngine make_engine(EngineOptions options = {});

/// Drops and creates the tables of `metadata` on the engine's database, committed.
boost::asio::awaitable<void> recreate_tables(AsyncEngine& engine, const MetaData& metadata);

/// SELECT count(*) FROM `table`, on `conn` (in its transaction) or on a
/// connection of its own (what other sessions see).
boost::asio::awaitable<std::int64_t> count_rows(AsyncConnection& conn, const sql::Table& table);
boost::asio::awaitable<std::int64_t> count_rows(AsyncEngine& engine, const sql::Table& table);

/// Awaits `op` and returns the E it threw, or nullopt when it completed (any
/// other exception propagates). Catch's assertion macros cannot hold a co_await
/// (GCC 12 miscompiles it), so tests await first and assert on the outcome.
template <class E, class T>
boost::asio::awaitable<std::optional<E>> capture(boost::asio::awaitable<T> op) {
    try {
        co_await std::move(op);
    } catch (const E& e) {
        co_return e;
    }
    co_return std::nullopt;
}

/// Collects the SQL of every statement an engine sends (one entry per row of
/// an execute_many): `auto engine = make_engine(log.options());`.
struct StatementLog {
    std::vector<std::string> sql;
    EngineOptions options() {
        return {.on_statement = [this](const StatementEvent& e) { sql.emplace_back(e.sql); }};
    }
    std::size_t count_starting(std::string_view prefix) const {
        return std::count_if(sql.begin(), sql.end(), [&](const auto& s) { return s.rfind(prefix, 0) == 0; });
    }
    std::size_t count_containing(std::string_view part) const {
        return std::count_if(sql.begin(), sql.end(), [&](const auto& s) { return s.find(part) != std::string::npos; });
    }
};

/// Waits `d` on the calling coroutine's executor (the event loop runs meanwhile).
boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d);

/// Ends the test as skipped (CTest reports it so) with `reason`.
[[noreturn]] void skip(const std::string& reason);

}  // namespace retort::test

/// Skips the current test unless the backend's dialect has `flag` set.
#define RETORT_REQUIRE_CAPABILITY(dialect, flag)                                             \
    do {                                                                                     \
        if (!(dialect).capabilities().flag)                                                  \
            ::retort::test::skip(std::string("the backend lacks capability '") + #flag + "'"); \
    } while (0)
