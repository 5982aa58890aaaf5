#include "retort/config.hpp"

#include <toml.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <system_error>

#include "retort/error.hpp"
#include "toml_bounds.hpp"

namespace retort {

namespace {

// std::map rather than toml11's default unordered_map: keys come out sorted, so
// which problem is reported first, and engine_names(), do not vary between runs.
using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;
using TomlTable = TomlValue::table_type;

constexpr std::string_view engine_keys[] = {
    "url", "url_env", "password_env",
    "echo", "hide_parameters", "compiled_cache_size", "stream_batch_rows",
    "pool_size", "max_overflow", "pool_timeout", "pool_recycle", "pool_pre_ping",
    "pool_pre_ping_timeout", "pool_use_lifo",
    "isolation_level",
};

// Durations are capped so that steady_clock::now() + d (nanoseconds in 64 bits,
// about 292 years) can never overflow in the pool. 10^9 s is about 31 years.
constexpr double max_seconds = 1e9;

std::string_view type_name(const TomlValue& v) {
    switch (v.type()) {
        case toml::value_t::boolean: return "a boolean";
        case toml::value_t::integer: return "an integer";
        case toml::value_t::floating: return "a floating-point number";
        case toml::value_t::string: return "a string";
        case toml::value_t::offset_datetime:
        case toml::value_t::local_datetime: return "a date-time";
        case toml::value_t::local_date: return "a date";
        case toml::value_t::local_time: return "a time";
        case toml::value_t::array: return "an array";
        case toml::value_t::table: return "a table";
        case toml::value_t::empty: break;
    }
    return "nothing";
}

/// A key as it is written in a dotted TOML path: bare when it can be, quoted otherwise.
std::string key_part(std::string_view k) {
    bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (bare) return std::string(k);
    std::string q = "\"";
    for (char c : k) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + '"';
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// The line of `v` in its source, or 0 when toml11 has no region for it.
std::size_t line_of(const TomlValue& v) {
    auto loc = v.location();
    return loc.line_str().empty() ? 0 : loc.line();
}

std::optional<std::string> environment(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

// toml11 3.7 formats a syntax error as a headline, then the offending source
// lines quoted with notes underlined beneath them, then hints:
//
//   [error] toml::parse_basic_string: the next token is not a valid string
//    --> app.toml
//      |
//    2 | url = "postgresql://app:s3cret@db/app
//      |       ^--- here
//
// The quoted lines may hold a password, or a secret of the application's own
// tables, so they are never copied: only the headline, the line numbers with
// their notes, and the hints are kept.
std::string describe_toml_error(std::string_view what) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= what.size();) {
        auto end = what.find('\n', start);
        if (end == std::string_view::npos) end = what.size();
        lines.push_back(what.substr(start, end - start));
        start = end + 1;
    }
    auto skip_spaces = [](std::string_view s) {
        while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
        return s;
    };
    std::string headline(skip_spaces(lines.empty() ? std::string_view{} : lines[0]));
    if (headline.rfind("[error]", 0) == 0) headline = std::string(skip_spaces(std::string_view(headline).substr(7)));
    std::vector<std::string> notes, hints;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        if (line.rfind("Hint:", 0) == 0) {
            hints.emplace_back(skip_spaces(line.substr(5)));
            continue;
        }
        // " 12 | <quoted source>": take the number; the note is on the next line.
        std::string_view rest = skip_spaces(line);
        std::size_t digits = 0;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
        if (digits == 0 || rest.substr(digits, 3) != " | ") continue;
        std::string number(rest.substr(0, digits));
        if (i + 1 >= lines.size()) break;
        std::string_view under = skip_spaces(lines[++i]);
        if (under.empty() || under.front() != '|') continue;
        under = skip_spaces(under.substr(1));
        if (under.empty() || (under.front() != '^' && under.front() != '~')) continue;
        while (!under.empty() && (under.front() == '^' || under.front() == '~' || under.front() == '-'))
            under.remove_prefix(1);
        std::string note(skip_spaces(under));
        notes.push_back(note.empty() || note == "here" ? "line " + number : "line " + number + ": " + note);
    }
    std::string out = headline.empty() ? std::string("invalid TOML") : headline;
    if (!notes.empty()) {
        out += " (";
        for (std::size_t i = 0; i < notes.size(); ++i) out += (i ? "; " : "") + notes[i];
        out += ")";
    }
    for (const auto& hint : hints) out += " Hint: " + hint;
    return out;
}

/// Reads one [engines.<name>] table, throwing ConfigError at the first problem.
class EngineReader {
public:
    EngineReader(const std::string& source, std::string path, const TomlValue& table)
        : source_(source), path_(std::move(path)), table_(table) {}

