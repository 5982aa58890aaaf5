#include <charconv>
#include <stdexcept>

#include "runner.hpp"

namespace retort::bench {

namespace {

struct PhaseInfo {
    Phase phase;
    std::string_view name;
    std::string_view description;
};

constexpr PhaseInfo phase_table[] = {
    {Phase::insert, "insert", "N parents with their children added and committed in one transaction"},
    {Phase::selectin, "selectin", "every parent and its children, loaded with 1 + IN-batch queries"},
    {Phase::joined, "joined", "every parent and its children, loaded with one LEFT OUTER JOIN"},
    {Phase::stream, "stream", "every parent, streamed and dropped as it goes"},
    {Phase::update, "update", "every parent (already loaded) changed, then committed"},
    {Phase::get, "get", "primary-key gets, each in a fresh session (rows = gets)"},
    {Phase::concurrent, "concurrent", "64 clients on 8 connections: gets, every 4th (--write-every) also an update committed (rows = operations)"},
    {Phase::delete_, "delete", "every parent and its children (already loaded) deleted, then committed"},
    {Phase::core_insert, "core_insert", "Core: 3 N rows inserted by one statement executed for many parameter sets"},
    {Phase::core_select, "core_select", "Core: every row of the table read back as tuples"},
};

int digits(std::string_view s, std::size_t at, std::size_t n) {
    int v = 0;
    if (at + n > s.size()) throw std::invalid_argument("timestamp too short: " + std::string(s));
    auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
    if (ec != std::errc() || end != s.data() + at + n) throw std::invalid_argument("bad timestamp: " + std::string(s));
    return v;
}

}  // namespace

std::string_view name_of(Phase p) {
    for (const auto& i : phase_table)
        if (i.phase == p) return i.name;
    return "?";
}

std::string_view description_of(Phase p) {
    for (const auto& i : phase_table)
        if (i.phase == p) return i.description;
    return "?";
}

std::optional<Phase> phase_named(std::string_view name) {
    for (const auto& i : phase_table)
        if (i.name == name) return i.phase;
    return std::nullopt;
}

std::size_t Runner::run(Phase phase, const Workload& w, Stopwatch& watch) {
    switch (phase) {
        case Phase::insert: return insert(w, watch);
        case Phase::selectin: return load_selectin(w, watch);
        case Phase::joined: return load_joined(w, watch);
        case Phase::stream: return stream(w, watch);
        case Phase::update: return update(w, watch);
        case Phase::get: return get(w, watch);
        case Phase::concurrent: return concurrent(w, watch);
        case Phase::delete_: return remove(w, watch);
        case Phase::core_insert: return core_insert(w, watch);
        case Phase::core_select: return core_select(w, watch);
    }
    throw std::logic_error("unknown phase");
}

std::chrono::sys_time<std::chrono::microseconds> parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    year_month_day ymd{year(digits(s, 0, 4)), month(static_cast<unsigned>(digits(s, 5, 2))),
                       day(static_cast<unsigned>(digits(s, 8, 2)))};
    auto t = sys_days(ymd) + hours(digits(s, 11, 2)) + minutes(digits(s, 14, 2)) + seconds(digits(s, 17, 2));
    microseconds fraction{0};
    if (s.size() > 20 && s[19] == '.') {
        std::size_t n = std::min<std::size_t>(s.size() - 20, 6);
        int f = digits(s, 20, n);
        for (std::size_t k = n; k < 6; ++k) f *= 10;
        fraction = microseconds(f);
    }
    return time_point_cast<microseconds>(t) + fraction;
}

}  // namespace retort::bench
