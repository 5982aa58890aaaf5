// The plugin boundary: loading the real dialects, and refusing, with a message
// naming the file and the reason, every plugin file that breaks the contract.
//
// The registry caches what it loads for the whole process, so no test relies on
// another having run or not: the bad plugins are loaded by explicit path, and a
// test that needs RETORT_PLUGIN_PATH sets it for itself.
#include <dlfcn.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include "retort/error.hpp"
#include "retort/plugin/file_seal.hpp"
#include "retort/plugin/loader.hpp"
#include "retort/retort.hpp"
#include "support/kit.hpp"

namespace fs = std::filesystem;
using Catch::Contains;
using retort::PluginError;
namespace plugin = retort::plugin;

namespace {

const fs::path bad_dir = RETORT_BAD_PLUGIN_DIR;
const fs::path plugin_dir = RETORT_PLUGIN_DIR;

fs::path bad_plugin(const std::string& name) { return bad_dir / ("libretort_dialect_" + name + ".so"); }

/// The message of the E that `f` throws. Any other exception propagates and fails the test.
template <class E = PluginError, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    }
    FAIL("expected an exception; none was thrown");
    return {};
}

/// The message of loading the plugin file at `path`, which must be refused.
std::string refusal(const fs::path& path) {
    return message_of([&] { plugin::load_plugin_file(path); });
}

/// Sets RETORT_PLUGIN_PATH (unsets it for nullptr) for one test, restoring it afterwards.
class PluginPath {
public:
    explicit PluginPath(const char* value) {
        if (const char* old = std::getenv(var)) saved_ = old;
        set(value);
    }
    ~PluginPath() { set(saved_ ? saved_->c_str() : nullptr); }

private:
    static void set(const char* value) { value ? ::setenv(var, value, 1) : ::unsetenv(var); }
    static constexpr const char* var = "RETORT_PLUGIN_PATH";
    std::optional<std::string> saved_;
};

/// A fresh directory for files a test writes; removed afterwards.
class TempDir {
public:
    TempDir() {
        std::string templ = (fs::temp_directory_path() / "retort-plugin-test-XXXXXX").string();
        if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& content) const {
        std::ofstream(path_ / name, std::ios::binary) << content;
        return path_ / name;
    }

private:
    fs::path path_;
};

bool contains_dir(const std::vector<fs::path>& dirs, const fs::path& dir) {
    std::error_code ec;
    for (const auto& d : dirs)
        if (fs::equivalent(d, dir, ec)) return true;
    return false;
}

}  // namespace

// ---- the real dialects ------------------------------------------------------------

TEST_CASE("sqlite loads by name, once per process", "[plugin]") {
    PluginPath path(nullptr);
    auto sqlite = plugin::load_dialect("sqlite");
    REQUIRE(sqlite);
    CHECK(sqlite->name() == "sqlite");
    CHECK(plugin::load_dialect("sqlite") == sqlite);
    CHECK(plugin::load_plugin_file(plugin_dir / "libretort_dialect_sqlite.so") == sqlite);
}

TEST_CASE("an alias finds its dialect: mariadb is mysql, postgres is postgresql", "[plugin]") {
    PluginPath path(nullptr);
    auto mariadb = plugin::load_dialect("mariadb");
    CHECK(mariadb->name() == "mysql");
    CHECK(plugin::load_dialect("mysql") == mariadb);
    CHECK(plugin::load_dialect("postgres")->name() == "postgresql");
}

TEST_CASE("available_plugins lists sqlite, postgresql and mysql", "[plugin]") {
    PluginPath path(nullptr);
    std::vector<std::string> names;
    for (const auto& info : plugin::available_plugins()) {
        INFO(info.path << ": " << info.error);
        CHECK(info.error.empty());
        names.push_back(info.name);
    }
    CHECK_THAT(names, Catch::VectorContains(std::string("sqlite")) && Catch::VectorContains(std::string("postgresql")) &&
                          Catch::VectorContains(std::string("mysql")));
}

