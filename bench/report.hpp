// The benchmark's results, and the ways it shows them: a table for the
// terminal, CSV for keeping (and for comparing a later run against), an SVG
// chart for the README.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runner.hpp"

namespace retort::bench {

/// One contestant's repetitions of one phase on one backend.
struct Sample {
    std::vector<double> seconds;
    std::vector<std::uint64_t> allocations;
    std::vector<std::size_t> peak_bytes;
    std::size_t rows = 0;
};

/// The medians of a Sample.
struct Summary {
    double rows_per_second = 0;
    double allocations_per_row = 0;
    double peak_mib = 0;
};
Summary summarize(const Sample& s);

struct Line {
    std::string backend;  ///< "sqlite", "postgresql", "mysql"
    Phase phase;
    std::string raw_name;  ///< the raw loop's client library
    std::size_t rows = 0;
    Summary raw, retort;
    std::optional<Summary> soci;  ///< when the bench was built with SOCI
    /// Retort's rows/s as a fraction of the raw loop's.
    double ratio() const { return raw.rows_per_second > 0 ? retort.rows_per_second / raw.rows_per_second : 0; }
    /// Retort's rows/s as a fraction of SOCI's (0 without SOCI).
    double soci_ratio() const { return soci && soci->rows_per_second > 0 ? retort.rows_per_second / soci->rows_per_second : 0; }
};

void print_table(std::ostream& out, const std::vector<Line>& lines, std::size_t repetitions);
void write_csv(std::ostream& out, const std::vector<Line>& lines);
void write_svg(std::ostream& out, const std::vector<Line>& lines, const std::string& caption);

/// A saved CSV's ratios (Retort to the raw loop), keyed "backend/phase".
std::map<std::string, double> read_baseline(std::istream& in);
/// Prints, for every line the baseline also has, the change of its ratio, and
/// flags a drop of more than `tolerance` (0.15: 15%). Returns whether any was flagged.
bool compare_with_baseline(std::ostream& out, const std::vector<Line>& lines, const std::map<std::string, double>& baseline,
                           double tolerance);

}  // namespace retort::bench
