// How Retort values travel to and from PostgreSQL through libpq.
//
// Parameters go as text (the server parses them into whatever type the
// statement needs), except bytes, which go in binary to skip escaping; each is
// sent with the type OID of its C++ kind so that expressions such as `$1 * $2`
// have types, strings and JSON with OID 0 ("unknown") so the server infers the
// column's own type (VARCHAR, UUID, JSONB...).
//
// Results come in binary when every column's type has a binary decoder here
// (the common fixed-width types, text and bytea: decoding binary is about 25
// times cheaper than parsing text, async-drivers.md §1.5), and in text
// otherwise; libpq allows only one format per query.
#pragma once

#include <libpq-fe.h>

#include <span>
#include <string>
#include <vector>

#include "retort/plugin/dialect.hpp"

namespace retort::postgresql {

/// The parameters of one execution in libpq's four parallel arrays.
class EncodedParams {
public:
    /// Encodes `params`; throws DataError for a value PostgreSQL cannot hold (a NUL in text).
    explicit EncodedParams(std::span<const Value> params);
    // values() points into storage_ (short strings live inside their object): never moved.
    EncodedParams(const EncodedParams&) = delete;
    EncodedParams& operator=(const EncodedParams&) = delete;
    int count() const { return static_cast<int>(values_.size()); }
    std::span<const Oid> type_span() const { return types_; }
    const char* const* values() const { return values_.data(); }
    const int* lengths() const { return lengths_.data(); }
    const int* formats() const { return formats_.data(); }

private:
    std::vector<std::string> storage_;
    std::vector<Oid> types_;
    std::vector<const char*> values_;
    std::vector<int> lengths_, formats_;
};

/// The type OID a value of this kind is sent as (0: let the server infer it).
Oid parameter_type(const Value& v);

/// True when a column of type `oid` can be read in binary format.
bool has_binary_decoder(Oid oid);

/// The value of row `row`, column `col` of `res`, in the result's own format.
/// Unknown types read as their text (only possible in text format).
Value decode(const PGresult* res, int row, int col);

/// The column names of a result.
std::vector<std::string> column_names(const PGresult* r);
/// Appends every row of `r` to `out`, row-major, decoded.
void append_rows(const PGresult* r, std::vector<Value>& out);

}  // namespace retort::postgresql