TEST_CASE("RETORT_PLUGIN_PATH at the bad plugins still finds sqlite beside the core library", "[plugin]") {
    PluginPath path(RETORT_BAD_PLUGIN_DIR);
    auto dirs = plugin::search_path();
    REQUIRE(dirs.size() >= 2);
    CHECK(fs::equivalent(dirs.front(), bad_dir));
    CHECK(contains_dir(dirs, RETORT_CORE_DIR));

    CHECK(plugin::load_dialect("sqlite")->name() == "sqlite");
    bool sqlite_listed = false;
    for (const auto& info : plugin::available_plugins()) {
        if (info.name == "sqlite") {
            sqlite_listed = true;
            CHECK(fs::equivalent(info.path.parent_path(), RETORT_CORE_DIR));
        }
        // Every bad plugin is listed with its reason.
        if (fs::equivalent(info.path.parent_path(), bad_dir)) {
            INFO(info.path);
            CHECK(info.name.empty());
            CHECK_THAT(info.error, Contains(info.path.string()));
        }
    }
    CHECK(sqlite_listed);
}

TEST_CASE("a bad plugin on the path does not break loading good ones", "[plugin]") {
    PluginPath path(RETORT_BAD_PLUGIN_DIR);
    // The bad ones are refused by name...
    for (const char* name : {"wrong_abi", "wrong_build", "no_create", "not_a_plugin", "throws", "misnamed", "unresolved"}) {
        INFO(name);
        CHECK_THAT(message_of([&] { plugin::load_dialect(name); }), Contains(bad_plugin(name).string()));
    }
    // ...and the alias search, which loads every plugin on the path, steps over them.
    CHECK(plugin::load_dialect("mariadb")->name() == "mysql");
    CHECK(plugin::load_dialect("postgres")->name() == "postgresql");
    CHECK(plugin::load_dialect("sqlite")->name() == "sqlite");
}

TEST_CASE("a dialect keeps its library loaded while it is held", "[plugin]") {
    PluginPath path(nullptr);
    const fs::path file = plugin_dir / "libretort_dialect_postgresql.so";
    std::shared_ptr<const plugin::Dialect> held;
    {
        auto engine = retort::create_async_engine("postgresql://localhost/app");
        held = plugin::load_plugin_file(file);
        CHECK(&engine.dialect() == held.get());
    }
    // Only `held` (and the registry) refer to it now: its code must still be mapped.
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    CHECK(handle != nullptr);
    if (handle) ::dlclose(handle);
    CHECK(held->name() == "postgresql");
    CHECK_FALSE(held->driver_description().empty());
    CHECK_THAT(held->compiler().quote_identifier("select"), Contains("select"));
}

// ---- plugin files the loader must refuse ------------------------------------------

TEST_CASE("a plugin built for another interface version is refused, naming both versions", "[plugin]") {
    auto file = bad_plugin("wrong_abi");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("interface version " + std::to_string(plugin::abi_version + 1)));
    CHECK_THAT(msg, Contains("implements version " + std::to_string(plugin::abi_version)));
}

TEST_CASE("a plugin built with another toolchain is refused, naming both", "[plugin]") {
    auto file = bad_plugin("wrong_build");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains(RETORT_BAD_BUILD_ID));
    CHECK_THAT(msg, Contains(plugin::core_build_id()));
}

TEST_CASE("a plugin missing its entry symbol is refused, naming the symbol", "[plugin]") {
    auto file = bad_plugin("no_create");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("'retort_plugin_create'"));
}

TEST_CASE("a shared library that is no plugin is refused", "[plugin]") {
    auto file = bad_plugin("not_a_plugin");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    // The seal tool cannot seal it (it has no entry points), so it is refused unsealed.
    CHECK_THAT(msg, Contains("has no Retort seal"));
}

TEST_CASE("a plugin whose dialect throws while initialising is refused with its message", "[plugin]") {
    auto file = bad_plugin("throws");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("failed to initialise") && Contains(RETORT_BAD_THROWS));
}

TEST_CASE("a plugin whose name differs from its file's is refused by name", "[plugin]") {
    PluginPath path(RETORT_BAD_PLUGIN_DIR);
    auto file = bad_plugin("misnamed");
    // Twice: the loaded library is cached, the refusal must not be.
    for (int i = 0; i < 2; ++i) {
        auto msg = message_of([] { plugin::load_dialect("misnamed"); });
        CHECK_THAT(msg, Contains(file.string()));
        CHECK_THAT(msg, Contains("'impostor'") && Contains("'misnamed'"));
    }
    // Nor does it load under the name it claims, whatever lookup came first.
    auto claimed = message_of([] { plugin::load_dialect("impostor"); });
    CHECK_THAT(claimed, Contains("not found"));
}

