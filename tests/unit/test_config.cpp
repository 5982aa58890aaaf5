// Choosing the backend by configuration: Config (TOML) and create_async_engine_from_env.
// No server is needed: the engines are created on sqlite:// or only parsed.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "retort/config.hpp"
#include "retort/error.hpp"
#include "support/test_support.hpp"

using retort::ArgumentError;
using retort::Config;
using retort::ConfigError;
using retort::IsolationLevel;
using namespace std::chrono_literals;

namespace {

// Secrets planted in the tests: no message may ever contain one.
constexpr const char* url_password = "urlPa55word";
constexpr const char* env_password = "envPa55word";

/// Sets an environment variable for the scope of a test; restores the previous state after.
class ScopedEnv {
public:
    ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        if (value) ::setenv(name_.c_str(), value->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    ~ScopedEnv() {
        if (old_) ::setenv(name_.c_str(), old_->c_str(), 1);
        else ::unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

/// The ConfigError that parsing `text` throws; fails the test if it throws none.
ConfigError parse_error(const std::string& text, std::string source = "app.toml") {
    try {
        Config::parse(text, std::move(source));
    } catch (const ConfigError& e) {
        return e;
    }
    FAIL("no ConfigError for:\n" << text);
    throw std::logic_error("unreachable");
}

void check_no_secret(const std::exception& e) {
    std::string message = e.what();
    INFO(message);
    CHECK(message.find(url_password) == std::string::npos);
    CHECK(message.find(env_password) == std::string::npos);
}

/// A file in the temporary directory, removed when the test ends.
class TempFile {
public:
    explicit TempFile(const std::string& text) {
        static int counter = 0;
        path_ = std::filesystem::temp_directory_path() /
                ("retort-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".toml");
        std::ofstream(path_) << text;
    }
    ~TempFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

const char* full_config = R"(
# An application's own settings live beside Retort's; Retort reads [engines] only.
[server]
port = 8080

[engines.default]
url = "postgresql://app@db.internal:5433/app?sslmode=require"
pool_size = 10
max_overflow = 5
pool_timeout = 2.5
pool_recycle = 3600
pool_pre_ping = true
pool_pre_ping_timeout = 1.5
pool_use_lifo = true
isolation_level = "read committed"
echo = true
hide_parameters = true
compiled_cache_size = 64
stream_batch_rows = 250

[engines.replica]
url = "mysql://reader@replica.internal/app"
pool_timeout = 7
isolation_level = "AUTOCOMMIT"

[engines."local cache"]
url = "sqlite:///cache.db"
)";

}  // namespace

// ---------------------------------------------------------------- valid configurations

TEST_CASE("Config: several engines with every option kind", "[config]") {
    auto config = Config::parse(full_config, "app.toml");
    CHECK(config.source() == "app.toml");
    CHECK(config.engine_names() == std::vector<std::string>{"default", "local cache", "replica"});

    const auto& d = config.engine();  // "default"
    CHECK(d.url.dialect() == "postgresql");
    CHECK(d.url.username() == "app");
    CHECK(d.url.host() == "db.internal");
    CHECK(d.url.port() == 5433);
    CHECK(d.url.database() == "app");
    CHECK(d.url.option("sslmode") == "require");
    CHECK(d.options.pool_size == 10);
    CHECK(d.options.max_overflow == 5);
    CHECK(d.options.pool_timeout == 2500ms);
    CHECK(d.options.pool_recycle == 3600s);
    CHECK(d.options.pool_pre_ping);
    CHECK(d.options.pool_pre_ping_timeout == 1500ms);
    CHECK(d.options.pool_use_lifo);
    CHECK(d.options.isolation_level == IsolationLevel::read_committed);
    CHECK(d.options.echo);
    CHECK(d.options.hide_parameters);
    CHECK(d.options.compiled_cache_size == 64);
    CHECK(d.options.stream_batch_rows == 250);

    // What a table leaves out keeps EngineOptions' defaults.
    const auto& r = config.engine("replica");
    const retort::EngineOptions defaults;
    CHECK(r.url.dialect() == "mysql");
    CHECK(r.url.host() == "replica.internal");
    CHECK(r.options.pool_timeout == 7000ms);  // an integer number of seconds
    CHECK(r.options.isolation_level == IsolationLevel::autocommit);
    CHECK(r.options.pool_size == defaults.pool_size);
    CHECK(r.options.max_overflow == defaults.max_overflow);
    CHECK(r.options.pool_recycle == defaults.pool_recycle);
    CHECK(r.options.pool_pre_ping == defaults.pool_pre_ping);
    CHECK(r.options.pool_pre_ping_timeout == defaults.pool_pre_ping_timeout);
    CHECK(r.options.echo == defaults.echo);
    CHECK(r.options.compiled_cache_size == defaults.compiled_cache_size);
    CHECK_FALSE(r.options.isolation_level == std::nullopt);

    CHECK(config.engine("local cache").url.database() == "cache.db");
    CHECK_FALSE(config.engine("local cache").options.isolation_level.has_value());
}

TEST_CASE("Config: dotted keys and inline tables are the same configuration", "[config]") {
    auto config = Config::parse(R"(
engines.default.url = "sqlite://"
engines.default.pool_size = 3
engines.other = { url = "sqlite:///other.db", echo = true }
)");
    CHECK(config.engine().options.pool_size == 3);
    CHECK(config.engine("other").options.echo);
    CHECK(config.engine("other").url.database() == "other.db");
}

TEST_CASE("Config: url_env takes the URL from the environment", "[config]") {
    ScopedEnv url("RETORT_TEST_CFG_URL", "postgresql://svc@env-host:6543/envdb");
    auto config = Config::parse(R"(
[engines.default]
url_env = "RETORT_TEST_CFG_URL"
pool_size = 2
)");
    const auto& e = config.engine();
    CHECK(e.url.host() == "env-host");
    CHECK(e.url.port() == 6543);
    CHECK(e.url.database() == "envdb");
    CHECK(e.options.pool_size == 2);
}

TEST_CASE("Config: password_env puts the password into the URL, never into its text form", "[config]") {
    ScopedEnv password("RETORT_TEST_CFG_PASSWORD", env_password);
    auto config = Config::parse(R"(
[engines.default]
url = "postgresql://app@db/app"
password_env = "RETORT_TEST_CFG_PASSWORD"
)");
    const auto& url = config.engine().url;
    CHECK(url.password() == env_password);
    CHECK(url.username() == "app");
    CHECK(url.to_string() == "postgresql://app:***@db/app");
    // The rendered form for a driver carries it, percent-encoded, and parses back.
    CHECK(retort::Url::parse(url.render(false)).password() == env_password);
}

TEST_CASE("Config: password_env works with url_env too", "[config]") {
    ScopedEnv url("RETORT_TEST_CFG_URL", "postgresql://app@db/app");
    ScopedEnv password("RETORT_TEST_CFG_PASSWORD", "p@ss:w/rd");
    auto config = Config::parse(R"(
[engines.default]
url_env = "RETORT_TEST_CFG_URL"
password_env = "RETORT_TEST_CFG_PASSWORD"
)");
    CHECK(config.engine().url.password() == "p@ss:w/rd");
    CHECK(retort::Url::parse(config.engine().url.render(false)).password() == "p@ss:w/rd");
}

TEST_CASE("Url::with_password replaces or adds the password", "[config][url]") {
    auto u = retort::Url::parse("postgresql://scott:tiger@h/db").with_password("lion");
    CHECK(u.password() == "lion");
    CHECK(u.username() == "scott");
    CHECK(u.to_string() == "postgresql://scott:***@h/db");
    auto v = retort::Url::parse("postgresql://scott@h/db").with_password("x y");
    CHECK(v.render(false) == "postgresql://scott:x%20y@h/db");
}

TEST_CASE("Config: load reads a real file", "[config]") {
    TempFile file(full_config);
    auto config = Config::load(file.path());
    CHECK(config.source() == file.path().string());
    CHECK(config.engine_names().size() == 3);
    CHECK(config.engine().options.pool_size == 10);
}

TEST_CASE("Config: create_engine gives an engine with the configured URL and options", "[config]") {
    // A file, not sqlite://: an in-memory database keeps a single connection
    // whatever the options say. Nothing connects, so no file is made.
    auto config = Config::parse(R"(
[engines.default]
url = "sqlite:///retort-config-test.db"
pool_size = 1
max_overflow = 0
pool_timeout = 0.25
pool_recycle = 60
pool_pre_ping = true
echo = false
hide_parameters = true
compiled_cache_size = 7
stream_batch_rows = 3
isolation_level = "SERIALIZABLE"
)");
    auto engine = config.create_engine();
    CHECK(engine.url().dialect() == "sqlite");
    const auto& o = engine.options();
    CHECK(o.pool_size == 1);
    CHECK(o.max_overflow == 0);
    CHECK(o.pool_timeout == 250ms);
    CHECK(o.pool_recycle == 60s);
    CHECK(o.pool_pre_ping);
    CHECK(o.hide_parameters);
    CHECK(o.compiled_cache_size == 7);
    CHECK(o.stream_batch_rows == 3);
    CHECK(o.isolation_level == IsolationLevel::serializable);
}

TEST_CASE("create_async_engine_from_env reads the URL from the named variable", "[config]") {
    {
        ScopedEnv url("RETORT_TEST_ENGINE_URL", "sqlite://");
        auto engine = retort::create_async_engine_from_env("RETORT_TEST_ENGINE_URL", {.stream_batch_rows = 9});
        CHECK(engine.url().dialect() == "sqlite");
        CHECK(engine.options().stream_batch_rows == 9);
        // The engine really works: it connects.
        retort::test::run([&]() -> boost::asio::awaitable<void> {
            auto conn = co_await engine.connect();
            co_await conn.close();
        });
    }
    {
        ScopedEnv unset("RETORT_TEST_ENGINE_URL", std::nullopt);
        CHECK_THROWS_AS(retort::create_async_engine_from_env("RETORT_TEST_ENGINE_URL"), ArgumentError);
        CHECK_THROWS_WITH(retort::create_async_engine_from_env("RETORT_TEST_ENGINE_URL"),
                          Catch::Contains("RETORT_TEST_ENGINE_URL") && Catch::Contains("not set"));
    }
    {
        ScopedEnv empty("RETORT_TEST_ENGINE_URL", "");
        CHECK_THROWS_WITH(retort::create_async_engine_from_env("RETORT_TEST_ENGINE_URL"),
                          Catch::Contains("RETORT_TEST_ENGINE_URL"));
    }
    {
        ScopedEnv bad("RETORT_TEST_ENGINE_URL", std::string("postgresql://u:") + url_password + "@h:99999/db");
        try {
            retort::create_async_engine_from_env("RETORT_TEST_ENGINE_URL");
            FAIL("no exception");
        } catch (const ArgumentError& e) {
            CHECK_THAT(e.what(), Catch::Contains("RETORT_TEST_ENGINE_URL") && Catch::Contains("port"));
            check_no_secret(e);
        }
    }
}

// ---------------------------------------------------------------- errors

TEST_CASE("Config errors: a TOML syntax error names the file and line, and never quotes the line", "[config][errors]") {
    // The unterminated string holds a password: toml11 itself would quote the line.
    auto e = parse_error(std::string("[engines.default]\nurl = \"postgresql://u:") + url_password + "@h/db\n");
    INFO(e.what());
    CHECK(e.source() == "app.toml");
    CHECK(e.line() == 2);
    CHECK_THAT(e.what(), Catch::StartsWith("app.toml:2: TOML syntax error: ") && Catch::Contains("string"));
    check_no_secret(e);

    // A key defined twice: toml11 quotes both lines; we keep only their numbers and notes.
    auto twice = parse_error(std::string("[engines.default]\nurl = \"postgresql://u:") + url_password +
                             "@h/db\"\nurl = \"sqlite://\"\n");
    INFO(twice.what());
    CHECK_THAT(twice.what(), Catch::Contains("app.toml:") && Catch::Contains("already exists") &&
                                 Catch::Contains("line 2") && Catch::Contains("line 3"));
    check_no_secret(twice);

    // An error of the application's own tables is still a syntax error of the file.
    auto other = parse_error("[server]\nport = = 1\n[engines.default]\nurl = \"sqlite://\"\n", "site.toml");
    CHECK(other.line() == 2);
    CHECK_THAT(other.what(), Catch::StartsWith("site.toml:2: TOML syntax error"));
}

TEST_CASE("Config errors: an unknown key names file, line, dotted key, the near miss and the known keys",
          "[config][errors]") {
    auto e = parse_error("[engines.default]\nurl = \"sqlite://\"\npool_szie = 10\n");
    CHECK(e.key() == "engines.default.pool_szie");
    CHECK(e.line() == 3);
    CHECK_THAT(e.what(), Catch::StartsWith("app.toml:3: engines.default.pool_szie: unknown key") &&
                             Catch::Contains("did you mean 'pool_size'?") &&
                             Catch::Contains("known: url, url_env, password_env") && Catch::Contains("pool_use_lifo"));
    // No suggestion for something far from every key.
    auto far = parse_error("[engines.default]\nurl = \"sqlite://\"\ncolour = \"blue\"\n");
    CHECK_THAT(far.what(), Catch::Contains("engines.default.colour: unknown key; known: "));
    // A key in a quoted engine name is shown quoted.
    auto quoted = parse_error("[engines.\"my db\"]\nurl = \"sqlite://\"\nechoo = true\n");
    CHECK(quoted.key() == "engines.\"my db\".echoo");
}

TEST_CASE("Config errors: wrong types name the key, what was expected and what was found", "[config][errors]") {
    auto check = [](const std::string& line, const std::string& key, const std::string& expected) {
        auto e = parse_error("[engines.default]\nurl = \"sqlite://\"\n" + line + "\n");
        INFO(e.what());
        CHECK(e.key() == "engines.default." + key);
        CHECK(e.line() == 3);
        CHECK_THAT(e.what(), Catch::StartsWith("app.toml:3: engines.default." + key + ": ") &&
                                 Catch::Contains(expected));
    };
    check("pool_size = \"ten\"", "pool_size", "expected a non-negative integer, got a string");
    check("max_overflow = 1.5", "max_overflow", "expected a non-negative integer, got a floating-point number");
    check("compiled_cache_size = true", "compiled_cache_size", "expected a non-negative integer, got a boolean");
    check("stream_batch_rows = [1]", "stream_batch_rows", "expected a positive integer, got an array");
    check("pool_timeout = \"30s\"", "pool_timeout", "expected a non-negative number of seconds");
    check("pool_recycle = 1.5", "pool_recycle", "integer number of seconds (0: never), got a floating-point number");
    check("pool_pre_ping = \"yes\"", "pool_pre_ping", "expected true or false, got a string");
    check("pool_use_lifo = 1", "pool_use_lifo", "expected true or false, got an integer");
    check("echo = 1979-05-27", "echo", "expected true or false, got a date");
    check("hide_parameters = {}", "hide_parameters", "expected true or false, got a table");
    check("isolation_level = 2", "isolation_level", "expected a string, got an integer");
}

TEST_CASE("Config errors: numbers out of range", "[config][errors]") {
    auto check = [](const std::string& line, const std::string& key, const std::string& expected) {
        auto e = parse_error("[engines.default]\nurl = \"sqlite://\"\n" + line + "\n");
        INFO(e.what());
        CHECK(e.key() == "engines.default." + key);
        CHECK_THAT(e.what(), Catch::Contains(expected));
    };
    check("pool_size = -1", "pool_size", "expected a non-negative integer, got -1");
    check("max_overflow = -5", "max_overflow", "got -5");
    check("stream_batch_rows = 0", "stream_batch_rows", "expected a positive integer, got 0");
    check("pool_timeout = -0.5", "pool_timeout", "got a negative number");
    check("pool_timeout = nan", "pool_timeout", "got nan");
    check("pool_timeout = inf", "pool_timeout", "more than 1e9 seconds");
    check("pool_recycle = -1", "pool_recycle", "got -1");
    // toml11 reads an integer beyond 64 bits as INT64_MAX instead of failing.
    check("pool_size = 99999999999999999999", "pool_size", "out of range");
    // Zero is meaningful where it is allowed.
    auto zero = Config::parse("[engines.default]\nurl = \"sqlite://\"\nmax_overflow = 0\npool_timeout = 0\n"
                              "pool_recycle = 0\ncompiled_cache_size = 0\n");
    CHECK(zero.engine().options.max_overflow == 0);
    CHECK(zero.engine().options.pool_timeout == 0ms);
    CHECK(zero.engine().options.compiled_cache_size == 0);
}

TEST_CASE("Config errors: a bad isolation level names the key and the known levels", "[config][errors]") {
    auto e = parse_error("[engines.default]\nurl = \"sqlite://\"\nisolation_level = \"READ SOMETIMES\"\n");
    CHECK(e.key() == "engines.default.isolation_level");
    CHECK_THAT(e.what(), Catch::StartsWith("app.toml:3: engines.default.isolation_level: ") &&
                             Catch::Contains("READ SOMETIMES") && Catch::Contains("READ COMMITTED") &&
                             Catch::Contains("AUTOCOMMIT"));
}

TEST_CASE("Config errors: exactly one of url and url_env", "[config][errors]") {
    ScopedEnv url("RETORT_TEST_CFG_URL", "sqlite://");
    auto both = parse_error("[engines.main]\nurl = \"sqlite://\"\nurl_env = \"RETORT_TEST_CFG_URL\"\n");
    CHECK(both.key() == "engines.main");
    CHECK_THAT(both.what(), Catch::Contains("app.toml") && Catch::Contains("both url and url_env"));

    auto neither = parse_error("[engines.main]\npool_size = 3\n");
    CHECK(neither.key() == "engines.main");
    CHECK(neither.line() == 1);
    CHECK_THAT(neither.what(), Catch::StartsWith("app.toml:1: engines.main: neither url nor url_env"));
}

TEST_CASE("Config errors: a missing environment variable names the key and the variable", "[config][errors]") {
    ScopedEnv unset_url("RETORT_TEST_CFG_MISSING", std::nullopt);
    auto e = parse_error("[engines.default]\nurl_env = \"RETORT_TEST_CFG_MISSING\"\n");
    CHECK(e.key() == "engines.default.url_env");
    CHECK_THAT(e.what(), Catch::StartsWith("app.toml:2: engines.default.url_env: ") &&
                             Catch::Contains("RETORT_TEST_CFG_MISSING") && Catch::Contains("not set"));

    ScopedEnv empty("RETORT_TEST_CFG_EMPTY", "");
    auto p = parse_error("[engines.default]\nurl = \"postgresql://app@h/db\"\npassword_env = \"RETORT_TEST_CFG_EMPTY\"\n");
    CHECK(p.key() == "engines.default.password_env");
    CHECK_THAT(p.what(), Catch::Contains("RETORT_TEST_CFG_EMPTY") && Catch::Contains("not set or is empty"));

    auto blank = parse_error("[engines.default]\nurl_env = \"\"\n");
    CHECK(blank.key() == "engines.default.url_env");
}

TEST_CASE("Config errors: a password in both the URL and password_env is refused without showing either",
          "[config][errors]") {
    ScopedEnv password("RETORT_TEST_CFG_PASSWORD", env_password);
    auto e = parse_error(std::string("[engines.default]\nurl = \"postgresql://app:") + url_password +
                         "@h/db\"\npassword_env = \"RETORT_TEST_CFG_PASSWORD\"\n");
    CHECK(e.key() == "engines.default.password_env");
    CHECK_THAT(e.what(), Catch::Contains("already has a password"));
    check_no_secret(e);
}

TEST_CASE("Config errors: a bad URL names the key, and never its password", "[config][errors]") {
    auto e = parse_error(std::string("[engines.default]\nurl = \"postgresql://app:") + url_password + "@h:99999/db\"\n");
    CHECK(e.key() == "engines.default.url");
    CHECK(e.line() == 2);
    CHECK_THAT(e.what(), Catch::StartsWith("app.toml:2: engines.default.url: invalid database URL") &&
                             Catch::Contains("port"));
    check_no_secret(e);

    auto scheme = parse_error("[engines.default]\nurl = \"db.internal/app\"\n");
    CHECK_THAT(scheme.what(), Catch::Contains("engines.default.url: invalid database URL"));

    ScopedEnv bad("RETORT_TEST_CFG_URL", std::string("postgresql://app:") + url_password + "%zz@h/db");
    auto from_env = parse_error("[engines.default]\nurl_env = \"RETORT_TEST_CFG_URL\"\n");
    CHECK(from_env.key() == "engines.default.url_env");
    CHECK_THAT(from_env.what(), Catch::Contains("RETORT_TEST_CFG_URL") && Catch::Contains("percent"));
    check_no_secret(from_env);
}

TEST_CASE("Config errors: the [engines] table missing, empty or malformed", "[config][errors]") {
    auto missing = parse_error("[engine.default]\nurl = \"sqlite://\"\n");
    CHECK(missing.key() == "engines");
    CHECK_THAT(missing.what(), Catch::StartsWith("app.toml: engines: missing"));

    CHECK_THAT(parse_error("[engines]\n").what(), Catch::Contains("engines: no engine defined"));
    CHECK_THAT(parse_error("engines = 3\n").what(), Catch::Contains("engines: expected a table of engines"));

    auto not_table = parse_error("[engines]\ndefault = \"sqlite://\"\n");
    CHECK(not_table.key() == "engines.default");
    CHECK(not_table.line() == 2);
    CHECK_THAT(not_table.what(), Catch::Contains("expected a table ([engines.default]), got a string"));
}

TEST_CASE("Config errors: an unknown engine name lists the known ones", "[config][errors]") {
    auto config = Config::parse(full_config, "app.toml");
    CHECK_THROWS_AS(config.engine("replica2"), ConfigError);
    CHECK_THROWS_AS(config.create_engine("replica2"), ArgumentError);  // ConfigError is an ArgumentError
    CHECK_THROWS_WITH(config.engine("replica2"),
                      Catch::StartsWith("app.toml: engines.replica2: no such engine") &&
                          Catch::EndsWith("known: default, local cache, replica"));
    auto only_replica = Config::parse("[engines.replica]\nurl = \"sqlite://\"\n", "x.toml");
    CHECK_THROWS_WITH(only_replica.engine(), Catch::Contains("engines.default") && Catch::Contains("known: replica"));
}

TEST_CASE("Config errors: load of a missing file or a directory names the path", "[config][errors]") {
    auto path = std::filesystem::temp_directory_path() / "retort-no-such-dir" / "app.toml";
    try {
        Config::load(path);
        FAIL("no exception");
    } catch (const ConfigError& e) {
        CHECK(e.source() == path.string());
        CHECK_THAT(e.what(), Catch::StartsWith(path.string() + ": cannot read the configuration file: ") &&
                                 Catch::Contains("No such file"));
    }
    auto dir = std::filesystem::temp_directory_path();
    CHECK_THROWS_WITH(Config::load(dir), Catch::StartsWith(dir.string()) && Catch::Contains("directory"));
}

TEST_CASE("Config errors: load reports problems against the file's own name", "[config][errors]") {
    TempFile file("[engines.default]\nurl = \"sqlite://\"\npool_size = -2\n");
    try {
        Config::load(file.path());
        FAIL("no exception");
    } catch (const ConfigError& e) {
        CHECK(e.source() == file.path().string());
        CHECK_THAT(e.what(), Catch::StartsWith(file.path().string() + ":3: engines.default.pool_size: "));
    }
}

namespace {
std::string nested(std::size_t depth, const std::string& open, const std::string& close) {
    std::string s = "[engines.default]\nurl = \"sqlite://\"\n[app]\nx = ";
    for (std::size_t i = 0; i < depth; ++i) s += open;
    s += "1";
    for (std::size_t i = 0; i < depth; ++i) s += close;
    return s + "\n";
}

std::string inline_table(std::size_t bytes) {
    std::string s = "{";
    for (int i = 0; s.size() < bytes; ++i) s += (i ? ", k" : "k") + std::to_string(i) + " = " + std::to_string(i);
    return s + "}";
}
}  // namespace

TEST_CASE("Config errors: input nested too deep is refused unparsed, not a stack overflow", "[config][errors]") {
    // 7,000 levels crashed toml11's recursive parser.
    for (auto [open, close] : {std::pair<std::string, std::string>{"[", "]"}, {"{a = ", "}"}}) {
        try {
            Config::parse(nested(7000, open, close), "deep.toml");
            FAIL("no exception");
        } catch (const ConfigError& e) {
            CHECK_THAT(e.what(), Catch::StartsWith("deep.toml:4: ") && Catch::Contains("nested more than 32"));
        }
    }
    // 32 levels are fine.
    CHECK(Config::parse(nested(32, "[", "]")).engine_names() == std::vector<std::string>{"default"});
}

TEST_CASE("Config errors: large inline tables and large files are refused before they can take long", "[config][errors]") {
    // Three 200 KB inline tables took toml11 more than 10 s.
    std::string text = "[engines.default]\nurl = \"sqlite://\"\n[app]\n";
    for (int i = 0; i < 3; ++i) text += "t" + std::to_string(i) + " = " + inline_table(200'000) + "\n";
    auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(Config::parse(text, "big.toml"), ConfigError);
    std::string one = "[engines.default]\nurl = \"sqlite://\"\n[app]\nt = " + inline_table(100'000) + "\n";
    CHECK_THROWS_WITH(Config::parse(one, "big.toml"), Catch::StartsWith("big.toml:4: ") && Catch::Contains("longer than 8192 bytes"));
    std::string lines = "[engines.default]\nurl = \"sqlite://\"\n[app]\n";
    while (lines.size() <= 256 * 1024) lines += "key" + std::to_string(lines.size()) + " = 1\n";
    CHECK_THROWS_WITH(Config::parse(lines), Catch::Contains("larger than 256 KiB"));
    // A device that never ends is read no further than the bound.
    CHECK_THROWS_WITH(Config::load("/dev/zero"), Catch::StartsWith("/dev/zero: ") && Catch::Contains("larger than"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // generous: the point is "not minutes"

    // Brackets inside strings and comments are not values; table headers are not nesting.
    std::string fine = "[engines.default] # [[[[ {{{{\n"
                       "url = \"sqlite://\"  # ]]]]\n"
                       "[app]\n"
                       "a = \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n"
                       "b = '{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'\n"
                       "c = \"\"\"\n[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"\"\"\"\n"
                       "d = '''\n{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{'''\n"
                       "e = [[1, 2], [3, [4]]]\n"
                       "g = {x = [3], y = {z = 1}}\n"
                       "[[app.list]]\n"
                       "f = " + inline_table(8000) + "\n";
    CHECK(Config::parse(fine).engine_names() == std::vector<std::string>{"default"});
}

TEST_CASE("Config errors: a file that is not UTF-8 is refused unparsed, naming the line", "[config][errors]") {
    // toml11 3.7 read past its buffer on this one (tools/fuzz, kept in tests/fuzz/regressions/config).
    std::string text = "[engines.default]\nurl = \"sqlite://\"\n[app]\nk = 'caf\xe9'\n";
    CHECK_THROWS_WITH(Config::parse(text, "latin1.toml"), Catch::StartsWith("latin1.toml:4: ") && Catch::Contains("not valid UTF-8"));
}
