// Helpers shared by the tests: running a coroutine to completion, the backend
// under test, and skipping a test whose backend lacks a capability.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "retort/retort.hpp"

namespace retort::test {

/// Runs `body` on a fresh io_context until it finishes; rethrows what it throws.
void run(std::function<boost::asio::awaitable<void>()> body);

/// The URL of the backend this test process runs against: RETORT_TEST_URL, or a
/// fresh SQLite file in the working directory when unset.
std::string backend_url();

/// Ends the test as skipped (CTest reports it so) with `reason`.
[[noreturn]] void skip(const std::string& reason);

}  // namespace retort::test

/// Skips the current test unless the backend's dialect has `flag` set.
#define RETORT_REQUIRE_CAPABILITY(dialect, flag)                                             \
    do {                                                                                     \
        if (!(dialect).capabilities().flag)                                                  \
            ::retort::test::skip(std::string("the backend lacks capability '") + #flag + "'"); \
    } while (0)