TEST_CASE("a plugin with an unresolved symbol is refused when loaded, naming the symbol", "[plugin]") {
    auto file = bad_plugin("unresolved");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("retort_test_symbol_defined_nowhere"));
}

TEST_CASE("a text file named like a plugin is refused", "[plugin]") {
    TempDir dir;
    auto file = dir.write("libretort_dialect_text.so", "this is not a shared library\n");
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains(file.string()));
    CHECK_THAT(msg, Contains("not a shared library"));
}

TEST_CASE("a truncated ELF file is refused", "[plugin]") {
    TempDir dir;
    auto file = dir.write("libretort_dialect_truncated.so", std::string("\x7f" "ELF\x02\x01\x01", 7));
    auto msg = refusal(file);
    CHECK_THAT(msg, Contains("dialect plugin '" + file.string() + "' has no Retort seal") && Contains("truncated"));
}

TEST_CASE("a missing plugin file or a directory is refused", "[plugin]") {
    auto missing = bad_plugin("absent");
    CHECK_THAT(refusal(missing), Contains(missing.string()) && Contains("does not exist"));
    CHECK_THAT(refusal(bad_dir), Contains(bad_dir.string()) && Contains("not a regular file"));
}

// ---- URLs ---------------------------------------------------------------------------

TEST_CASE("an unknown dialect in a URL lists the known dialects and the directories searched", "[plugin]") {
    PluginPath path(RETORT_BAD_PLUGIN_DIR);
    auto msg = message_of([] { retort::create_async_engine("nosuchdb://x"); });
    CHECK_THAT(msg, Contains("'nosuchdb' not found"));
    CHECK_THAT(msg, Contains("sqlite") && Contains("postgresql") && Contains("mysql"));
    CHECK_THAT(msg, Contains(bad_dir.string()) && Contains(fs::path(RETORT_CORE_DIR).string()));
    CHECK_THAT(msg, Contains("RETORT_PLUGIN_PATH"));
}

TEST_CASE("a dialect name cannot reach outside the search path", "[plugin]") {
    CHECK_THAT(message_of([] { plugin::load_dialect("../lib/sqlite"); }), Contains("invalid dialect name"));
}

TEST_CASE("a malformed URL is an ArgumentError, not a plugin error", "[plugin]") {
    for (const char* url : {"not a url", "://x", "sqlite"}) {
        INFO(url);
        CHECK_THAT(message_of<retort::ArgumentError>([&] { retort::create_async_engine(url); }),
                   Contains("invalid database URL"));
    }
}

// ---- damaged files: the seal is checked before the dynamic loader maps anything ----