    EngineConfig read() {
        const auto& entries = table_.as_table();
        for (const auto& [key, value] : entries) {
            if (std::find(std::begin(engine_keys), std::end(engine_keys), key) != std::end(engine_keys)) continue;
            std::string problem = "unknown key";
            std::string_view closest;
            std::size_t best = 3;  // suggest only near misses: at most two edits
            for (auto known : engine_keys) {
                if (auto d = edit_distance(key, known); d < best) {
                    best = d;
                    closest = known;
                }
            }
            if (!closest.empty()) problem += " (did you mean '" + std::string(closest) + "'?)";
            problem += "; known: ";
            for (std::size_t i = 0; i < std::size(engine_keys); ++i) problem += (i ? ", " : "") + std::string(engine_keys[i]);
            fail(key, value, problem);
        }

        EngineConfig config{url(), {}};
        EngineOptions& o = config.options;
        if (auto v = find("echo")) o.echo = boolean("echo", *v);
        if (auto v = find("hide_parameters")) o.hide_parameters = boolean("hide_parameters", *v);
        if (auto v = find("compiled_cache_size")) o.compiled_cache_size = count("compiled_cache_size", *v, 0);
        // Zero rows per batch would make no progress.
        if (auto v = find("stream_batch_rows")) o.stream_batch_rows = count("stream_batch_rows", *v, 1);
        if (auto v = find("pool_size")) o.pool_size = count("pool_size", *v, 0);
        if (auto v = find("max_overflow")) o.max_overflow = count("max_overflow", *v, 0);
        if (auto v = find("pool_timeout")) o.pool_timeout = timeout("pool_timeout", *v);
        if (auto v = find("pool_recycle")) o.pool_recycle = whole_seconds("pool_recycle", *v);
        if (auto v = find("pool_pre_ping")) o.pool_pre_ping = boolean("pool_pre_ping", *v);
        if (auto v = find("pool_pre_ping_timeout")) o.pool_pre_ping_timeout = timeout("pool_pre_ping_timeout", *v);
        if (auto v = find("pool_use_lifo")) o.pool_use_lifo = boolean("pool_use_lifo", *v);
        if (auto v = find("isolation_level")) {
            try {
                o.isolation_level = parse_isolation_level(text("isolation_level", *v));
            } catch (const ArgumentError& e) {
                fail("isolation_level", *v, e.what());
            }
        }
        return config;
    }

private:
    [[noreturn]] void fail(std::string_view key, const TomlValue& at, std::string problem) const {
        throw ConfigError(source_, key.empty() ? path_ : path_ + "." + key_part(key), std::move(problem), line_of(at));
    }

    const TomlValue* find(std::string_view key) const {
        const auto& entries = table_.as_table();
        auto it = entries.find(std::string(key));
        return it == entries.end() ? nullptr : &it->second;
    }

