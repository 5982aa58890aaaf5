#define CATCH_CONFIG_RUNNER
#include "kit_cases.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace retort::cli {
namespace {

// Catch reads ',', '[', ']', '*', '~', '"' and '\' in a test spec: escaped, the
// name is matched as it is written.
std::string exact_spec(const std::string& name) {
    std::string out;
    for (char c : name) {
        if (c == ',' || c == '[' || c == ']' || c == '*' || c == '~' || c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

std::vector<KitCase> kit_cases(const std::vector<std::string>& filters) {
    std::vector<const char*> argv{"retort"};
    for (const auto& f : filters) argv.push_back(f.c_str());
    Catch::Session session;
    if (session.applyCommandLine(static_cast<int>(argv.size()), argv.data()) != 0)
        throw std::invalid_argument("not a test filter: use case names, wildcards (*) or [tags]");
    const auto& config = session.config();
    std::vector<KitCase> out;
    for (const auto& tc : Catch::filterTests(Catch::getAllTestCasesSorted(config), config.testSpec(), config))
        out.push_back({tc.getTestCaseInfo().name, tc.getTestCaseInfo().tags});
    return out;
}

int run_kit_case(const std::string& name) {
    std::string spec = exact_spec(name);
    const char* argv[] = {"retort", spec.c_str()};
    return Catch::Session().run(2, argv);
}

}  // namespace retort::cli
