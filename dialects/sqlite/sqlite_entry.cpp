// The plugin's entry points (retort/plugin/abi.hpp).
#include "sqlite_dialect.hpp"

RETORT_DIALECT_PLUGIN(retort::sqlite::SqliteDialect)
