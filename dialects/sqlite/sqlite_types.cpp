#include "sqlite_types.hpp"

#include "retort/error.hpp"
#include "sqlite_errors.hpp"


namespace retort::sqlite {

namespace {

int bind_text(sqlite3_stmt* s, int i, const std::string& text, bool copy) {
    return sqlite3_bind_text64(s, i, text.data(), text.size(), copy ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8);
}

}  // namespace

int bind_value(sqlite3_stmt* s, int i, const Value& v, bool copy) {
    struct Binder {
        sqlite3_stmt* s;
        int i;
        bool copy;
        int operator()(Null) const { return sqlite3_bind_null(s, i); }
        int operator()(bool b) const { return sqlite3_bind_int(s, i, b ? 1 : 0); }
        int operator()(std::int64_t n) const { return sqlite3_bind_int64(s, i, n); }
        int operator()(double d) const { return sqlite3_bind_double(s, i, d); }
        int operator()(const std::string& t) const { return bind_text(s, i, t, copy); }
        int operator()(const Bytes& b) const {
            // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
            static const unsigned char empty = 0;
            return sqlite3_bind_blob64(s, i, b.empty() ? &empty : b.data(), b.size(), copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
        }
        // Text built here is temporary: SQLite must always copy it.
        int operator()(const Decimal& d) const { return bind_text(s, i, d.str(), true); }
        int operator()(Date d) const { return bind_text(s, i, format_date(d), true); }
        int operator()(Time t) const { return bind_text(s, i, format_time(t), true); }
        int operator()(DateTime t) const { return bind_text(s, i, format_datetime(t), true); }
        // An instant is stored as its UTC date and time, without an offset.
        int operator()(Timestamp t) const { return bind_text(s, i, format_datetime(DateTime{t.time_since_epoch()}), true); }
        int operator()(const Uuid& u) const { return bind_text(s, i, u.hex(), true); }
        int operator()(const Json& j) const { return bind_text(s, i, j.text, copy); }
    };
    return std::visit(Binder{s, i, copy}, v);
}

Value column_value(sqlite3_stmt* s, int i) {
    switch (sqlite3_column_type(s, i)) {
        case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(s, i)};
        case SQLITE_FLOAT: return sqlite3_column_double(s, i);
        case SQLITE_TEXT: {
            auto p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
            return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
        }
        case SQLITE_BLOB: {
            auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
            return Bytes(p, p + sqlite3_column_bytes(s, i));
        }
        default: return null;
    }
}

// ---- statements ----------------------------------------------------------------------

void bind_all(sqlite3* db, sqlite3_stmt* stmt, std::span<const Value> params, const std::string& sql, bool copy) {
    int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
        Diagnostics d;
        d.native_code = SQLITE_RANGE;
        d.message = "the statement takes " + std::to_string(expected) + " parameters, " +
                    std::to_string(params.size()) + " were given";
        d.statement = sql;
        throw ProgrammingError(std::move(d));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
        int rc = bind_value(stmt, static_cast<int>(i + 1), params[i], copy);
        if (rc != SQLITE_OK) raise_error(db, rc, sql);
    }
}

std::vector<std::string> read_column_names(sqlite3_stmt* stmt) {
    int n = sqlite3_column_count(stmt);
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const char* name = sqlite3_column_name(stmt, i);
        names.emplace_back(name ? name : "");
    }
    return names;
}

// Steps up to `max_rows` rows into `out`; returns how many, and sets `done` at the end.
std::size_t step_rows(sqlite3* db, sqlite3_stmt* stmt, std::vector<Value>& out, std::size_t max_rows, bool& done,
                      const std::string& sql) {
    int width = sqlite3_column_count(stmt);
    std::size_t rows = 0;
    while (rows < max_rows) {
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_DONE) {
            done = true;
            break;
        }
        if (rc != SQLITE_ROW) raise_error(db, rc, sql);
        for (int i = 0; i < width; ++i) out.push_back(column_value(stmt, i));
        ++rows;
    }
    return rows;
}

}  // namespace retort::sqlite
