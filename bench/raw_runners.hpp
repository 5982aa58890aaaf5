// The hand-written loops the benchmark measures Retort against, one per client
// library, and what they share.
#pragma once

#include <exception>
#include <memory>
#include <stdexcept>
#include <thread>

#include "runner.hpp"

namespace retort::bench {

/// SQLite's C API on the database file at `path`.
std::unique_ptr<Runner> make_sqlite_runner(const std::string& path);
/// libpq (pipeline mode) on `conninfo` (a postgresql:// URI or key=value string).
std::unique_ptr<Runner> make_libpq_runner(const std::string& conninfo);
/// MariaDB Connector/C (prepared statements, array binding).
struct MysqlTarget {
    std::string host, user, password, database, unix_socket;
    unsigned port = 0;
};
std::unique_ptr<Runner> make_mariadb_runner(const MysqlTarget& target);
/// SOCI (built only when found: RETORT_BENCH_SOCI) on `backend` ("sqlite",
/// "postgresql" or "mysql"), opened with SOCI's `connect` string for it.
std::unique_ptr<Runner> make_soci_runner(const std::string& backend, const std::string& connect);

/// The IN-list size of a selectin batch: Retort's default, so both send the same queries.
inline constexpr std::size_t selectin_batch = 500;

inline void expect(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("raw loop: ") + what);
}

/// The parents (and children) the insert phase writes.
inline std::vector<RawParent> make_parents(const Workload& w) {
    std::vector<RawParent> parents(w.parents);
    for (std::size_t i = 0; i < w.parents; ++i) {
        parents[i].data = Workload::parent_data(i);
        parents[i].children.resize(w.children_per_parent);
        for (std::size_t j = 0; j < w.children_per_parent; ++j) parents[i].children[j].data = Workload::child_data(i, j);
    }
    return parents;
}

/// "?, ?, ?" (mark "?") or "$1, $2, $3" (mark "$") for n parameters, from `first`.
inline std::string placeholders(std::size_t n, const char* mark, std::size_t first = 1) {
    std::string out;
    for (std::size_t k = 0; k < n; ++k) {
        if (k) out += ", ";
        out += mark;
        if (mark[0] == '$') out += std::to_string(first + k);
    }
    return out;
}

/// The core_select phase, timed: `read_all()` reads every row of table a.
template <class ReadAll>
std::size_t select_every_row(const Workload& w, Stopwatch& watch, ReadAll read_all) {
    watch.start();
    auto rows = read_all();
    watch.stop();
    expect(rows.size() == w.core_rows(), "core select found other rows");
    return rows.size();
}

/// Runs the concurrent phase on `clients` (each a connection with its prepared
/// statements, opened before the clock starts, as Retort's pool is), one thread
/// each: client t does the operations k with k % clients.size() == t, calling
/// operation(client, k). A client that fails is handed to abandon(client) (to
/// end the write it left open, so that the others do not wait on its locks)
/// and its exception is rethrown once every thread has ended. Returns the
/// operations done.
template <class Client, class Operation, class Abandon>
std::size_t run_clients(const Workload& w, Stopwatch& watch, std::vector<std::unique_ptr<Client>>& clients,
                        Operation operation, Abandon abandon) {
    std::vector<std::size_t> done(clients.size());
    std::vector<std::exception_ptr> failures(clients.size());
    watch.start();
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < clients.size(); ++t)
            threads.emplace_back([&, t] {
                try {
                    for (std::size_t k = t; k < w.operations; k += clients.size()) {
                        operation(*clients[t], k);
                        ++done[t];
                    }
                } catch (...) {
                    failures[t] = std::current_exception();
                    abandon(*clients[t]);
                }
            });
    }
    watch.stop();
    for (auto& f : failures)
        if (f) std::rethrow_exception(f);
    std::size_t operations = 0;
    for (auto n : done) operations += n;
    expect(operations == w.operations, "concurrent left operations undone");
    return operations;
}

}  // namespace retort::bench
