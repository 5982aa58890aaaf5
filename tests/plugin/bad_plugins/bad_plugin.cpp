// Bad dialect plugins for the loader's tests. The CMake target chooses, with one
// BAD_* definition, the single rule of the plugin contract (abi.hpp) it breaks,
// so that each refusal can only be for that reason.
#include <stdexcept>

#include "retort/plugin/dialect.hpp"

#ifdef BAD_UNRESOLVED
// Defined nowhere: linking a module allows that, loading it with RTLD_NOW must not.
extern "C" int retort_test_symbol_defined_nowhere();
#endif

namespace {

// Enough of a dialect to be made and named; never asked to compile or connect.
class StubDialect final : public retort::plugin::Dialect {
public:
    StubDialect() {
#ifdef BAD_THROWS
        throw std::runtime_error(BAD_THROWS);
#endif
#ifdef BAD_UNRESOLVED
        retort_test_symbol_defined_nowhere();
#endif
    }
    std::string_view name() const override { return BAD_DIALECT_NAME; }
    std::string_view version() const override { return "0.0.0"; }
    std::string driver_description() const override { return "no driver (" BAD_DIALECT_NAME " test stub)"; }
    const retort::sql::SqlCompiler& compiler() const override { return compiler_; }
    retort::sql::Statement has_table_query(const retort::sql::TableNode&) const override {
        throw std::logic_error("test stub");
    }
    std::vector<retort::IsolationLevel> isolation_levels() const override { return {}; }
    retort::plugin::awaitable<std::unique_ptr<retort::plugin::Connection>> connect(
        const retort::Url&, boost::asio::any_io_executor) const override {
        throw std::logic_error("test stub");
    }

private:
    retort::sql::SqlCompiler compiler_{retort::sql::Capabilities{}};
};

}  // namespace

#if defined(BAD_ABI_VERSION) || defined(BAD_BUILD_ID) || defined(BAD_NO_CREATE)
// Written out by hand: RETORT_DIALECT_PLUGIN cannot get these wrong.
#define EXPORT extern "C" __attribute__((visibility("default")))

EXPORT std::uint32_t retort_plugin_abi_version() {
#ifdef BAD_ABI_VERSION
    return retort::plugin::abi_version + 1;  // what a plugin built against a newer Retort reports
#else
    return retort::plugin::abi_version;
#endif
}

EXPORT const char* retort_plugin_build_id() {
#ifdef BAD_BUILD_ID
    return BAD_BUILD_ID;
#else
    return RETORT_PLUGIN_BUILD_ID;
#endif
}

#ifndef BAD_NO_CREATE
// Would succeed: the loader must refuse before it gets this far.
EXPORT int retort_plugin_create(retort::plugin::Dialect** out, char*, std::size_t) noexcept {
    *out = new StubDialect();
    return 0;
}
#endif

#else
RETORT_DIALECT_PLUGIN(StubDialect)
#endif
