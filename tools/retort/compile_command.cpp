// retort compile DIALECT: the SQL a dialect writes for a standard set of
// statements (the conformance kit's golden corpus: queries, DML, upserts,
// DDL), without a database. For a dialect's author, and for anyone asking
// "what does Retort send to MySQL for this?".
#include <iostream>
#include <retort/plugin/loader.hpp>

#include "command.hpp"
#include "support/golden_schema.hpp"

namespace retort::cli {

int compile_command(const Args& args) {
    std::string dialect_name, plugin_file, filter;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--plugin") {
            if (i + 1 == args.size()) return usage_error("compile", "--plugin needs a plugin file");
            plugin_file = args[++i];
        } else if (args[i].starts_with("--")) {
            return usage_error("compile", "unknown option " + args[i]);
        } else if (dialect_name.empty() && plugin_file.empty()) {
            dialect_name = args[i];
        } else if (filter.empty()) {
            filter = args[i];
        } else {
            return usage_error("compile", "too many arguments");
        }
    }
    if (dialect_name.empty() && plugin_file.empty()) return usage_error("compile", "no dialect");
    if (!dialect_name.empty() && !plugin_file.empty())
        return usage_error("compile", "a dialect name or --plugin FILE, not both (before --plugin, NAME is the dialect)");
    auto dialect = plugin_file.empty() ? plugin::load_dialect(dialect_name) : plugin::load_plugin_file(plugin_file);
    test::GoldenSchema schema;
    auto cases = test::golden_statements(schema);
    auto ddl = test::golden_ddl(schema);
    cases.insert(cases.end(), ddl.begin(), ddl.end());
    int shown = 0;
    for (const auto& c : cases) {
        if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
        std::cout << "-- " << c.name << "\n" << test::compiled_sql(*dialect, c.statement) << "\n\n";
        ++shown;
    }
    if (shown == 0) {
        std::cerr << "retort compile: no statement is named like '" << filter << "'\n";
        return 1;
    }
    std::cout << "-- " << shown << " statements compiled by " << dialect->name() << " " << dialect->version()
              << " (\"!CompileError\": the dialect refuses it)\n";
    return 0;
}

}  // namespace retort::cli
