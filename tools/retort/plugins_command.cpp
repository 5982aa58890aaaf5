// retort plugins: what the loader sees, as an application would see it.
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>
#include <iostream>
#include <retort/plugin/abi.hpp>
#include <retort/plugin/loader.hpp>

#include "command.hpp"

namespace retort::cli {
namespace {

// "insert_returning, savepoints, ..., max_parameters=32766": the flags that are
// on, then every limit with its value.
std::string describe(const sql::Capabilities& caps) {
    std::string on, limits;
    boost::mp11::mp_for_each<boost::describe::describe_members<sql::Capabilities, boost::describe::mod_public>>(
        [&](auto member) {
            const auto& value = caps.*member.pointer;
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(value)>, bool>) {
                if (value) on += (on.empty() ? "" : ", ") + std::string(member.name);
            } else {
                limits += (limits.empty() ? "" : ", ") + std::string(member.name) + "=" + std::to_string(value);
            }
        });
    return on + (on.empty() || limits.empty() ? "" : ", ") + limits;
}

}  // namespace

int plugins_command(const Args& args) {
    if (!args.empty()) return usage_error("plugins", "takes no arguments");
    std::cout << "search path (RETORT_PLUGIN_PATH, then beside the library):\n";
    for (const auto& dir : plugin::search_path()) std::cout << "  " << dir.string() << "\n";

    auto found = plugin::available_plugins();
    int refused = 0;
    for (const auto& p : found) {
        std::cout << "\n";
        if (!p.error.empty()) {
            ++refused;
            std::cout << "refused: " << p.path.string() << "\n  why:          " << p.error << "\n";
            continue;
        }
        auto dialect = plugin::load_plugin_file(p.path);
        std::string schemes = p.name;
        for (const auto& a : p.aliases) schemes += ", " + a;
        std::cout << p.name << " " << p.version << ", plugin interface " << plugin::abi_version << "\n"
                  << "  file:         " << p.path.string() << "\n"
                  << "  URL schemes:  " << schemes << "\n"
                  << "  driver:       " << p.driver << "\n"
                  << "  capabilities: " << describe(dialect->capabilities()) << "\n";
    }
    if (found.empty()) {
        std::cerr << "retort plugins: no dialect plugin found\n";
        return 1;
    }
    return refused ? 1 : 0;
}

}  // namespace retort::cli
