#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <istream>
#include <ostream>
#include <sstream>

namespace retort::bench {

namespace {

template <class T>
double median(std::vector<T> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? static_cast<double>(v[n / 2]) : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

/// 1234567 -> "1.23M", 45678 -> "45.7k".
std::string rate(double v) {
    if (v >= 1e6) return fixed(v / 1e6, 2) + "M";
    if (v >= 1e3) return fixed(v / 1e3, 1) + "k";
    return fixed(v, 0);
}

std::string pad(std::string s, std::size_t width, bool left = false) {
    if (s.size() >= width) return s;
    return left ? s + std::string(width - s.size(), ' ') : std::string(width - s.size(), ' ') + s;
}

std::string key_of(const Line& l) { return l.backend + "/" + std::string(name_of(l.phase)); }

bool with_soci(const std::vector<Line>& lines) {
    return std::any_of(lines.begin(), lines.end(), [](const Line& l) { return l.soci.has_value(); });
}

}  // namespace

Summary summarize(const Sample& s) {
    Summary out;
    double seconds = median(s.seconds);
    out.rows_per_second = seconds > 0 ? static_cast<double>(s.rows) / seconds : 0;
    out.allocations_per_row = s.rows ? median(s.allocations) / static_cast<double>(s.rows) : 0;
    out.peak_mib = median(s.peak_bytes) / (1024.0 * 1024.0);
    return out;
}

void print_table(std::ostream& out, const std::vector<Line>& lines, std::size_t repetitions) {
    const bool soci = with_soci(lines);
    out << "rows/s: median of " << repetitions << " (the contestants take turns going first in each repetition); "
        << "ratio: Retort's rows/s over the raw loop's" << (soci ? ", retort/soci: over SOCI's" : "")
        << "; allocs/row: heap allocations per row, every library counted; peak: most heap in use above the phase's start\n";
    if (!soci) out << "SOCI: not in this build (tools/setup bench installs libsoci-dev; then configure again)\n";
    out << "\n";
    // The last two columns hold one figure per contestant.
    const std::string who = soci ? "raw / retort / soci" : "raw / retort";
    const std::size_t allocs_width = soci ? 25 : 19, peak_width = soci ? 22 : 15, soci_width = soci ? 26 : 0;
    auto each = [&](double raw, double retort, const std::optional<double>& other, int decimals) {
        return fixed(raw, decimals) + " / " + fixed(retort, decimals) + (other ? " / " + fixed(*other, decimals) : "");
    };
    out << pad("backend", 11, true) << pad("phase", 12, true) << pad("rows", 8) << pad("raw loop", 16) << pad("raw rows/s", 12)
        << pad("retort rows/s", 15) << pad("ratio", 7);
    if (soci) out << pad("soci rows/s", 13) << pad("retort/soci", 13);
    out << pad("allocs/row", allocs_width) << pad("peak MiB", peak_width) << "\n";
    out << pad("", 81 + soci_width) << pad(who, allocs_width) << pad(who, peak_width) << "\n";
    std::string last;
    for (const auto& l : lines) {
        if (!last.empty() && last != l.backend) out << "\n";
        last = l.backend;
        out << pad(l.backend, 11, true) << pad(std::string(name_of(l.phase)), 12, true) << pad(std::to_string(l.rows), 8)
            << pad(l.raw_name, 16) << pad(rate(l.raw.rows_per_second), 12) << pad(rate(l.retort.rows_per_second), 15)
            << pad(fixed(l.ratio(), 2), 7);
        std::optional<double> soci_allocs, soci_peak;
        if (soci) {
            out << pad(l.soci ? rate(l.soci->rows_per_second) : "-", 13) << pad(l.soci ? fixed(l.soci_ratio(), 2) : "-", 13);
            if (l.soci) {
                soci_allocs = l.soci->allocations_per_row;
                soci_peak = l.soci->peak_mib;
            }
        }
        out << pad(each(l.raw.allocations_per_row, l.retort.allocations_per_row, soci_allocs, 1), allocs_width)
            << pad(each(l.raw.peak_mib, l.retort.peak_mib, soci_peak, 1), peak_width) << "\n";
    }
    out << "\nphases:\n";
    for (Phase p : all_phases) out << "  " << pad(std::string(name_of(p)), 12, true) << description_of(p) << "\n";
}

void write_csv(std::ostream& out, const std::vector<Line>& lines) {
    // SOCI's columns come last, so that a CSV written before them reads the same
    // way (read_baseline); they are empty when the bench was built without SOCI.
    out << "backend,phase,rows,raw_loop,raw_rows_per_s,retort_rows_per_s,ratio,raw_allocs_per_row,retort_allocs_per_row,"
           "raw_peak_mib,retort_peak_mib,soci_rows_per_s,soci_ratio,soci_allocs_per_row,soci_peak_mib\n";
    for (const auto& l : lines) {
        out << l.backend << "," << name_of(l.phase) << "," << l.rows << "," << l.raw_name << "," << fixed(l.raw.rows_per_second, 0)
            << "," << fixed(l.retort.rows_per_second, 0) << "," << fixed(l.ratio(), 3) << "," << fixed(l.raw.allocations_per_row, 2)
            << "," << fixed(l.retort.allocations_per_row, 2) << "," << fixed(l.raw.peak_mib, 2) << "," << fixed(l.retort.peak_mib, 2);
        if (l.soci)
            out << "," << fixed(l.soci->rows_per_second, 0) << "," << fixed(l.soci_ratio(), 3) << ","
                << fixed(l.soci->allocations_per_row, 2) << "," << fixed(l.soci->peak_mib, 2);
        else out << ",,,,";
        out << "\n";
    }
}

void write_svg(std::ostream& out, const std::vector<Line>& lines, const std::string& caption) {
    // One group of bars per phase, one bar per backend: Retort's rows/s as a
    // fraction of the raw loop's, with the 0.5 target drawn across; a black
    // mark across a bar gives Retort's fraction of SOCI's, when there is one.
    std::vector<std::string> backends;
    std::vector<Phase> phases;
    for (const auto& l : lines) {
        if (std::find(backends.begin(), backends.end(), l.backend) == backends.end()) backends.push_back(l.backend);
        if (std::find(phases.begin(), phases.end(), l.phase) == phases.end()) phases.push_back(l.phase);
    }
    const char* colours[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};
    // A mark far above the bars would squash them: the scale reaches marks up
    // to mark_cap, and a mark above the top is drawn at it with its value.
    const double mark_cap = 2.0;
    const bool soci = with_soci(lines);
    double top = 1.0;
    for (const auto& l : lines) top = std::max({top, l.ratio(), std::min(l.soci_ratio(), mark_cap)});
    top = std::ceil(top * 4) / 4;
    // The caption's parts ("; "-separated) on lines of their own.
    std::vector<std::string> caption_lines;
    for (std::size_t from = 0; from <= caption.size();) {
        auto to = caption.find("; ", from);
        caption_lines.push_back(caption.substr(from, to == std::string::npos ? std::string::npos : to - from));
        if (to == std::string::npos) break;
        from = to + 2;
    }
    const int left = 50, plot_h = 260, bar = 18, gap = 26, head = 32 + 14 * static_cast<int>(caption_lines.size());
    const int group = static_cast<int>(backends.size()) * bar + gap;
    const int width = left + static_cast<int>(phases.size()) * group + 20, height = head + plot_h + 70;
    auto y_of = [&](double r) { return head + plot_h - static_cast<int>(r / top * plot_h); };
    out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
    out << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
    out << "<text x=\"" << left << "\" y=\"16\" font-size=\"13\">Retort rows/s as a fraction of a hand-written C loop</text>\n";
    for (std::size_t i = 0; i < caption_lines.size(); ++i)
        out << "<text x=\"" << left << "\" y=\"" << 31 + 14 * static_cast<int>(i) << "\" fill=\"#555\">" << caption_lines[i]
            << "</text>\n";
    for (double r = 0; r <= top + 1e-9; r += 0.25) {
        int y = y_of(r);
        out << "<line x1=\"" << left << "\" x2=\"" << width - 10 << "\" y1=\"" << y << "\" y2=\"" << y << "\" stroke=\""
            << (r == 0.5 ? "#d62728" : "#ddd") << "\"" << (r == 0.5 ? " stroke-dasharray=\"4 3\"" : "") << "/>\n";
        out << "<text x=\"" << left - 6 << "\" y=\"" << y + 4 << "\" text-anchor=\"end\">" << fixed(r, 2) << "</text>\n";
    }
    for (std::size_t p = 0; p < phases.size(); ++p) {
        int x0 = left + static_cast<int>(p) * group + gap / 2;
        for (std::size_t b = 0; b < backends.size(); ++b) {
            for (const auto& l : lines) {
                if (l.phase != phases[p] || l.backend != backends[b]) continue;
                int x = x0 + static_cast<int>(b) * bar, y = y_of(l.ratio());
                out << "<rect x=\"" << x << "\" y=\"" << y << "\" width=\"" << bar - 2 << "\" height=\"" << head + plot_h - y
                    << "\" fill=\"" << colours[b % 4] << "\"><title>" << l.backend << " " << name_of(l.phase) << ": "
                    << fixed(l.ratio(), 2) << "</title></rect>\n";
                if (!l.soci) continue;
                bool above = l.soci_ratio() > top;
                int mark = y_of(std::min(l.soci_ratio(), top));
                out << "<rect x=\"" << x - 1 << "\" y=\"" << mark - 1 << "\" width=\"" << bar << "\" height=\"3\" fill=\"#222\"><title>"
                    << l.backend << " " << name_of(l.phase) << ": retort/soci " << fixed(l.soci_ratio(), 2) << "</title></rect>\n";
                if (above)
                    out << "<text x=\"" << x + bar / 2 - 1 << "\" y=\"" << mark - 4 << "\" text-anchor=\"middle\" font-size=\"8\">"
                        << fixed(l.soci_ratio(), 1) << "</text>\n";
            }
        }
        out << "<text x=\"" << x0 + static_cast<int>(backends.size()) * bar / 2 << "\" y=\"" << head + plot_h + 16
            << "\" text-anchor=\"middle\">" << name_of(phases[p]) << "</text>\n";
    }
    for (std::size_t b = 0; b < backends.size(); ++b) {
        int x = left + static_cast<int>(b) * 110;
        out << "<rect x=\"" << x << "\" y=\"" << head + plot_h + 34 << "\" width=\"12\" height=\"12\" fill=\"" << colours[b % 4]
            << "\"/><text x=\"" << x + 16 << "\" y=\"" << head + plot_h + 44 << "\">" << backends[b] << "</text>\n";
    }
    out << "<text x=\"" << left + static_cast<int>(backends.size()) * 110 << "\" y=\"" << head + plot_h + 44
        << "\" fill=\"#d62728\">- - target 0.5</text>\n";
    if (soci) {
        int x = left + static_cast<int>(backends.size() + 1) * 110;
        out << "<rect x=\"" << x << "\" y=\"" << head + plot_h + 38 << "\" width=\"16\" height=\"3\" fill=\"#222\"/><text x=\"" << x + 20
            << "\" y=\"" << head + plot_h + 44 << "\">retort/soci</text>\n";
    }
    out << "</svg>\n";
}

std::map<std::string, double> read_baseline(std::istream& in) {
    auto cells = [](const std::string& line) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
        return f;
    };
    std::string line;
    std::getline(in, line);
    // The ratio's column by its name, else where the first CSVs had it.
    auto header = cells(line);
    auto at = static_cast<std::size_t>(std::find(header.begin(), header.end(), "ratio") - header.begin());
    if (at == header.size()) at = 6;
    std::map<std::string, double> ratios;
    while (std::getline(in, line)) {
        auto f = cells(line);
        if (f.size() <= at) continue;
        ratios[f[0] + "/" + f[1]] = std::stod(f[at]);
    }
    return ratios;
}

bool compare_with_baseline(std::ostream& out, const std::vector<Line>& lines, const std::map<std::string, double>& baseline,
                           double tolerance) {
    bool flagged = false;
    out << "\nagainst the baseline (ratio then -> now; a drop of more than " << fixed(tolerance * 100, 0) << "% is flagged):\n";
    for (const auto& l : lines) {
        auto it = baseline.find(key_of(l));
        if (it == baseline.end()) continue;
        bool drop = l.ratio() < it->second * (1 - tolerance);
        flagged |= drop;
        out << "  " << pad(key_of(l), 20, true) << fixed(it->second, 2) << " -> " << fixed(l.ratio(), 2) << (drop ? "  REGRESSION" : "")
            << "\n";
    }
    return flagged;
}

}  // namespace retort::bench
