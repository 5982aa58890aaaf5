// Must not compile, with a message saying where RETORT_MAPPED goes: in the
// namespace of the class, where Boost.Describe finds its description.
#include <retort/orm.hpp>
using namespace retort;
namespace shop { struct Book { orm::Defaulted<std::int64_t> id{}; static auto mapping() { return orm::table("b", orm::column(&Book::id, orm::primary_key())); } }; }
RETORT_MAPPED(shop::Book, id)
int main() {}
