#include "retort/engine/isolation_level.hpp"

#include <cctype>

#include "retort/error.hpp"

namespace retort {

namespace {
constexpr IsolationLevel all_levels[] = {IsolationLevel::read_uncommitted, IsolationLevel::read_committed,
                                         IsolationLevel::repeatable_read, IsolationLevel::serializable,
                                         IsolationLevel::autocommit};
}

std::string_view to_string(IsolationLevel level) {
    switch (level) {
        case IsolationLevel::read_uncommitted: return "READ UNCOMMITTED";
        case IsolationLevel::read_committed: return "READ COMMITTED";
        case IsolationLevel::repeatable_read: return "REPEATABLE READ";
        case IsolationLevel::serializable: return "SERIALIZABLE";
        case IsolationLevel::autocommit: return "AUTOCOMMIT";
    }
    return "?";
}

IsolationLevel parse_isolation_level(std::string_view text) {
    std::string norm;
    for (char ch : text) norm += ch == '_' ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    std::string known;
    for (auto level : all_levels) {
        if (norm == to_string(level)) return level;
        known += (known.empty() ? "" : ", ") + std::string(to_string(level));
    }
    throw ArgumentError("unknown isolation level '" + std::string(text) + "'; known: " + known);
}

}  // namespace retort
