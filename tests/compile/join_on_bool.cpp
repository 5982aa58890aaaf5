// Must not compile: a bool as the ON condition would be bound as a parameter
// (ON ?) and join every row with every row.
#include <retort/retort.hpp>

using namespace retort;

int main() {
    MetaData md;
    sql::Table a(md, "a"), b(md, "b");
    auto a_id = a.column<std::int64_t>("id", sql::primary_key());
    auto q = sql::select(a_id).join(b, true);
}
