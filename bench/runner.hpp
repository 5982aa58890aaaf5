// What every contestant of the benchmark implements: Retort itself, and one
// hand-written loop per client library doing the same work the way an expert
// would without an ORM.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_counter.hpp"

namespace retort::bench {

/// The phases, in the order they run: each one starts from the state the ones
/// before it left (insert fills the tables, delete empties them).
/// The first seven are the seed example's workload through the ORM; the last
/// two are Core (statements and rows, no objects), on the table delete emptied.
enum class Phase { insert, selectin, joined, stream, update, get, concurrent, delete_, core_insert, core_select };
inline constexpr Phase all_phases[] = {Phase::insert,     Phase::selectin, Phase::joined,      Phase::stream,
                                       Phase::update,     Phase::get,      Phase::concurrent,  Phase::delete_,
                                       Phase::core_insert, Phase::core_select};
std::string_view name_of(Phase p);
std::optional<Phase> phase_named(std::string_view name);
/// One line saying what the phase does, for the table's legend.
std::string_view description_of(Phase p);

/// The seed example's workload at scale: `parents` rows of table a with two
/// rows of b each; `gets` primary-key lookups in the get phase.
struct Workload {
    std::size_t parents = 10000;
    std::size_t gets = 2000;
    std::size_t children_per_parent = 2;
    std::size_t rows() const { return parents * (1 + children_per_parent); }

    /// The concurrent phase: `clients` concurrent clients sharing `connections`
    /// connections make `operations` operations in all, client c taking the
    /// operations k with k % clients == c. Operation k reads parent
    /// concurrent_parent(k) in a transaction of its own; when is_write(k)
    /// (every write_every-th operation; none if 0) it also sets its data to
    /// concurrent_data(k) and commits.
    std::size_t clients = 64;
    std::size_t connections = 8;
    std::size_t operations = 4000;
    std::size_t write_every = 4;
    bool is_write(std::size_t k) const { return write_every && k % write_every == write_every - 1; }
    /// Index (0 .. parents-1, in primary-key order) of the parent operation k uses.
    std::size_t concurrent_parent(std::size_t k) const { return (k * 7919) % parents; }
    static std::string concurrent_data(std::size_t k) { return "c" + std::to_string(k); }

    /// The Core phases: core_insert writes core_rows() rows of table a (data =
    /// core_data(i)) with one statement executed for many parameter sets, in one
    /// transaction; core_select then reads every row of a back as tuples.
    std::size_t core_rows() const { return rows(); }
    static std::string core_data(std::size_t i) { return "k" + std::to_string(i); }
    /// The data the insert phase writes for parent i and child j of it.
    static std::string parent_data(std::size_t i) { return "a" + std::to_string(i); }
    static std::string child_data(std::size_t i, std::size_t j) { return "b" + std::to_string(i) + "." + std::to_string(j); }
    static std::string updated_data(std::size_t i) { return "u" + std::to_string(i); }
};

/// Times the part of a phase that counts: a runner calls start() once its
/// set-up (untimed: loading what an update needs, say) is done, and stop()
/// when the work is.
class Stopwatch {
public:
    void start() {
        heap_start();
        began_ = std::chrono::steady_clock::now();
    }
    void stop() {
        elapsed_ = std::chrono::steady_clock::now() - began_;
        heap_ = heap_since_start();
    }
    double seconds() const { return std::chrono::duration<double>(elapsed_).count(); }
    HeapUse heap() const { return heap_; }

private:
    std::chrono::steady_clock::time_point began_{};
    std::chrono::steady_clock::duration elapsed_{};
    HeapUse heap_{};
};

/// A parent row as the raw loops materialise it: what an application without
/// an ORM keeps (the seed's A and its B's).
struct RawChild {
    std::int64_t id = 0;
    std::int64_t a_id = 0;
    std::optional<std::string> data;
};
struct RawParent {
    std::int64_t id = 0;
    std::optional<std::string> data;
    std::chrono::sys_time<std::chrono::microseconds> create_date{};
    std::vector<RawChild> children;
};

/// "YYYY-MM-DD HH:MM:SS[.ffffff]" as the servers print a timestamp, parsed by
/// hand as a C programmer would (no locale, no allocation).
std::chrono::sys_time<std::chrono::microseconds> parse_timestamp(std::string_view text);

class Runner {
public:
    virtual ~Runner() = default;
    /// "retort", "libpq", ...
    virtual std::string name() const = 0;
    /// Runs `phase` on `w`, timing its work with `watch`, and returns the rows
    /// it handled. Throws if the database did not end up as the phase says.
    std::size_t run(Phase phase, const Workload& w, Stopwatch& watch);

protected:
    // One per phase (see description_of()), each as run() says.
    virtual std::size_t insert(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t load_selectin(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t load_joined(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t stream(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t update(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t get(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t concurrent(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t remove(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t core_insert(const Workload& w, Stopwatch& watch) = 0;
    virtual std::size_t core_select(const Workload& w, Stopwatch& watch) = 0;
};

}  // namespace retort::bench