    Url url() const {
        const TomlValue* url_key = find("url");
        const TomlValue* url_env_key = find("url_env");
        if (url_key && url_env_key) fail("", *url_env_key, "both url and url_env are set; give exactly one");
        if (!url_key && !url_env_key)
            fail("", table_, "neither url nor url_env is set; give exactly one (url = \"sqlite:///app.db\", or "
                             "url_env = \"NAME_OF_AN_ENVIRONMENT_VARIABLE\")");
        std::optional<Url> parsed;
        if (url_key) {
            // Url::parse never repeats the password in its message.
            try {
                parsed = Url::parse(text("url", *url_key));
            } catch (const ArgumentError& e) {
                fail("url", *url_key, e.what());
            }
        } else {
            std::string variable = variable_name("url_env", *url_env_key);
            auto from_env = environment(variable);
            if (!from_env) fail("url_env", *url_env_key, "environment variable " + variable + " is not set or is empty");
            try {
                parsed = Url::parse(*from_env);
            } catch (const ArgumentError& e) {
                fail("url_env", *url_env_key, "environment variable " + variable + ": " + e.what());
            }
        }
        if (const TomlValue* password_env_key = find("password_env")) {
            std::string variable = variable_name("password_env", *password_env_key);
            // Two sources for one password: which wins would be a guess, and a wrong
            // guess shows up only as a failed login in production.
            if (!parsed->password().empty())
                fail("password_env", *password_env_key,
                     "the URL already has a password; give it in one place only (preferably the environment)");
            auto password = environment(variable);
            if (!password) fail("password_env", *password_env_key, "environment variable " + variable + " is not set or is empty");
            parsed = parsed->with_password(std::move(*password));
        }
        return std::move(*parsed);
    }

    std::string text(std::string_view key, const TomlValue& v) const {
        if (!v.is_string()) fail(key, v, "expected a string, got " + std::string(type_name(v)));
        return v.as_string().str;
    }

    std::string variable_name(std::string_view key, const TomlValue& v) const {
        if (!v.is_string())
            fail(key, v, "expected the name of an environment variable (a string), got " + std::string(type_name(v)));
        const std::string& name = v.as_string().str;
        if (name.empty() || name.find('=') != std::string::npos)
            fail(key, v, "expected the name of an environment variable, got '" + name + "'");
        return name;
    }

    bool boolean(std::string_view key, const TomlValue& v) const {
        if (!v.is_boolean()) fail(key, v, "expected true or false, got " + std::string(type_name(v)));
        return v.as_boolean();
    }

    /// toml11 3.7 reads an integer too large for 64 bits as the largest one (it does
    /// not fail), so the extremes are refused rather than taken at face value.
    static bool saturated(std::int64_t n) {
        return n == std::numeric_limits<std::int64_t>::max() || n == std::numeric_limits<std::int64_t>::min();
    }

    std::size_t count(std::string_view key, const TomlValue& v, std::int64_t minimum) const {
        std::string expected = minimum == 0 ? "a non-negative integer" : "a positive integer";
        if (!v.is_integer()) fail(key, v, "expected " + expected + ", got " + std::string(type_name(v)));
        std::int64_t n = v.as_integer();
        if (saturated(n)) fail(key, v, "expected " + expected + ", got a number out of range");
        if (n < minimum) fail(key, v, "expected " + expected + ", got " + std::to_string(n));
        return static_cast<std::size_t>(n);
    }

    std::chrono::milliseconds timeout(std::string_view key, const TomlValue& v) const {
        const std::string expected = "expected a non-negative number of seconds (integer or float)";
        double seconds = 0;
        if (v.is_integer()) {
            if (saturated(v.as_integer())) fail(key, v, expected + ", got a number out of range");
            seconds = static_cast<double>(v.as_integer());
        } else if (v.is_floating()) {
            seconds = v.as_floating();
            if (std::isnan(seconds)) fail(key, v, expected + ", got nan");
        } else {
            fail(key, v, expected + ", got " + std::string(type_name(v)));
        }
        if (seconds < 0) fail(key, v, expected + ", got a negative number");
        if (seconds > max_seconds) fail(key, v, expected + ", got more than 1e9 seconds");
        return std::chrono::milliseconds(std::llround(seconds * 1000));
    }

    std::chrono::seconds whole_seconds(std::string_view key, const TomlValue& v) const {
        const std::string expected = "expected a non-negative integer number of seconds (0: never)";
        if (!v.is_integer()) fail(key, v, expected + ", got " + std::string(type_name(v)));
        std::int64_t n = v.as_integer();
        if (saturated(n)) fail(key, v, expected + ", got a number out of range");
        if (n < 0) fail(key, v, expected + ", got " + std::to_string(n));
        if (n > static_cast<std::int64_t>(max_seconds)) fail(key, v, expected + ", got more than 1e9 seconds");
        return std::chrono::seconds(n);
    }

