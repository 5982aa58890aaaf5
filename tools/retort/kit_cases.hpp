// The conformance kit's cases, as the `retort conformance` runner sees them
// (kit_cases.cpp holds Catch2's implementation; nothing else here includes it).
#pragma once

#include <string>
#include <vector>

namespace retort::cli {

struct KitCase {
    std::string name;
    std::vector<std::string> tags;  ///< "smoke", "orm", ...
};

/// The cases matching `filters` (Catch test specs: names, wildcards, [tags];
/// every case when empty), in their order of registration by file.
std::vector<KitCase> kit_cases(const std::vector<std::string>& filters);

/// Runs the case named exactly `name` in this process, as a child of the
/// runner: 0 when it passed; a skip ends the process with exit code 77.
int run_kit_case(const std::string& name);

}  // namespace retort::cli
