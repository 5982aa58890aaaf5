#include "minisql_types.hpp"

namespace minisql {

using namespace retort;

namespace {

// SQLITE_TRANSIENT: SQLite copies the text, which may be a temporary.
int bind_text(sqlite3_stmt* s, int i, const std::string& text) {
    return sqlite3_bind_text64(s, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

struct Binder {
    sqlite3_stmt* s;
    int i;
    int operator()(Null) const { return sqlite3_bind_null(s, i); }
    int operator()(bool b) const { return sqlite3_bind_int(s, i, b ? 1 : 0); }
    int operator()(std::int64_t n) const { return sqlite3_bind_int64(s, i, n); }
    int operator()(double d) const { return sqlite3_bind_double(s, i, d); }
    int operator()(const std::string& t) const { return bind_text(s, i, t); }
    int operator()(const Bytes& b) const {
        static const unsigned char empty = 0;  // an empty blob is a blob, not NULL: a non-null pointer
        return sqlite3_bind_blob64(s, i, b.empty() ? &empty : b.data(), b.size(), SQLITE_TRANSIENT);
    }
    int operator()(const Decimal& d) const { return bind_text(s, i, d.str()); }
    int operator()(Date d) const { return bind_text(s, i, format_date(d)); }
    int operator()(Time t) const { return bind_text(s, i, format_time(t)); }
    int operator()(DateTime t) const { return bind_text(s, i, format_datetime(t)); }
    int operator()(Timestamp t) const { return bind_text(s, i, format_datetime(DateTime{t.time_since_epoch()})); }
    int operator()(const Uuid& u) const { return bind_text(s, i, u.hex()); }
    int operator()(const Json& j) const { return bind_text(s, i, j.text); }
};

}  // namespace

int bind_value(sqlite3_stmt* stmt, int index, const Value& v) { return std::visit(Binder{stmt, index}, v); }

Value column_value(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
        case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(s, i)};
        case SQLITE_FLOAT: return sqlite3_column_double(s, i);
        case SQLITE_TEXT:
            return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                               static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
        case SQLITE_BLOB: {
            auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
            return Bytes(p, p + sqlite3_column_bytes(s, i));
        }
        default: return null;
    }
}

}  // namespace minisql
