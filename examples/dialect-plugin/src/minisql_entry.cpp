// The plugin's entry points: the three C symbols the loader looks for
// (retort/plugin/abi.hpp). One line, in one file of the plugin.
#include "minisql_dialect.hpp"

RETORT_DIALECT_PLUGIN(minisql::MinisqlDialect)
