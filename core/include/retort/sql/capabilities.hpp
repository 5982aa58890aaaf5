// What a dialect can do. The compiler, the engine, the ORM and the conformance
// kit ask these flags; nothing anywhere asks which database it is talking to.
// A dialect reports them truthfully (Dialect::compiler().capabilities()): the
// conformance kit holds it to each one, and `retort plugins` lists them.
//
// For each flag: what it switches in Retort when set, and when not.
#pragma once

#include <boost/describe/class.hpp>
#include <cstddef>

namespace retort::sql {

struct Capabilities {
    /// INSERT/UPDATE/DELETE ... RETURNING. Set: the ORM reads generated keys and
    /// server defaults back in the INSERT itself, many rows per statement. Not
    /// set: returning() is a CompileError, and the ORM inserts a row at a time,
    /// reading the key from the driver's last insert id (or
    /// Dialect::generated_key_query) and other defaults with a SELECT.
    bool insert_returning = false;
    bool update_returning = false;
    bool delete_returning = false;
    /// INSERT ... VALUES (...), (...). Not set: a multi-row insert() is a
    /// CompileError and the ORM sends one row per statement.
    bool multi_row_values = true;
    /// The most rows the ORM puts in one multi-row INSERT.
    std::size_t max_rows_per_insert = 1000;
    /// execute_many() of a one-row INSERT ... VALUES (no RETURNING, no upsert)
    /// sends multi-row INSERTs of up to max_rows_per_insert rows instead
    /// (SQLAlchemy's insertmanyvalues): for a driver with no faster bulk path
    /// (MariaDB's array binding is one).
    bool insert_many_values = false;
    /// The most bound parameters in one statement: the ORM's batches stay under
    /// it, and a statement with more (a long IN list) is an ArgumentError, unsent.
    std::size_t max_parameters = 32766;
    /// A real BOOLEAN: literals render TRUE/FALSE (else 1/0).
    bool native_boolean = false;
    /// A UUID column type: literals render with dashes (else 32 hex digits,
    /// as the driver binds them).
    bool native_uuid = false;
    /// The server refuses text that is not JSON in a JSON column (checked by the
    /// kit both ways).
    bool native_json = false;
    /// NUMERIC keeps every digit (SQLite keeps a double: the kit's exactness
    /// case is skipped).
    bool native_decimal = true;
    /// DateTime(timezone=true) is stored with its offset or as an instant:
    /// literals render the offset (else the UTC reading).
    bool timezone_aware_datetime = false;
    /// SAVEPOINT / RELEASE / ROLLBACK TO: begin_nested() and nested
    /// transactions. The kit's savepoint cases skip without it.
    bool savepoints = true;
    /// ORDER BY ... NULLS FIRST/LAST. Not set: emulated with an `x IS NULL` key first.
    bool nulls_ordering = true;
    /// A native ILIKE. Not set: emulated as lower(a) LIKE lower(b).
    bool ilike = false;
    /// INTERSECT and EXCEPT. Not set: a CompileError.
    bool intersect_except = true;
    /// FULL OUTER JOIN. Not set: a CompileError (MySQL has none).
    bool full_outer_join = false;
    /// An upsert names the unique key whose clash it handles (ON CONFLICT (cols)).
    /// Not set (MySQL's ON DUPLICATE KEY UPDATE): a clash on any unique key
    /// takes the update path; the kit checks which.
    bool upsert_conflict_target = true;
    /// DDL takes part in transactions: a rolled-back CREATE TABLE is gone. Not
    /// set (MySQL): DDL commits; the kit checks which.
    bool transactional_ddl = false;
    /// CHECK constraints are enforced: a violation is an IntegrityError naming it.
    bool check_constraints_enforced = true;
    /// SELECT ... FOR UPDATE locks the rows it reads. Not set (SQLite, whose
    /// write transactions lock the whole database): with_for_update() is left out.
    bool for_update = false;
    /// FOR UPDATE NOWAIT / SKIP LOCKED. Not set: asking for it is a CompileError.
    bool for_update_nowait = false;
    bool for_update_skip_locked = false;
};

/// Each flag by name (Boost.Describe): `retort plugins` lists them, the
/// conformance kit names the flag that skips a case.
BOOST_DESCRIBE_STRUCT(Capabilities, (),
                      (insert_returning, update_returning, delete_returning, multi_row_values,
                       max_rows_per_insert, insert_many_values, max_parameters, native_boolean, native_uuid, native_json,
                       native_decimal, timezone_aware_datetime, savepoints, nulls_ordering, ilike,
                       intersect_except, full_outer_join, upsert_conflict_target, transactional_ddl,
                       check_constraints_enforced, for_update, for_update_nowait, for_update_skip_locked))

}  // namespace retort::sql
