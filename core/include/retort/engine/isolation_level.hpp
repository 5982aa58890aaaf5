// Transaction isolation levels, named as in SQL and in SQLAlchemy's
// `isolation_level` option: per engine (EngineOptions) or per connection
// (AsyncConnection::set_isolation_level).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace retort {

enum class IsolationLevel {
    read_uncommitted,
    read_committed,
    repeatable_read,
    serializable,
    /// No transaction at all: each statement commits on its own (CREATE DATABASE,
    /// VACUUM...). The core simply never sends BEGIN; drivers never see this level.
    autocommit,
};

/// "READ COMMITTED", "AUTOCOMMIT"...
std::string_view to_string(IsolationLevel level);
/// Parses the SQL spelling, case-insensitive, with spaces or underscores
/// ("read_committed", "READ COMMITTED"); throws ArgumentError naming the known levels.
IsolationLevel parse_isolation_level(std::string_view text);

}  // namespace retort
