// Helpers of Retort's own tests: the conformance kit's (support/kit.hpp), and
// what only the built-in backends' tests need.
#pragma once

#include <optional>
#include <string>

#include "support/kit.hpp"

namespace retort::test {

/// The environment variable RETORT_TEST_<BACKEND>_<name> of the backend under
/// test (tools/test sets RETORT_TEST_POSTGRESQL_SOCKET...), if set and not empty.
std::optional<std::string> backend_setting(const std::string& name);

}  // namespace retort::test
