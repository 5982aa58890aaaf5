// The plugin's entry points (retort/plugin/abi.hpp).
#include "postgresql_dialect.hpp"

RETORT_DIALECT_PLUGIN(retort::postgresql::PostgresqlDialect)
