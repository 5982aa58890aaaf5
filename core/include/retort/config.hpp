// Choosing the database by configuration rather than in code: an engine from an
// environment variable, or named engines, with their pool settings, from a TOML file.
//
//   # app.toml: Retort reads the [engines] table and leaves every other table to the application.
//   [engines.default]
//   url = "postgresql://app@db.internal/app"   # or: url_env = "APP_DATABASE_URL"
//   password_env = "APP_DB_PASSWORD"            # the password comes from the environment, not the file
//   pool_size = 10
//   pool_timeout = 30.0                         # seconds
//   isolation_level = "READ COMMITTED"
//
//   [engines.replica]
//   url = "postgresql://app@replica.internal/app"
//
//   auto config = retort::Config::load("app.toml");
//   auto engine = config.create_engine();            // "default"
//   auto replica = config.create_engine("replica");
//
// The keys of an engine table are EngineOptions' (SQLAlchemy's names): echo, hide_parameters,
// compiled_cache_size, stream_batch_rows, pool_size, max_overflow, pool_timeout (seconds,
// integer or float), pool_recycle (whole seconds; 0: never), pool_pre_ping, pool_use_lifo,
// isolation_level; plus exactly one of url / url_env, and optionally password_env. Any other
// key is an error, so that a misspelt setting is never silently ignored.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "retort/engine/engine.hpp"
#include "retort/url.hpp"

namespace retort {

/// Creates an engine for the URL held by the environment variable `variable`.
/// Throws ArgumentError naming the variable when it is unset, empty or not a valid
/// URL (the message never contains the URL's password), and PluginError as
/// create_async_engine does.
AsyncEngine create_async_engine_from_env(std::string_view variable, EngineOptions options = {});

/// One engine of a Config: where it connects and how.
struct EngineConfig {
    Url url;  ///< with the password from password_env, if the file names one
    EngineOptions options;
};

/// The engines a TOML configuration names. Everything is checked, and every
/// environment variable it names read, when it is loaded: a Config that exists
/// is complete. Immutable once loaded; safe to share between threads.
class Config {
public:
    /// Reads and checks the TOML file `file`. Throws ConfigError naming the file,
    /// the dotted key and the problem (and the line when known); the file not
    /// being readable is a ConfigError too.
    static Config load(const std::string& file);
    /// As load(), from text; `source_name` stands for the file name in messages.
    static Config parse(std::string_view toml_text, std::string source_name = "<config>");

    /// The names of the engines, sorted.
    std::vector<std::string> engine_names() const;
    /// The engine `name`; throws ConfigError listing the known names when there is none.
    const EngineConfig& engine(std::string_view name = "default") const;
    /// Creates the engine `name` (create_async_engine with its URL and options).
    /// To add what a file cannot hold, such as EngineOptions::on_statement, copy
    /// engine(name), adjust it and call create_async_engine yourself.
    AsyncEngine create_engine(std::string_view name = "default") const;

    /// The file name, or the source_name given to parse().
    const std::string& source() const { return source_; }

    // Out of line, so that an application does not compile the map's code.
    Config(const Config&);
    Config(Config&&) noexcept;
    Config& operator=(const Config&);
    Config& operator=(Config&&) noexcept;
    ~Config();

private:
    Config();

    std::string source_;
    std::map<std::string, EngineConfig, std::less<>> engines_;
};

}  // namespace retort
