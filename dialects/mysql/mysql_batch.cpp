// execute_many by array binding: MariaDB runs every parameter set of a batch
// in one COM_STMT_BULK_EXECUTE, one round trip where a loop makes one per set.
// A batch it cannot take that way (MySQL, a column whose values are of more
// than one kind, a date or time value, a statement the server cannot prepare)
// runs set by set.
#include <mysql.h>

#include <span>
#include <string>
#include <vector>

#include "mysql_connection.hpp"
#include "mysql_drive.hpp"
#include "mysql_errors.hpp"

namespace retort::mysql {

using plugin::awaitable;

namespace {

/// One column of a batch, bound column-wise: fixed-size values in an array,
/// variable-length ones as an array of pointers with their lengths, a NULL as
/// its row's indicator.
struct BulkColumn {
    enum_field_types type = MYSQL_TYPE_NULL;
    std::vector<long long> integers;
    std::vector<double> reals;
    std::vector<signed char> tinies;
    std::vector<char*> pointers;
    std::vector<unsigned long> lengths;
    std::vector<std::string> owned;  // text made for a value not stored as text (DECIMAL, UUID)
    std::vector<char> indicators;
};

// A zero-length value must still point somewhere: a null pointer reads as NULL.
char empty_text[1] = {0};

char* text_of(const char* data, std::size_t size) { return size ? const_cast<char*>(data) : empty_text; }

/// The MySQL type one kind of Value is bound as in a batch, or nothing when a
/// batch cannot carry it (dates and times go set by set, bound one by one).
std::optional<enum_field_types> bulk_type(const Value& v) {
    switch (v.index()) {
        case 1: return MYSQL_TYPE_TINY;
        case 2: return MYSQL_TYPE_LONGLONG;
        case 3: return MYSQL_TYPE_DOUBLE;
        case 4:
        case 11:
        case 12: return MYSQL_TYPE_STRING;
        case 5: return MYSQL_TYPE_BLOB;
        case 6: return MYSQL_TYPE_NEWDECIMAL;
        default: return std::nullopt;
    }
}

/// The MYSQL_BINDs of a whole batch, or !ok() when it cannot go as one.
class BulkBinds {
public:
    explicit BulkBinds(std::span<const std::vector<Value>> sets) {
        const std::size_t width = sets.front().size(), rows = sets.size();
        columns_.resize(width);
        for (const auto& set : sets)
            if (set.size() != width) return;
        for (std::size_t c = 0; c < width; ++c) {
            BulkColumn& col = columns_[c];
            for (const auto& set : sets) {
                if (is_null(set[c])) continue;
                auto t = bulk_type(set[c]);
                if (!t || (col.type != MYSQL_TYPE_NULL && col.type != *t)) return;  // one kind per column
                col.type = *t;
            }
            col.indicators.resize(rows, STMT_INDICATOR_NONE);
            if (col.type == MYSQL_TYPE_LONGLONG) col.integers.resize(rows);
            else if (col.type == MYSQL_TYPE_DOUBLE) col.reals.resize(rows);
            else if (col.type == MYSQL_TYPE_TINY) col.tinies.resize(rows);
            else {
                col.pointers.resize(rows, empty_text);
                col.lengths.resize(rows, 0);
                col.owned.resize(rows);
            }
            for (std::size_t r = 0; r < rows; ++r) {
                const Value& v = sets[r][c];
                if (is_null(v)) {
                    col.indicators[r] = STMT_INDICATOR_NULL;
                    continue;
                }
                auto text = [&](const char* data, std::size_t size) {
                    col.pointers[r] = text_of(data, size);
                    col.lengths[r] = static_cast<unsigned long>(size);
                };
                auto owned = [&](std::string s) {
                    col.owned[r] = std::move(s);
                    text(col.owned[r].data(), col.owned[r].size());
                };
                switch (v.index()) {
                    case 1: col.tinies[r] = std::get<bool>(v) ? 1 : 0; break;
                    case 2: col.integers[r] = std::get<std::int64_t>(v); break;
                    case 3: col.reals[r] = std::get<double>(v); break;
                    case 4: text(std::get<std::string>(v).data(), std::get<std::string>(v).size()); break;
                    case 5: {
                        const Bytes& b = std::get<Bytes>(v);
                        text(reinterpret_cast<const char*>(b.data()), b.size());
                        break;
                    }
                    case 6: owned(std::get<Decimal>(v).str()); break;
                    case 11: owned(std::get<Uuid>(v).hex()); break;
                    case 12: text(std::get<Json>(v).text.data(), std::get<Json>(v).text.size()); break;
                }
            }
        }
        binds_.resize(width);
        for (std::size_t c = 0; c < width; ++c) {
            BulkColumn& col = columns_[c];
            MYSQL_BIND& b = binds_[c];
            b = MYSQL_BIND{};
            b.buffer_type = col.type;
            b.u.indicator = col.indicators.data();
            if (col.type == MYSQL_TYPE_LONGLONG) b.buffer = col.integers.data();
            else if (col.type == MYSQL_TYPE_DOUBLE) b.buffer = col.reals.data();
            else if (col.type == MYSQL_TYPE_TINY) b.buffer = col.tinies.data();
            else if (col.type != MYSQL_TYPE_NULL) {
                b.buffer = col.pointers.data();
                b.length = col.lengths.data();
            }
        }
        ok_ = true;
    }
    BulkBinds(const BulkBinds&) = delete;
    BulkBinds& operator=(const BulkBinds&) = delete;

