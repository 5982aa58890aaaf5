// retort_bench: Retort against hand-written client-library loops doing the
// same work, phase by phase, on every backend it is given. See --help.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <retort/url.hpp>

#include "command_line.hpp"
#include "raw_runners.hpp"
#include "report.hpp"
#include "retort_runner.hpp"

namespace rb = retort::bench;

namespace {

constexpr const char* usage = R"(usage: retort_bench [options]

Runs the seed example's workload at scale (parents with two children each)
through Retort's ORM, through a hand-written loop over the same client
library (sqlite3, libpq in pipeline mode, Connector/C with array binding)
and, when built with it, through SOCI, rotating who goes first in each
repetition, and prints rows/s, Retort's ratio to the others, heap
allocations per row and peak heap for every phase.

  --backend NAME     sqlite, postgresql or mysql; repeatable (default: every
                     backend with a URL)
  --sqlite-url URL   default: a fresh file in $TMPDIR
  --postgresql-url URL, --mysql-url URL
                     default: $RETORT_BENCH_POSTGRESQL_URL / $RETORT_BENCH_MYSQL_URL,
                     else $RETORT_TEST_POSTGRESQL_URL / $RETORT_TEST_MYSQL_URL
  -n, --parents N    parents per backend (default 100000 on SQLite, 20000 on
                     the servers); rows are 3 N
  --gets N           primary-key gets in the get phase (default 2000)
  --operations N     operations of the concurrent phase (default 4000)
  --write-every N    every N-th operation of the concurrent phase also writes
                     (default 4; 0: only gets)
  --phase NAME       report only this phase; repeatable (every phase still runs:
                     each starts from the state the previous ones left)
  --reps N           repetitions (default 5); medians are reported
  --csv FILE         also write the results as CSV
  --svg FILE         also write the ratios as an SVG bar chart
  --caption TEXT     the chart's caption (the machine, say)
  --baseline FILE    compare the ratios with a CSV written earlier; exit 3 when
                     one dropped by more than --tolerance
  --tolerance X      default 0.15 (15%)
  -h, --help
)";

struct Options {
    std::vector<std::string> backends;
    std::map<std::string, std::string> urls;
    std::optional<std::size_t> parents;
    std::size_t gets = 2000, reps = 5, operations = 4000, write_every = 4;
    std::vector<rb::Phase> phases;
    std::string csv, svg, caption, baseline;
    double tolerance = 0.15;
};

Options parse(int argc, char** argv) {
    Options o;
    rb::CommandLine args("retort_bench", usage, argc, argv);
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--backend") {
            auto b = args.value();
            if (b != "sqlite" && b != "postgresql" && b != "mysql") args.bad("unknown backend '" + b + "'");
            o.backends.push_back(b);
        } else if (a == "--sqlite-url") o.urls["sqlite"] = args.value();
        else if (a == "--postgresql-url") o.urls["postgresql"] = args.value();
        else if (a == "--mysql-url") o.urls["mysql"] = args.value();
        else if (a == "-n" || a == "--parents") o.parents = args.count();
        else if (a == "--gets") o.gets = args.count();
        else if (a == "--operations") o.operations = args.count();
        else if (a == "--write-every") {
            auto every = args.value();
            bool digits = !every.empty() && every.size() < 10 && std::all_of(every.begin(), every.end(), ::isdigit);
            if (!digits) args.bad("--write-every needs 0 (reads only) or a whole number, not '" + every + "'");
            o.write_every = std::stoul(every);
        } else if (a == "--reps") o.reps = args.count();
        else if (a == "--phase") {
            auto name = args.value();
            auto p = rb::phase_named(name);
            if (!p) args.bad("unknown phase '" + name + "'");
            o.phases.push_back(*p);
        } else if (a == "--csv") o.csv = args.value();
        else if (a == "--svg") o.svg = args.value();
        else if (a == "--caption") o.caption = args.value();
        else if (a == "--baseline") o.baseline = args.value();
        else if (a == "--tolerance") o.tolerance = std::stod(args.value());
        else args.bad("unknown argument '" + a + "'");
    }
    auto from_env = [&](const char* backend, const char* bench_var, const char* test_var) {
        if (o.urls.count(backend)) return;
        for (const char* var : {bench_var, test_var})
            if (const char* v = std::getenv(var); v && *v) {
                o.urls[backend] = v;
                return;
            }
    };
    from_env("postgresql", "RETORT_BENCH_POSTGRESQL_URL", "RETORT_TEST_POSTGRESQL_URL");
    from_env("mysql", "RETORT_BENCH_MYSQL_URL", "RETORT_TEST_MYSQL_URL");
    if (o.backends.empty()) {
        o.backends.push_back("sqlite");
        for (const char* b : {"postgresql", "mysql"})
            if (o.urls.count(b)) o.backends.push_back(b);
    }
    if (o.phases.empty()) o.phases.assign(std::begin(rb::all_phases), std::end(rb::all_phases));
    return o;
}

