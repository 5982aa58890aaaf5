// pgbench, the PostgreSQL project's own benchmark client, run as a child
// process: it fills the tables, then runs its built-in TPC-B-like script, and
// its CPU time comes from wait4()'s rusage.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "tpcb.hpp"

namespace retort::bench::tpcb {

/// pgbench could not be started, or failed; the message says what it printed.
class PgbenchError : public std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Pgbench {
public:
    /// `program` empty: the real binary behind Debian's /usr/bin/pgbench wrapper
    /// (a Perl script, whose start-up would count as client CPU), else
    /// `pgbench` from PATH.
    Pgbench(std::string program, const BenchDatabase& db);
    const std::string& program() const { return program_; }

    /// `pgbench -i -q -s scale`: drops and creates the pgbench_* tables. Throws PgbenchError.
    void initialise(int scale) const;
    /// `pgbench -n -c clients -j 1 -T seconds -M protocol`. Throws PgbenchError.
    ClientRun run(const Settings& s) const;

private:
    /// Ours, with the URL's password as PGPASSWORD (an argument would show in ps).
    std::vector<std::string> environment() const;
    std::string program_, conninfo_, password_;
};

}  // namespace retort::bench::tpcb
