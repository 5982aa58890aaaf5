// The subcommands of the `retort` tool. Each is a function from its arguments
// (after the subcommand's name) to an exit status: 0 done, 1 failed (the
// reason on stderr), 2 misused (the usage on stderr).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace retort::cli {

using Args = std::vector<std::string>;

struct Command {
    std::string_view name;
    std::string_view synopsis;  ///< "ping URL"
    std::string_view summary;   ///< one line, for `retort --help`
    std::string_view help;      ///< the rest of `retort NAME --help`
    int (*run)(const Args& args);
};

int plugins_command(const Args& args);
int ping_command(const Args& args);
int sql_command(const Args& args);
int conformance_command(const Args& args);
int new_dialect_command(const Args& args);
int compile_command(const Args& args);

/// Runs `body` on an io_context of its own to its end; returns what it returns.
/// An exception it throws is printed as "retort: error: ..." and gives 1.
int run_async(std::function<boost::asio::awaitable<int>()> body);

/// Prints the usage of `command` to stderr and returns 2.
int usage_error(std::string_view command, std::string_view message);

/// True when `args` asks for help (-h, --help).
bool wants_help(const Args& args);
/// Prints `retort NAME --help` to stdout and returns 0.
int print_help(std::string_view command);

}  // namespace retort::cli
