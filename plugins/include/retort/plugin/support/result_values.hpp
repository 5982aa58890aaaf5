// The standard result converter: what a driver read, made into the value a
// column of the statement's declared type holds.
//
// Drivers read what the wire or the storage gives: SQLite's INTEGER, REAL, TEXT
// and BLOB, a text protocol's strings, MySQL's DECIMAL for SUM() of integers,
// PostgreSQL's timestamptz for now(). The core then calls the dialect's
// Dialect::result_converter(type) on each value; this one serves every built-in
// dialect, and any other whose driver reads values in these forms:
//
//   integer     an exact Decimal, a whole double or integer text  -> std::int64_t
//   boolean     an integer or Decimal                              -> bool (non-zero)
//   float       an integer, Decimal or number text                 -> double
//   numeric     an integer, double (its exact shortest text) or    -> Decimal, at the
//               text                                                  type's scale if it has one
//   string      an integer, double (shortest exact text), Decimal,
//               bytes, Json or Uuid                                -> std::string
//   binary      text                                               -> Bytes
//   date        ISO text, a DateTime                               -> Date
//   time        ISO text                                           -> Time
//   datetime    ISO text, a Date; an instant for a zone-aware type -> DateTime / Timestamp
//               (a naive reading is taken as UTC, as the built-in drivers store instants)
//   uuid        text (with or without dashes), 16 bytes            -> Uuid
//   json        text, bytes, a number                              -> Json
// A value already of the right form, and NULL, are left as they are. Text that
// is not a number is left as text for a numeric type (reading it as a number is
// then the application's conversion error); a date, time or UUID text that does
// not parse throws. A dialect with a peculiar form of its
// own (MySQL's TIME beyond 24 hours) handles that kind and defers the rest here.
#pragma once

#include "retort/plugin/dialect.hpp"

namespace retort::plugin::support {

/// The converter for a result column of `type` (null for a type needing none).
ValueConverter standard_result_converter(const SqlType& type);

}  // namespace retort::plugin::support
