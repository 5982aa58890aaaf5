// retort: the command-line tool. `retort --help` lists the subcommands;
// `retort NAME --help` explains one.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <iostream>

#include "command.hpp"

namespace retort::cli {
namespace {

constexpr Command commands[] = {
    {"plugins", "plugins", "list the dialect plugins this Retort finds, and why any file was refused",
     "Lists the directories searched for dialect plugins, then each plugin file found:\n"
     "its dialect, version, interface version, path, URL schemes, driver and\n"
     "capabilities, or the reason the loader refused it. Exits 1 when a file was refused.\n",
     plugins_command},
    {"ping", "ping URL [--count N]", "connect to a database, report its server and round-trip time",
     "Connects to URL, then runs SELECT 1 N times (3 by default) and prints the\n"
     "server's version, its session id, the time to connect and the fastest and\n"
     "median round trip. The password is never printed.\n",
     ping_command},
    {"sql", "sql URL STATEMENT [--autocommit]", "run one SQL statement and print its rows as a table",
     "Runs STATEMENT, sent as written with no parameters, in a transaction that\n"
     "is committed, and prints the rows it returns as a table (NULL for null),\n"
     "or the number of rows it changed. --autocommit runs it outside any\n"
     "transaction, for what a database refuses inside one (VACUUM, CREATE INDEX\n"
     "CONCURRENTLY, CREATE DATABASE).\n",
     sql_command},
    {"compile", "compile DIALECT [--plugin FILE] [NAME]", "show the SQL a dialect writes for a standard set of statements",
     "Compiles the conformance kit's golden corpus (queries, joins, aggregates,\n"
     "DML with RETURNING, upserts, CREATE/DROP for a schema with every column\n"
     "option) with DIALECT, or with the plugin FILE, and prints each statement's\n"
     "SQL as it would be sent. NAME shows only the statements whose name holds it.\n"
     "No database is needed.\n",
     compile_command},
    {"conformance", "conformance URL [--plugin FILE] [--level smoke|full] [--terminate-session-sql SQL] [--timeout S] [--list] [FILTER...]",
     "run the dialect conformance kit against a database",
     "Runs the conformance kit's cases against the dialect serving URL and its\n"
     "database, each case in a process of its own, and prints one line per case:\n"
     "pass, skip (naming the capability the dialect lacks) or FAIL (with its output).\n"
     "The cases create and drop tables of their own: use a scratch database.\n"
     "\n"
     "  --plugin FILE    load the dialect from FILE (libretort_dialect_NAME.so) first\n"
     "  --level smoke    only the cases tagged [smoke]: the first milestone of a new dialect\n"
     "  --terminate-session-sql SQL\n"
     "                   a statement that ends another session ({id} stands for its\n"
     "                   session id), for the pool's invalidation cases; without it they skip\n"
     "  --timeout S      seconds one case may take (300); it is then killed\n"
     "  --list           list the cases (filtered) and run nothing\n"
     "  FILTER           Catch test specs: case names, wildcards (*), [tags];\n"
     "                   a case must match every FILTER given\n"
     "\n"
     "Exits 1 when a case failed.\n",
     conformance_command},
    {"new-dialect", "new-dialect NAME DIR", "start a dialect plugin project from the template",
     "Creates DIR with a dialect plugin project named NAME (its URL scheme): a copy\n"
     "of the template installed with Retort (the minisql dialect of\n"
     "examples/dialect-plugin, SQLite through its blocking API on a worker thread)\n"
     "with minisql renamed NAME. It builds against the installed Retort with\n"
     "find_package(Retort) and passes the conformance kit as it is; then replace\n"
     "its driver calls with your database's. DIR must not exist or be empty.\n",
     new_dialect_command},
};

const Command* find_command(std::string_view name) {
    for (const auto& c : commands)
        if (c.name == name) return &c;
    return nullptr;
}

void print_overview(std::ostream& out) {
    out << "usage: retort COMMAND [ARGS...]\n\ncommands:\n";
    for (const auto& c : commands) {
        std::string synopsis(c.synopsis);
        synopsis = synopsis.substr(0, synopsis.find(" [--"));  // the options are in COMMAND --help
        out << "  " << synopsis << std::string(synopsis.size() < 26 ? 26 - synopsis.size() : 1, ' ') << c.summary
            << "\n";
    }
    out << "\n`retort COMMAND --help` tells more. Exit status: 0 done, 1 failed, 2 misused.\n";
}

}  // namespace

bool wants_help(const Args& args) {
    for (const auto& a : args)
        if (a == "-h" || a == "--help") return true;
    return false;
}

int print_help(std::string_view name) {
    const Command* c = find_command(name);
    std::cout << "usage: retort " << c->synopsis << "\n\n" << c->help;
    return 0;
}

int usage_error(std::string_view name, std::string_view message) {
    const Command* c = find_command(name);
    std::cerr << "retort " << name << ": " << message << "\nusage: retort " << c->synopsis << "\n";
    return 2;
}

int run_async(std::function<boost::asio::awaitable<int>()> body) {
    try {
        boost::asio::io_context io;
        int status = 1;
        std::exception_ptr failure;
        boost::asio::co_spawn(io, body(), [&](std::exception_ptr e, int s) {
            failure = e;
            status = s;
        });
        io.run();
        if (failure) std::rethrow_exception(failure);
        return status;
    } catch (const std::exception& e) {
        std::cerr << "retort: error: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace retort::cli

int main(int argc, char** argv) {
    using namespace retort::cli;
    Args args(argv + 1, argv + argc);
    if (args.empty()) {
        print_overview(std::cerr);
        return 2;
    }
    if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        print_overview(std::cout);
        return 0;
    }
    const Command* c = find_command(args[0]);
    if (!c) {
        std::cerr << "retort: unknown command '" << args[0] << "'\n\n";
        print_overview(std::cerr);
        return 2;
    }
    Args rest(args.begin() + 1, args.end());
    if (wants_help(rest)) return print_help(c->name);
    try {
        return c->run(rest);
    } catch (const std::exception& e) {
        std::cerr << "retort: error: " << e.what() << "\n";
        return 1;
    }
}
