// retort_bench_tpcb: a PostgreSQL check against a real client nobody here
// wrote. pgbench's built-in TPC-B-like transaction, run by pgbench itself and
// by Retort's Core in turns on the same tables; the figures are TPS and the
// client's CPU time per transaction, whose ratio is what Retort costs over
// the PostgreSQL project's own C client. See --help.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <retort/error.hpp>
#include <vector>

#include "command_line.hpp"
#include "tpcb.hpp"
#include "tpcb_pgbench.hpp"
#include "tpcb_retort.hpp"

namespace tpcb = retort::bench::tpcb;

namespace {

constexpr const char* usage = R"(usage: retort_bench_tpcb [options]

Runs pgbench's built-in TPC-B-like transaction (UPDATE an account, SELECT its
balance, UPDATE a teller and a branch, INSERT into history) on PostgreSQL,
first with pgbench itself, then written with Retort's Core: the same number of
clients (Retort: coroutines on one thread sharing an engine whose pool holds
that many connections) for the same time, in turns. Prints the medians of TPS
and of the client's CPU time (user + system) per transaction, and Retort's
ratios to pgbench. The target is a CPU ratio of at most 1.

The tables are made by `pgbench -i` in a database created for the run
(retort_tpcb_<pid>) and dropped at its end. The balances are checked to add
up at the end.

  --postgresql-url URL  default: $RETORT_BENCH_POSTGRESQL_URL, else
                        $RETORT_TEST_POSTGRESQL_URL
  --scale N             pgbench -i -s (default 10: 1,000,000 accounts)
  --seconds N           length of each run (default 10)
  --clients N           pgbench -c, Retort's coroutines and pool_size (default 8)
  --reps N              runs of each client, alternating (default 3)
  --protocol P          pgbench -M: simple, extended or prepared (default).
                        Retort always sends named prepared statements.
  --retort-statements S bindparam (default): the statements are built once
                        with bindparam() and run with Params; inline: built
                        anew in every transaction with the values written in
  --pgbench PATH        default: the newest /usr/lib/postgresql/*/bin/pgbench
                        (not Debian's Perl wrapper), else pgbench from PATH
  --in-place            use the URL's own database (its pgbench_* tables are
                        replaced, and left there)
  --csv FILE            also write the results as CSV
  -h, --help
)";

struct Options {
    std::string url;
    tpcb::Settings settings;
    int reps = 3;
    tpcb::StatementStyle style = tpcb::StatementStyle::bindparam;
    std::string pgbench, csv;
    bool in_place = false;
};

[[noreturn]] void bad_usage(const std::string& why) { retort::bench::usage_error("retort_bench_tpcb", why); }

Options parse(int argc, char** argv) {
    Options o;
    retort::bench::CommandLine args("retort_bench_tpcb", usage, argc, argv);
    auto positive = [&](std::size_t max = std::numeric_limits<int>::max()) { return static_cast<int>(args.count(max)); };
    while (args.next()) {
        const std::string& a = args.flag();
        if (a == "--postgresql-url") o.url = args.value();
        // pgbench's account ids are 4-byte integers: 100000 per unit of scale.
        else if (a == "--scale") o.settings.scale = positive(std::numeric_limits<std::int32_t>::max() / 100000);
        else if (a == "--seconds") o.settings.seconds = positive();
        else if (a == "--clients") o.settings.clients = positive(1000);
        else if (a == "--reps") o.reps = positive();
        else if (a == "--protocol") {
            o.settings.protocol = args.value();
            if (o.settings.protocol != "simple" && o.settings.protocol != "extended" && o.settings.protocol != "prepared")
                args.bad("--protocol is simple, extended or prepared, not '" + o.settings.protocol + "'");
        } else if (a == "--retort-statements") {
            auto s = args.value();
            if (s == "bindparam") o.style = tpcb::StatementStyle::bindparam;
            else if (s == "inline") o.style = tpcb::StatementStyle::inline_values;
            else args.bad("--retort-statements is bindparam or inline, not '" + s + "'");
        } else if (a == "--pgbench") o.pgbench = args.value();
        else if (a == "--in-place") o.in_place = true;
        else if (a == "--csv") o.csv = args.value();
        else args.bad("unknown argument '" + a + "'");
    }
    for (const char* var : {"RETORT_BENCH_POSTGRESQL_URL", "RETORT_TEST_POSTGRESQL_URL"})
        if (const char* v = std::getenv(var); o.url.empty() && v && *v) o.url = v;
    if (o.url.empty())
        bad_usage("no PostgreSQL URL: pass --postgresql-url, or set RETORT_BENCH_POSTGRESQL_URL or RETORT_TEST_POSTGRESQL_URL");
    return o;
}

retort::Url server_url(const std::string& text) {
    try {
        auto url = retort::Url::parse(text);
        if (url.dialect() != "postgresql" && url.dialect() != "postgres")
            bad_usage("the URL is for " + url.dialect() + ", not PostgreSQL (postgresql://user:password@host:port/db)");
        return url;
    } catch (const retort::ArgumentError& e) {
        bad_usage(std::string("bad PostgreSQL URL: ") + e.what());
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// One client's medians over its runs (each figure's own median).
struct Summary {
    double tps = 0, cpu_us = 0, user_us = 0, system_us = 0, transactions = 0;
};

Summary summarize(const std::vector<tpcb::ClientRun>& runs) {
    std::vector<double> tps, cpu, user, system, transactions;
    for (const auto& r : runs) {
        double n = r.transactions ? static_cast<double>(r.transactions) : 1;
        tps.push_back(r.tps);
        cpu.push_back(r.cpu_us_per_transaction());
        user.push_back(r.user_seconds * 1e6 / n);
        system.push_back(r.system_seconds * 1e6 / n);
        transactions.push_back(static_cast<double>(r.transactions));
    }
    return {median(tps), median(cpu), median(user), median(system), median(transactions)};
}

double ratio(double retort, double pgbench) { return pgbench > 0 ? retort / pgbench : 0; }

std::string style_name(tpcb::StatementStyle s) { return s == tpcb::StatementStyle::bindparam ? "bindparam" : "inline"; }

void print_run(const std::string& who, int rep, const tpcb::ClientRun& r) {
    double n = r.transactions ? static_cast<double>(r.transactions) : 1;
    std::cout << "  run " << rep << " " << std::left << std::setw(8) << who << std::right << std::fixed << std::setprecision(1)
              << std::setw(9) << r.tps << " tps " << std::setw(7) << r.cpu_us_per_transaction() << " us CPU/tx (user "
              << r.user_seconds * 1e6 / n << ", system " << r.system_seconds * 1e6 / n << ") " << r.transactions
              << " transactions" << std::endl;
}

void print_table(std::ostream& out, const Options& o, const Summary& pg, const Summary& rt) {
    out << "\nmedians of " << o.reps << " runs each; client CPU per transaction in microseconds:\n"
        << std::left << std::setw(16) << "client" << std::right << std::setw(10) << "TPS" << std::setw(10) << "CPU/tx"
        << std::setw(10) << "user" << std::setw(10) << "system" << std::setw(14) << "transactions" << "\n"
        << std::fixed;
    auto line = [&](const std::string& name, const Summary& s) {
        out << std::left << std::setw(16) << name << std::right << std::setprecision(1) << std::setw(10) << s.tps << std::setw(10)
            << s.cpu_us << std::setw(10) << s.user_us << std::setw(10) << s.system_us << std::setprecision(0) << std::setw(14)
            << s.transactions << "\n";
    };
    line("pgbench", pg);
    line("retort", rt);
    double cpu_ratio = ratio(rt.cpu_us, pg.cpu_us);
    out << std::left << std::setw(16) << "retort/pgbench" << std::right << std::setprecision(2) << std::setw(10)
        << ratio(rt.tps, pg.tps) << std::setw(10) << cpu_ratio << std::setw(10) << ratio(rt.user_us, pg.user_us)
        << std::setw(10) << ratio(rt.system_us, pg.system_us) << "\n\n"
        << "target, Retort's client CPU per transaction at most pgbench's: " << (cpu_ratio <= 1 ? "met" : "not met") << " ("
        << cpu_ratio << ")\n";
}

void write_csv(std::ostream& out, const Options& o, const Summary& pg, const Summary& rt) {
    const auto& s = o.settings;
    std::string common = std::to_string(s.scale) + "," + std::to_string(s.clients) + "," + std::to_string(s.seconds) + "," +
                         std::to_string(o.reps);
    out << "client,mode,scale,clients,seconds,runs,tps,cpu_us_per_tx,user_us_per_tx,system_us_per_tx,transactions\n"
        << std::fixed;
    auto line = [&](const std::string& name, const std::string& mode, const Summary& x) {
        out << name << "," << mode << "," << common << std::setprecision(1) << "," << x.tps << "," << x.cpu_us << "," << x.user_us
            << "," << x.system_us << "," << std::setprecision(0) << x.transactions << "\n";
    };
    line("pgbench", s.protocol, pg);
    line("retort", style_name(o.style), rt);
    out << "retort/pgbench,," << common << std::setprecision(3) << "," << ratio(rt.tps, pg.tps) << "," << ratio(rt.cpu_us, pg.cpu_us)
        << "," << ratio(rt.user_us, pg.user_us) << "," << ratio(rt.system_us, pg.system_us) << ",\n";
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    retort::Url server = server_url(o.url);
    try {
        tpcb::BenchDatabase db(server, o.in_place);
        tpcb::Pgbench pgbench(o.pgbench, db);
        const auto& s = o.settings;
        std::cout << "pgbench's TPC-B-like transaction: scale " << s.scale << ", " << s.clients << " clients, " << s.seconds
                  << " s per run, " << o.reps << " runs of each client, in turns\n"
                  << "database: " << db.url().to_string() << "\n"
                  << "pgbench: " << pgbench.program() << " -n -c " << s.clients << " -j 1 -T " << s.seconds << " -M "
                  << s.protocol << "\n"
                  << "retort: Core, one io_context thread, pool_size " << s.clients << ", statements "
                  << (o.style == tpcb::StatementStyle::bindparam ? "built once with bindparam()" : "built in every transaction")
                  << std::endl;
        pgbench.initialise(s.scale);
        std::cout << "server: " << db.server_settings() << std::endl;

        std::vector<tpcb::ClientRun> pg_runs, retort_runs;
        for (int rep = 1; rep <= o.reps; ++rep) {
            pg_runs.push_back(pgbench.run(s));
            print_run("pgbench", rep, pg_runs.back());
            retort_runs.push_back(tpcb::run_retort(db.url(), s, o.style));
            print_run("retort", rep, retort_runs.back());
        }
        tpcb::check_balances(db.url());
        std::cout << "balances: accounts, tellers, branches and history add up" << std::endl;

        auto pg = summarize(pg_runs), rt = summarize(retort_runs);
        print_table(std::cout, o, pg, rt);
        if (!o.csv.empty()) {
            std::ofstream f(o.csv);
            write_csv(f, o, pg, rt);
            if (!f) throw std::runtime_error("cannot write " + o.csv);
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "retort_bench_tpcb: error: " << e.what() << "\n";
        return 1;
    }
}
