#include "tpcb_pgbench.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

extern char** environ;

namespace retort::bench::tpcb {

namespace {

struct Finished {
    int status = 0;      ///< as wait4() gives it
    std::string output;  ///< standard output and error, interleaved
    rusage usage{};      ///< the child's own CPU time and the like
};

std::string system_error(const std::string& what, int err) { return what + ": " + std::strerror(err); }

/// Runs argv[0] (looked up in PATH, as a shell would) with `environment`,
/// collects its output and reaps it with wait4(), whose rusage is the child's
/// alone: no other process of ours is counted.
Finished run_child(const std::vector<std::string>& argv, const std::vector<std::string>& environment) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw PgbenchError(system_error("pipe", errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);  // dup2 clears O_CLOEXEC on the copies
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    std::vector<char*> args, env;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : environment) env.push_back(const_cast<char*>(e.c_str()));
    args.push_back(nullptr);
    env.push_back(nullptr);
    pid_t pid = 0;
    int err = ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);  // so that the read below sees the end when the child exits
    if (err != 0) {
        ::close(fds[0]);
        std::string hint = err == ENOENT ? " (on Debian 12 it comes with postgresql-15, which tools/setup installs; or pass --pgbench PATH)" : "";
        throw PgbenchError(system_error("cannot run " + argv[0], err) + hint);
    }
    Finished out;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fds[0], buffer, sizeof buffer);
        if (n > 0) out.output.append(buffer, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    while (::wait4(pid, &out.status, 0, &out.usage) < 0)
        if (errno != EINTR) throw PgbenchError(system_error("wait4 on pgbench", errno));
    return out;
}

/// Throws PgbenchError unless `child` exited with status 0.
void check_exit(const Finished& child, const std::string& what) {
    if (WIFEXITED(child.status) && WEXITSTATUS(child.status) == 0) return;
    std::string how = WIFEXITED(child.status) ? "exited with status " + std::to_string(WEXITSTATUS(child.status))
                                              : "was killed by signal " + std::to_string(WTERMSIG(child.status));
    throw PgbenchError(what + " " + how + "; it printed:\n" + child.output);
}

/// The text after `label` up to the end of its line, or nullopt.
std::optional<std::string> field(const std::string& report, const std::string& label) {
    auto at = report.find(label);
    if (at == std::string::npos) return std::nullopt;
    at += label.size();
    return report.substr(at, report.find('\n', at) - at);
}

/// The figures of pgbench's report. Its TPS is taken as it says it, "without
/// initial connection time", which is how Retort's is measured too.
ClientRun parse_report(const std::string& report) {
    auto transactions = field(report, "number of transactions actually processed: ");
    auto tps = field(report, "tps = ");
    if (!transactions || !tps || tps->find("without initial connection time") == std::string::npos)
        throw PgbenchError("pgbench's report has no transaction count or TPS; it printed:\n" + report);
    ClientRun run;
    try {
        run.transactions = std::stoull(*transactions);
        run.tps = std::stod(*tps);
    } catch (const std::exception&) {
        throw PgbenchError("cannot read pgbench's transaction count or TPS; it printed:\n" + report);
    }
    // Failed transactions are not in the count: they would make pgbench look faster.
    if (auto failed = field(report, "number of failed transactions: "); failed && failed->rfind("0 ", 0) != 0)
        std::cerr << "retort_bench_tpcb: warning: pgbench had failed transactions: " << *failed << "\n";
    return run;
}

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

/// Debian's /usr/bin/pgbench is pg_wrapper, a Perl script that picks a
/// version and execs it: about 30 ms of Perl start-up that would count as
/// pgbench's CPU. The newest real binary is taken instead.
std::string real_pgbench() {
    namespace fs = std::filesystem;
    std::string best = "pgbench";
    int best_version = -1;
    std::error_code ec;
    for (fs::directory_iterator it("/usr/lib/postgresql", ec), end; !ec && it != end; it.increment(ec)) {
        auto candidate = it->path() / "bin" / "pgbench";
        int version = std::atoi(it->path().filename().c_str());
        if (version > best_version && ::access(candidate.c_str(), X_OK) == 0) {
            best = candidate.string();
            best_version = version;
        }
    }
    return best;
}

}  // namespace

Pgbench::Pgbench(std::string program, const BenchDatabase& db)
    : program_(program.empty() ? real_pgbench() : std::move(program)), conninfo_(db.conninfo()), password_(db.url().password()) {}

std::vector<std::string> Pgbench::environment() const {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e)
        if (password_.empty() || std::strncmp(*e, "PGPASSWORD=", 11) != 0) env.emplace_back(*e);
    if (!password_.empty()) env.push_back("PGPASSWORD=" + password_);
    return env;
}

void Pgbench::initialise(int scale) const {
    auto child = run_child({program_, "-i", "-q", "-s", std::to_string(scale), conninfo_}, environment());
    check_exit(child, program_ + " -i");
}

ClientRun Pgbench::run(const Settings& s) const {
    std::vector<std::string> argv = {program_, "-n", "-c", std::to_string(s.clients), "-j", "1",
                                     "-T", std::to_string(s.seconds), "-M", s.protocol, conninfo_};
    auto child = run_child(argv, environment());
    check_exit(child, program_);
    ClientRun run = parse_report(child.output);
    run.user_seconds = seconds(child.usage.ru_utime);
    run.system_seconds = seconds(child.usage.ru_stime);
    return run;
}

}  // namespace retort::bench::tpcb
