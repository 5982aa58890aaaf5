// The plugin's entry points (retort/plugin/abi.hpp).
#include "mysql_dialect.hpp"

RETORT_DIALECT_PLUGIN(retort::mysql::MysqlDialect)
