// Must not compile: a plain value in order_by() would be bound as a parameter
// (ORDER BY ?) and order by nothing.
#include <retort/retort.hpp>

using namespace retort;

int main() {
    MetaData md;
    sql::Table t(md, "t");
    auto id = t.column<std::int64_t>("id", sql::primary_key());
    auto q = sql::select(id).order_by(5);
}
