// The SQL of a savepoint, the same for every driver: the standard's
// SAVEPOINT / RELEASE SAVEPOINT / ROLLBACK TO SAVEPOINT, which SQLite,
// PostgreSQL and MySQL/MariaDB all accept.
//
// The name comes from the core (AsyncConnection::begin_nested makes
// "retort_sp_<n>"): letters, digits and '_', starting with a letter, so it is
// written unquoted on every database (quoting would differ: `x` on MySQL,
// "x" elsewhere). Any other name is refused, never quoted or altered.
#pragma once

#include <string>
#include <string_view>

#include "retort/error.hpp"

namespace retort::plugin::support {

enum class SavepointOp { create, release, rollback_to };

inline std::string savepoint_sql(SavepointOp op, std::string_view name) {
    bool plain = !name.empty() && name.size() <= 63 &&
                 ((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z'));
    for (char c : name)
        plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_');
    if (!plain) throw ArgumentError("invalid savepoint name '" + std::string(name) + "': letters, digits and '_' only");
    switch (op) {
        case SavepointOp::create: return "SAVEPOINT " + std::string(name);
        case SavepointOp::release: return "RELEASE SAVEPOINT " + std::string(name);
        case SavepointOp::rollback_to: return "ROLLBACK TO SAVEPOINT " + std::string(name);
    }
    return {};
}

}  // namespace retort::plugin::support