    bool ok() const { return ok_; }
    MYSQL_BIND* data() { return binds_.data(); }

private:
    std::vector<BulkColumn> columns_;
    std::vector<MYSQL_BIND> binds_;
    bool ok_ = false;
};

/// Sets a statement's array size for one execution and back to 0 after: the
/// statement is cached, and its next single execution must not see it.
/// Whether the server takes a batch in one execution (MariaDB 10.2 and later).
bool bulk_supported(MYSQL* m) {
    unsigned long extended = 0;
    if (mariadb_get_infov(m, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &extended)) return false;
    return extended & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32);
}

struct ArraySize {
    ArraySize(MYSQL_STMT* s, unsigned n) : stmt(s) { mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &n); }
    ~ArraySize() {
        unsigned none = 0;
        mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &none);
    }
    MYSQL_STMT* stmt;
};

}  // namespace

awaitable<std::int64_t> MysqlConnection::execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets) {
    if (param_sets.size() < 2 || !mariadb_) co_return co_await plugin::Connection::execute_many(sql, param_sets);
    BulkBinds binds(param_sets);
    if (!binds.ok() || param_sets.front().empty()) co_return co_await plugin::Connection::execute_many(sql, param_sets);
    co_await begin_operation(sql);
    co_await enter_statement();
    Prepared p = co_await prepared(sql, true);
    if (!p.stmt) co_return co_await plugin::Connection::execute_many(sql, param_sets);
    std::exception_ptr failure;
    std::int64_t total = 0;
    bool bulk = bulk_supported(m_) && mysql_stmt_param_count(p.stmt) == param_sets.front().size();
    if (bulk) {
        try {
            ArraySize size(p.stmt, static_cast<unsigned>(param_sets.size()));
            if (mysql_stmt_bind_param(p.stmt, binds.data())) fail(statement_diagnostics(p.stmt, sql));
            int rc = 0;
            co_await drive([&] { return mysql_stmt_execute_start(&rc, p.stmt); },
                           [&](int ev) { return mysql_stmt_execute_cont(&rc, p.stmt, ev); });
            if (rc) fail(statement_diagnostics(p.stmt, sql));
            total = static_cast<std::int64_t>(mysql_stmt_affected_rows(p.stmt));
        } catch (...) {
            failure = std::current_exception();
        }
    }
    if (!p.cached) co_await discard_statement(p.stmt);  // (no co_await in a catch block)
    if (failure) std::rethrow_exception(failure);
    if (!bulk) co_return co_await plugin::Connection::execute_many(sql, param_sets);
    co_return total;
}

}  // namespace retort::mysql