/// The parameters of a PostgreSQL connection, from the URL's parts (libpq
/// knows no "+driver" in a scheme).
std::vector<std::pair<std::string, std::string>> postgresql_parameters(const retort::Url& u) {
    std::vector<std::pair<std::string, std::string>> out{{"dbname", u.database()}, {"user", u.username()}, {"password", u.password()}};
    if (!u.host().empty()) out.emplace_back("host", u.host());
    if (u.port()) out.emplace_back("port", std::to_string(*u.port()));
    for (const auto& [key, v] : u.query()) out.emplace_back(key, v);
    return out;
}

/// `v` with a backslash before every character of `special`.
std::string escaped(const std::string& v, std::string_view special) {
    std::string out;
    for (char c : v) {
        if (special.find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

/// The raw loop for the backend of `url`.
std::unique_ptr<rb::Runner> make_raw_runner(const std::string& backend, const std::string& url) {
    auto u = retort::Url::parse(url);
    if (backend == "sqlite") return rb::make_sqlite_runner(u.database());
    if (backend == "postgresql") {
        std::string conninfo;
        for (const auto& [key, v] : postgresql_parameters(u))
            conninfo += (conninfo.empty() ? "" : " ") + key + "='" + escaped(v, "\\'") + "'";
        return rb::make_libpq_runner(conninfo);
    }
    rb::MysqlTarget t{u.host(), u.username(), u.password(), u.database(), u.option("unix_socket").value_or(""),
                      static_cast<unsigned>(u.port().value_or(0))};
    return rb::make_mariadb_runner(t);
}

#ifdef RETORT_BENCH_SOCI
/// SOCI's connect string for `url`: each backend parses its own, with its own quoting.
std::string soci_connect_string(const std::string& backend, const std::string& url) {
    auto u = retort::Url::parse(url);
    auto refuse_quote = [](const std::string& v) {
        if (v.find('"') != std::string::npos) throw std::runtime_error("SOCI 4.0.3 cannot pass a '\"' in a connect string");
        return v;
    };
    if (backend == "sqlite") return "db=\"" + refuse_quote(u.database()) + "\"";
    std::string out;
    auto add = [&](const std::string& key, const std::string& quoted) { out += (out.empty() ? "" : " ") + key + "=" + quoted; };
    if (backend == "postgresql") {
        // SOCI takes a "double-quoted" value out of its quotes and hands libpq the
        // rest unquoted, where libpq reads backslash escapes; it cannot pass an
        // empty value (libpq would take the next key for it): those stay unset.
        for (const auto& [key, v] : postgresql_parameters(u))
            if (!v.empty()) add(key, "\"" + escaped(refuse_quote(v), " \t\n\\'") + "\"");
        return out;
    }
    auto quoted = [](const std::string& v) { return "'" + escaped(v, "\\'") + "'"; };
    add("db", quoted(u.database()));
    add("user", quoted(u.username()));
    add("password", quoted(u.password()));
    if (!u.host().empty()) add("host", quoted(u.host()));
    if (u.port()) add("port", std::to_string(*u.port()));
    if (auto socket = u.option("unix_socket")) add("unix_socket", quoted(*socket));
    return out;
}
#endif

/// One contestant of a repetition.
struct Contestant {
    enum Role { raw, retort, soci } role;
    std::function<std::unique_ptr<rb::Runner>()> make;
};

std::vector<rb::Line> run_backend(const std::string& backend, const std::string& url, const Options& o) {
    rb::Workload w;
    w.parents = o.parents.value_or(backend == "sqlite" ? 100000 : 20000);
    w.gets = std::min(o.gets, w.parents);
    w.operations = o.operations;
    w.write_every = o.write_every;
    std::vector<Contestant> contestants{{Contestant::raw, [&] { return make_raw_runner(backend, url); }},
                                        {Contestant::retort, [&] { return rb::make_retort_runner(url); }}};
#ifdef RETORT_BENCH_SOCI
    std::string soci_connect = soci_connect_string(backend, url);
    contestants.push_back({Contestant::soci, [&] { return rb::make_soci_runner(backend, soci_connect); }});
#endif
    std::map<Contestant::Role, std::map<rb::Phase, rb::Sample>> samples;
    std::string raw_name;
    for (std::size_t rep = 0; rep < o.reps; ++rep) {
        // Rotate who goes first, so that nobody always meets the warmest server.
        for (std::size_t turn = 0; turn < contestants.size(); ++turn) {
            const auto& contestant = contestants[(rep + turn) % contestants.size()];
            rb::recreate_tables(url);
            auto runner = contestant.make();
            if (contestant.role == Contestant::raw) raw_name = runner->name();
            for (rb::Phase p : rb::all_phases) {
                rb::Stopwatch watch;
                std::size_t rows = 0;
                try {
                    rows = runner->run(p, w, watch);
                } catch (const std::exception& e) {
                    throw std::runtime_error(runner->name() + ", " + std::string(rb::name_of(p)) + " phase: " + e.what());
                }
                auto& s = samples[contestant.role][p];
                s.rows = rows;
                s.seconds.push_back(watch.seconds());
                s.allocations.push_back(watch.heap().allocations);
                s.peak_bytes.push_back(watch.heap().peak_bytes);
            }
            std::cerr << "." << std::flush;
        }
    }
    std::vector<rb::Line> lines;
    for (rb::Phase p : o.phases) {
        auto& raw = samples[Contestant::raw][p];
        rb::Line line{backend, p, raw_name, raw.rows, rb::summarize(raw), rb::summarize(samples[Contestant::retort][p]), {}};
        if (samples.count(Contestant::soci)) line.soci = rb::summarize(samples[Contestant::soci][p]);
        lines.push_back(line);
    }
    return lines;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    std::string sqlite_file;
    if (!o.urls.count("sqlite")) {
        const char* tmp = std::getenv("TMPDIR");
        sqlite_file = std::string(tmp && *tmp ? tmp : "/tmp") + "/retort_bench_" + std::to_string(::getpid()) + ".db";
        o.urls["sqlite"] = "sqlite:///" + sqlite_file;
    }
    int status = 0;
    try {
        std::vector<rb::Line> lines;
        for (const auto& backend : o.backends) {
            auto url = o.urls.find(backend);
            if (url == o.urls.end()) throw std::runtime_error("no URL for " + backend + " (--" + backend + "-url)");
            std::cerr << backend << " " << std::flush;
            auto mine = run_backend(backend, url->second, o);
            std::cerr << "\n";
            lines.insert(lines.end(), mine.begin(), mine.end());
        }
        std::cout << "\n";
        rb::print_table(std::cout, lines, o.reps);
        if (!o.csv.empty()) {
            std::ofstream f(o.csv);
            rb::write_csv(f, lines);
        }
        if (!o.svg.empty()) {
            std::ofstream f(o.svg);
            rb::write_svg(f, lines, o.caption);
        }
        if (!o.baseline.empty()) {
            std::ifstream f(o.baseline);
            if (!f) throw std::runtime_error("cannot read the baseline " + o.baseline);
            if (rb::compare_with_baseline(std::cout, lines, rb::read_baseline(f), o.tolerance)) status = 3;
        }
    } catch (const std::exception& e) {
        std::cerr << "\nretort_bench: error: " << e.what() << "\n";
        status = 1;
    }
    if (!sqlite_file.empty())
        for (const char* suffix : {"", "-wal", "-shm"}) std::remove((sqlite_file + suffix).c_str());
    return status;
}
