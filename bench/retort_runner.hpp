// Retort doing the benchmark's phases through its ORM, as an application
// written like the seed example would.
#pragma once

#include <memory>

#include "runner.hpp"

namespace retort::bench {

/// Retort on the database at `url`.
std::unique_ptr<Runner> make_retort_runner(const std::string& url);

/// Drops and creates the benchmark's tables on `url` (with Retort's DDL, so that
/// every contestant starts from the same tables).
void recreate_tables(const std::string& url);

}  // namespace retort::bench
