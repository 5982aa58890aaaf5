// Retort's side of the TPC-B check: pgbench's built-in script written with
// Core (Table objects and update()/select()/insert() statements), run by
// coroutines sharing one engine on one thread.
#pragma once

#include "tpcb.hpp"

namespace retort::bench::tpcb {

/// How the statements are built. `bindparam`: once, with named parameters
/// (bindparam<T>("aid")) that each execution gives values; `inline_values`:
/// anew in every transaction with the C++ values written in, as code that
/// does not think about reuse would (they are bound parameters all the same,
/// and the compiled SQL comes from the engine's cache).
enum class StatementStyle { bindparam, inline_values };

/// Runs s.clients coroutines for s.seconds, each doing pgbench's transaction
/// in a loop with a connection of the engine's pool (pool_size s.clients,
/// max_overflow 0). Its CPU time is this process's own (getrusage), from
/// before the pool's connections are opened to after they are closed, as
/// pgbench's covers its connections; its TPS leaves their opening out, as
/// pgbench's does. Throws what a transaction threw.
ClientRun run_retort(const Url& url, const Settings& s, StatementStyle style);

/// Checks what every committed TPC-B transaction keeps: the balances of the
/// accounts, the tellers and the branches, and history's deltas, all add up to
/// the same sum. Throws std::runtime_error with the four sums otherwise.
void check_balances(const Url& url);

}  // namespace retort::bench::tpcb
