// retort_bench_tpcb: pgbench's built-in TPC-B-like transaction run by pgbench
// itself and by Retort's Core, on the same PostgreSQL database. What its
// pieces share: the run's settings, one client's measurement, and the
// database the runs use.
#pragma once

#include <cstdint>
#include <string>

#include <retort/url.hpp>

namespace retort::bench::tpcb {

/// What both clients are asked to do, as pgbench's options say it.
struct Settings {
    int scale = 10;          ///< pgbench -s: 100000 accounts, 10 tellers, 1 branch per unit
    int clients = 8;         ///< pgbench -c; Retort's coroutines and pool_size
    int seconds = 10;        ///< pgbench -T; how long Retort's coroutines loop
    std::string protocol = "prepared";  ///< pgbench -M (Retort always prepares: see tpcb_retort.cpp)
};

/// One run of one client.
struct ClientRun {
    std::uint64_t transactions = 0;
    double tps = 0;          ///< committed transactions per second, connection set-up excluded
    double user_seconds = 0, system_seconds = 0;  ///< CPU time of the client process over the run
    double cpu_seconds() const { return user_seconds + system_seconds; }
    double cpu_us_per_transaction() const { return transactions ? cpu_seconds() * 1e6 / static_cast<double>(transactions) : 0; }
};

/// The database the runs use: a fresh one on the server of the given URL,
/// created for this run and dropped at its end, or the URL's own.
class BenchDatabase {
public:
    /// Creates `retort_tpcb_<pid>` on `server`'s server, unless `in_place`.
    /// Throws when it cannot (saying what to do when the role lacks CREATEDB).
    BenchDatabase(const Url& server, bool in_place);
    /// Drops the database if this object created it; never throws.
    ~BenchDatabase();
    BenchDatabase(const BenchDatabase&) = delete;
    BenchDatabase& operator=(const BenchDatabase&) = delete;

    /// The Retort URL of the database.
    const Url& url() const { return url_; }
    /// The same target as a libpq connection string without the password,
    /// which goes to pgbench through PGPASSWORD (an argument would show in ps).
    std::string conninfo() const;
    /// "PostgreSQL 15.18, fsync=off, synchronous_commit=on, connections over TLS: yes":
    /// what bounds TPS and weighs on both clients' CPU.
    std::string server_settings() const;

private:
    Url server_, url_;
    bool created_ = false;
};

}  // namespace retort::bench::tpcb
