#include "retort/error.hpp"

namespace retort {

// Out-of-line destructors anchor each class's vtable and type_info in the core
// library, so that an exception thrown inside a dialect plugin is caught by
// type in the application: there is one type_info per class, not one per DSO.
Error::~Error() = default;
ArgumentError::~ArgumentError() = default;
PluginError::~PluginError() = default;
CompileError::~CompileError() = default;
NoResultFound::~NoResultFound() = default;
MultipleResultsFound::~MultipleResultsFound() = default;
InvalidRequestError::~InvalidRequestError() = default;
TimeoutError::~TimeoutError() = default;
LazyLoadError::~LazyLoadError() = default;
FlushError::~FlushError() = default;
StaleDataError::~StaleDataError() = default;
MappingError::~MappingError() = default;

namespace {
std::string locate(const std::string& source, const std::string& key, const std::string& problem, std::size_t line) {
    std::string s = source;
    if (line != 0) s += ":" + std::to_string(line);
    s += ": ";
    if (!key.empty()) s += key + ": ";
    return s + problem;
}
}  // namespace

ConfigError::ConfigError(std::string source, std::string key, std::string problem, std::size_t line)
    : ArgumentError(locate(source, key, problem, line)), source_(std::move(source)), key_(std::move(key)), line_(line) {}
ConfigError::~ConfigError() = default;

namespace {
std::string describe(const Diagnostics& d) {
    std::string s = "(";
    s += d.sqlstate.empty() ? std::to_string(d.native_code) : d.sqlstate;
    s += ") ";
    s += d.message;
    if (!d.statement.empty()) {
        s += "\n[SQL: ";
        s += d.statement;
        s += "]";
    }
    return s;
}
}  // namespace

DBAPIError::DBAPIError(Diagnostics d) : Error(describe(d)), diag_(std::move(d)) {}
DBAPIError::~DBAPIError() = default;
IntegrityError::~IntegrityError() = default;
OperationalError::~OperationalError() = default;
ProgrammingError::~ProgrammingError() = default;
DataError::~DataError() = default;
InternalError::~InternalError() = default;
NotSupportedError::~NotSupportedError() = default;

void throw_dbapi_error(ErrorKind kind, Diagnostics d) {
    switch (kind) {
        case ErrorKind::integrity: throw IntegrityError(std::move(d));
        case ErrorKind::operational: throw OperationalError(std::move(d));
        case ErrorKind::programming: throw ProgrammingError(std::move(d));
        case ErrorKind::data: throw DataError(std::move(d));
        case ErrorKind::internal: throw InternalError(std::move(d));
        case ErrorKind::not_supported: throw NotSupportedError(std::move(d));
        case ErrorKind::generic: break;
    }
    throw DBAPIError(std::move(d));
}

}  // namespace retort
