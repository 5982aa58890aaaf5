// An application's headers do not bring the plugin contract: a program that
// includes retort/orm.hpp and reaches for a driver's Connection must not
// compile (it is for dialects and tools, which include retort/plugin/).
#include <retort/orm.hpp>

int main() { return static_cast<int>(sizeof(retort::plugin::Connection) + sizeof(retort::sql::SqlCompiler)); }
