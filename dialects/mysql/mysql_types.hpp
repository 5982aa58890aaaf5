// How Retort values travel through Connector/C's binary protocol.
//
// Parameters: one MYSQL_BIND per value. Integers are LONGLONG, booleans TINY
// (BOOL is TINYINT(1)), decimals NEWDECIMAL text, dates and times MYSQL_TIME
// with microseconds, an instant its UTC date and time (DATETIME columns hold no
// zone; the session runs at time_zone '+00:00'), a UUID its 32 hex digits
// (CHAR(32)), JSON its text, bytes a BLOB.
//
// Results: each column is read by its MYSQL_FIELD type: integers as int64,
// FLOAT/DOUBLE as double, DECIMAL as Decimal, DATE/TIME/DATETIME from
// MYSQL_TIME, strings as std::string unless the column's character set is
// binary (charsetnr 63: BLOB, VARBINARY), which reads as Bytes. What the field
// type cannot tell (a BOOL, a UUID, a JSON document, an instant) the dialect's
// result converters finish from the statement's declared column types.
#pragma once

#include <mysql.h>

#include <span>
#include <string>
#include <vector>

#include "retort/plugin/dialect.hpp"

namespace retort::mysql {

/// The MYSQL_BINDs of one execution's parameters. Strings, bytes and JSON are
/// not copied: the binds point into `params`, which must outlive the execution.
class ParamBinds {
public:
    explicit ParamBinds(std::span<const Value> params);
    ParamBinds(const ParamBinds&) = delete;
    ParamBinds& operator=(const ParamBinds&) = delete;
    MYSQL_BIND* data() { return binds_.empty() ? nullptr : binds_.data(); }
    std::size_t size() const { return binds_.size(); }

private:
    // Storage for what is not already laid out as the library wants it.
    struct Scratch {
        long long integer = 0;
        double real = 0;
        signed char tiny = 0;
        MYSQL_TIME time{};
        std::string text;
    };
    std::vector<MYSQL_BIND> binds_;
    std::vector<Scratch> scratch_;  // sized once: the binds point into it
};

/// Reads the rows of an executed statement's result, one MYSQL_BIND per column
/// sized for ordinary values; a longer value (a LONGTEXT of megabytes) is
/// fetched afterwards with mysql_stmt_fetch_column straight into its Value.
class RowReader {
public:
    /// Binds the columns of `stmt`'s current result (its metadata as of the last execute).
    explicit RowReader(MYSQL_STMT* stmt);
    RowReader(const RowReader&) = delete;
    RowReader& operator=(const RowReader&) = delete;
    const std::vector<std::string>& column_names() const { return names_; }
    std::size_t width() const { return columns_.size(); }
    /// Appends the values of the row mysql_stmt_fetch just returned (0 or MYSQL_DATA_TRUNCATED).
    void read_row(std::vector<Value>& out);

private:
    enum class ReadAs { null, integer, unsigned_integer, float_, double_, decimal, text, bytes, bit, date, time, datetime };
    static constexpr std::size_t inline_size = 256;
    struct Column {
        ReadAs as = ReadAs::text;
        unsigned long length = 0;
        my_bool is_null = 0;
        my_bool error = 0;
        long long integer = 0;
        float real32 = 0;
        double real64 = 0;
        MYSQL_TIME time{};
        char buffer[inline_size];
    };
    /// The bytes of variable-length column `i`, whole.
    template <class Out>
    Out fetch_whole(std::size_t i);

    MYSQL_STMT* stmt_;
    std::vector<Column> columns_;  // sized once: the binds point into it
    std::vector<MYSQL_BIND> binds_;
    std::vector<std::string> names_;
};

/// A text-protocol value (mysql_fetch_row) of column `field`, typed by the field.
Value text_value(const MYSQL_FIELD& field, const char* data, unsigned long length);

/// `v` as an SQL literal for the text protocol, strings escaped by `m`'s character set.
std::string sql_literal(MYSQL* m, const Value& v);

/// The converter from a value as read to the application's value of `type`.
plugin::ValueConverter result_converter(const SqlType& type);

}  // namespace retort::mysql