    const std::string& source_;
    std::string path_;
    const TomlValue& table_;
};

}  // namespace

AsyncEngine create_async_engine_from_env(std::string_view variable, EngineOptions options) {
    std::string name(variable);
    auto text = environment(name);
    if (!text)
        throw ArgumentError("environment variable " + name +
                            " is not set or is empty; it should hold a database URL such as 'sqlite:///app.db'");
    std::optional<Url> url;
    try {
        url = Url::parse(*text);
    } catch (const ArgumentError& e) {
        throw ArgumentError("environment variable " + name + ": " + e.what());
    }
    return create_async_engine(*url, std::move(options));
}

Config::Config() = default;
Config::Config(const Config&) = default;
Config::Config(Config&&) noexcept = default;
Config& Config::operator=(const Config&) = default;
Config& Config::operator=(Config&&) noexcept = default;
Config::~Config() = default;

Config Config::load(const std::string& file) {
    const std::string& source = file;
    const std::string cannot = "cannot read the configuration file: ";
    std::error_code ec;
    auto status = std::filesystem::status(file, ec);
    if (ec || !std::filesystem::exists(status))
        throw ConfigError(source, "", cannot + (ec ? ec.message() : "it does not exist"));
    if (std::filesystem::is_directory(status)) throw ConfigError(source, "", cannot + "it is a directory");
    errno = 0;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        int error = errno;
        throw ConfigError(source, "", cannot + (error ? std::generic_category().message(error) : "it cannot be opened"));
    }
    // Read one byte past the bound at most: the file may be a pipe or a device
    // that never ends. parse() refuses what is over the bound.
    std::string text(detail::TomlBounds{}.max_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    if (in.bad()) throw ConfigError(source, "", cannot + "read error");
    text.resize(static_cast<std::size_t>(in.gcount()));
    return parse(text, std::move(source));
}

Config Config::parse(std::string_view toml_text, std::string source_name) {
    Config config;
    config.source_ = std::move(source_name);
    const std::string& source = config.source_;

    detail::check_toml_bounds(toml_text, source);
    TomlValue root;
    try {
        std::istringstream in{std::string(toml_text)};
        root = toml::parse<toml::discard_comments, std::map, std::vector>(in, source);
    } catch (const toml::exception& e) {
        // The location's line is where toml11's parser stopped: the bad token's line.
        throw ConfigError(source, "", "TOML syntax error: " + describe_toml_error(e.what()), e.location().line());
    }

    // Retort owns [engines] only: the other tables of the file are the application's.
    const auto& top = root.as_table();
    auto engines = top.find("engines");
    if (engines == top.end())
        throw ConfigError(source, "engines",
                          "missing; define at least one engine, e.g. [engines.default] with url = \"sqlite:///app.db\"");
    if (!engines->second.is_table())
        throw ConfigError(source, "engines",
                          "expected a table of engines ([engines.<name>]), got " + std::string(type_name(engines->second)),
                          line_of(engines->second));
    if (engines->second.as_table().empty())
        throw ConfigError(source, "engines", "no engine defined; add one, e.g. [engines.default]",
                          line_of(engines->second));

    for (const auto& [name, table] : engines->second.as_table()) {
        std::string path = "engines." + key_part(name);
        if (!table.is_table())
            throw ConfigError(source, path, "expected a table ([" + path + "]), got " + std::string(type_name(table)),
                              line_of(table));
        config.engines_.emplace(name, EngineReader(source, path, table).read());
    }
    return config;
}

std::vector<std::string> Config::engine_names() const {
    std::vector<std::string> names;
    for (const auto& entry : engines_) names.push_back(entry.first);
    return names;
}

const EngineConfig& Config::engine(std::string_view name) const {
    auto it = engines_.find(name);
    if (it != engines_.end()) return it->second;
    std::string known;
    for (const auto& entry : engines_) known += (known.empty() ? "" : ", ") + entry.first;
    throw ConfigError(source_, "engines." + key_part(name), "no such engine; known: " + known);
}

AsyncEngine Config::create_engine(std::string_view name) const {
    const EngineConfig& config = engine(name);
    return create_async_engine(config.url, config.options);
}

}  // namespace retort