namespace {
std::string file_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_CASE("a plugin file cut short anywhere is refused before it is loaded, never a crash", "[plugin][seal]") {
    // A truncated copy of a real plugin used to kill the process with SIGBUS
    // (1,000 bytes and up), or load "fine" when cut to half its size.
    const std::string whole = file_bytes(plugin_dir / "libretort_dialect_sqlite.so");
    REQUIRE(whole.size() > 100'000);
    TempDir dir;
    for (std::size_t size : {std::size_t{1000}, std::size_t{4096}, std::size_t{100'000}, whole.size() / 2,
                             whole.size() - 300, whole.size() - 1}) {
        INFO("truncated to " << size << " of " << whole.size() << " bytes");
        auto file = dir.write("libretort_dialect_cut" + std::to_string(size) + ".so", whole.substr(0, size));
        auto msg = refusal(file);
        CHECK_THAT(msg, Contains(file.string()) && Contains("truncated"));
    }
    // The seal cut off exactly, as strip would: the library itself is whole but unsealed.
    auto unsealed = dir.write("libretort_dialect_unsealed.so", whole.substr(0, whole.size() - plugin::seal_size));
    CHECK_THAT(refusal(unsealed), Contains("has no Retort seal") && Contains("stripped"));
}

TEST_CASE("a plugin file grown or damaged in copying is refused, naming the file", "[plugin][seal]") {
    const std::string whole = file_bytes(plugin_dir / "libretort_dialect_sqlite.so");
    TempDir dir;
    auto longer = dir.write("libretort_dialect_longer.so", whole.substr(0, whole.size() - plugin::seal_size) +
                                                               std::string(4096, '\0') +
                                                               whole.substr(whole.size() - plugin::seal_size));
    CHECK_THAT(refusal(longer), Contains(longer.string()) && Contains("bytes long, but was") && Contains("damaged"));
    std::string flipped = whole;
    flipped[whole.size() / 3] ^= 0x10;
    auto damaged = dir.write("libretort_dialect_damaged.so", flipped);
    CHECK_THAT(refusal(damaged), Contains(damaged.string()) && Contains("damaged") && Contains("checksum"));
    // An intact copy loads.
    auto copy = dir.write("libretort_dialect_sqlite.so", whole);
    CHECK(plugin::load_plugin_file(copy)->name() == "sqlite");
}

TEST_CASE("a plugin file renamed to another dialect's name is refused before it is loaded", "[plugin][seal]") {
    TempDir dir;
    // (A name no other test loads: the registry keeps what it loaded by name.)
    dir.write("libretort_dialect_renamed.so", file_bytes(plugin_dir / "libretort_dialect_sqlite.so"));
    PluginPath path(dir.path().c_str());
    auto msg = message_of([] { plugin::load_dialect("renamed"); });
    CHECK_THAT(msg, Contains("built as the 'sqlite' dialect, not 'renamed'"));
}

TEST_CASE("a symlink loop on the search path is a PluginError and the other plugins still load", "[plugin]") {
    TempDir dir;
    auto loop = dir.path() / "libretort_dialect_loop.so";
    fs::create_symlink(loop, loop);
    auto a = dir.path() / "libretort_dialect_ping.so", b = dir.path() / "libretort_dialect_pong.so";
    fs::create_symlink(b, a);
    fs::create_symlink(a, b);
    CHECK_THAT(refusal(loop), Contains(loop.string()) && Contains("symbolic links"));
    PluginPath path(dir.path().c_str());
    CHECK_THAT(message_of([] { plugin::load_dialect("loop"); }), Contains(loop.string()));
    CHECK_THAT(message_of([] { plugin::load_dialect("ping"); }), Contains(a.string()));
    // The alias search walks past the loops to the real plugins beside the core.
    CHECK(plugin::load_dialect("postgres")->name() == "postgresql");
    bool listed = false;
    for (const auto& info : plugin::available_plugins()) {
        if (info.path == loop) {
            listed = true;
            CHECK_THAT(info.error, Contains("symbolic links"));
        }
    }
    CHECK(listed);
}

// ---- a dialect refined by its server ------------------------------------------------

TEST_CASE("an engine compiles with the dialect its first connection chose (Dialect::for_server)", "[plugin]") {
    using namespace retort;
    PluginPath path(RETORT_REFINING_PLUGIN_DIR);
    auto engine = create_async_engine("refining://");
    // Before any connection: the plugin's own claims.
    CHECK(engine.capabilities().insert_returning);
    CHECK(engine.dialect().driver_description() == "as loaded");

    MetaData md;
    sql::Table t(md, "refined_t");
    // A key the program chooses: the generic compiler's identity DDL is not SQLite's.
    auto id = t.column<std::int64_t>("id", sql::primary_key(), sql::autoincrement(false));
    auto name = t.column<std::string>("name");
    retort::test::run([&]() -> awaitable<void> {
        auto conn = co_await engine.connect();
        // The server is known: its dialect compiles from now on.
        CHECK(!engine.capabilities().insert_returning);
        CHECK(engine.dialect().driver_description() == "refined");
        co_await conn.run_sync([&](Connection& c) { md.create_all(c); });
        auto insert = sql::insert(t).values({id, 1}, {name, "x"}).returning(id);
        auto error = co_await retort::test::capture<CompileError>(conn.execute(insert));
        REQUIRE(error.has_value());
        CHECK_THAT(error->what(), Contains("RETURNING"));
        // What it can do still runs, on the connection the plugin's dialect opened.
        auto plain = sql::insert(t).values({id, 2}, {name, "y"});
        co_await conn.execute(plain);
        auto count_rows = sql::select(sql::func::count(id));
        auto count = co_await conn.scalar<std::int64_t>(count_rows);
        CHECK(count == 1);
        co_await conn.close();
        co_await engine.dispose();
    });
}
