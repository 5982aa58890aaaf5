// What a dialect can do. The compiler, the engine and the tests ask these
// flags; nothing anywhere asks which database it is talking to.
#pragma once

#include <boost/describe/class.hpp>
#include <cstddef>

namespace retort::sql {

struct Capabilities {
    bool insert_returning = false;      ///< INSERT ... RETURNING
    bool update_returning = false;      ///< UPDATE ... RETURNING
    bool delete_returning = false;      ///< DELETE ... RETURNING
    bool returning_order_matches_values = false;  ///< RETURNING rows come in VALUES order (not on SQLite)
    bool multi_row_values = true;       ///< INSERT ... VALUES (...), (...)
    std::size_t max_rows_per_insert = 1000;    ///< rows the dialect accepts in one multi-row VALUES
    std::size_t max_parameters = 32766;        ///< bound parameters per statement
    bool native_boolean = false;        ///< a real BOOLEAN type (not 0/1 integers)
    bool native_uuid = false;           ///< a UUID column type
    bool native_json = false;           ///< a JSON column type the server validates
    bool native_decimal = true;         ///< exact NUMERIC storage (SQLite rounds to double)
    bool timezone_aware_datetime = false;  ///< stores the offset or instant of DateTime(timezone=true)
    bool savepoints = true;             ///< SAVEPOINT / RELEASE / ROLLBACK TO
    bool server_side_cursors = false;   ///< results streamed from the server as they are fetched
    bool nulls_ordering = true;         ///< ORDER BY ... NULLS FIRST/LAST (emulated otherwise)
    bool ilike = false;                 ///< a native ILIKE operator
    bool is_distinct_from = true;       ///< IS [NOT] DISTINCT FROM (or an equivalent)
    bool intersect_except = true;       ///< INTERSECT and EXCEPT
    bool full_outer_join = false;
    bool upsert_conflict_target = true; ///< ON CONFLICT (cols): the upsert names its unique key
    bool transactional_ddl = false;     ///< DDL takes part in transactions (rolls back)
    bool check_constraints_enforced = true;
    /// SELECT ... FOR UPDATE locks the rows it reads. Without it (SQLite, whose
    /// write transactions lock the whole database) with_for_update() is left out.
    bool for_update = false;
    bool for_update_nowait = false;       ///< FOR UPDATE NOWAIT
    bool for_update_skip_locked = false;  ///< FOR UPDATE SKIP LOCKED
};

/// Each flag by name (Boost.Describe): `retort plugins` lists them, the
/// conformance kit names the flag that skips a case.
BOOST_DESCRIBE_STRUCT(Capabilities, (),
                      (insert_returning, update_returning, delete_returning,
                       returning_order_matches_values, multi_row_values, max_rows_per_insert,
                       max_parameters, native_boolean, native_uuid, native_json, native_decimal,
                       timezone_aware_datetime, savepoints, server_side_cursors, nulls_ordering, ilike,
                       is_distinct_from, intersect_except, full_outer_join, upsert_conflict_target,
                       transactional_ddl, check_constraints_enforced, for_update, for_update_nowait,
                       for_update_skip_locked))

}  // namespace retort::sql
