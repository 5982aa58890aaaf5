// PgConnection's statements: every request goes out in pipeline mode (a
// deferred BEGIN in front, the sync behind), prepared statements are cached
// per connection, and execute() is a pipeline of one request.
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <cstring>
#include <deque>
#include <optional>

#include "postgresql_connection.hpp"
#include "postgresql_cursor.hpp"
#include "postgresql_errors.hpp"
#include "retort/error.hpp"

namespace retort::postgresql {

namespace {

// Rows changed, for the statements that change rows (the tag of a SELECT counts rows read).
std::int64_t rows_affected(const PGresult* r) {
    std::string_view tag = PQcmdStatus(const_cast<PGresult*>(r));
    if (!(tag.starts_with("INSERT") || tag.starts_with("UPDATE") || tag.starts_with("DELETE") || tag.starts_with("MERGE")))
        return -1;
    const char* n = PQcmdTuples(const_cast<PGresult*>(r));
    if (!n || !*n) return -1;
    std::int64_t v = -1;
    std::from_chars(n, n + std::strlen(n), v);
    return v;
}

// What DECLARE ... CURSOR FOR accepts: a query that changes nothing. A WITH
// may hold an INSERT, so it streams in single-row mode like DML ... RETURNING.
bool is_plain_query(std::string_view sql) {
    auto start = sql.find_first_not_of(" \t\r\n(");
    if (start == std::string_view::npos) return false;
    auto end = start;
    while (end < sql.size() && std::isalpha(static_cast<unsigned char>(sql[end]))) ++end;
    std::string word(sql.substr(start, end - start));
    for (auto& ch : word) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return word == "SELECT" || word == "VALUES" || word == "TABLE";
}

bool is_stale_plan(const DBAPIError& e) {
    // After DDL changed what a cached statement returns, PostgreSQL refuses to
    // run its old plan; preparing it again is the cure.
    return e.sqlstate() == "0A000" && e.diagnostics().message.find("cached plan must not change result type") != std::string::npos;
}

}  // namespace

namespace {

constexpr std::size_t max_pipelined_texts = 8;  // far below the statement cache's size

/// The parameter types one prepared statement runs every one of `sets` with:
/// each the type its values have (a NULL's, 0, says nothing), or nullopt when
/// they disagree.
/// The parameter sets one request text runs with (inline: no allocation for a few).
using ParamSets = boost::container::small_vector<const EncodedParams*, 4>;
/// Parameter types, inline for the usual few.
using Oids = boost::container::small_vector<Oid, 8>;

std::optional<Oids> common_types(const ParamSets& sets) {
    Oids types(sets.front()->type_span().begin(), sets.front()->type_span().end());
    for (const auto* e : sets) {
        if (e->type_span().size() != types.size()) return std::nullopt;
        for (std::size_t i = 0; i < types.size(); ++i) {
            Oid t = e->type_span()[i];
            if (t == 0) continue;
            if (types[i] != 0 && types[i] != t) return std::nullopt;
            types[i] = t;
        }
    }
    return types;
}

/// `on_result`, once the first `n` results (a BEGIN's, sent in front) have gone by.
template <class F>
auto after(std::size_t n, F on_result) {
    return [n, on_result](const PGresult* r) mutable {
        if (n) --n;
        else on_result(r);
    };
}

}  // namespace

template <class F>
plugin::awaitable<void> PgConnection::read_to_sync(const std::string& sql, F on_result, std::exception_ptr first_error) {
    for (;;) {
        ResultPtr r;
        try {
            r = co_await next_result(sql);
        } catch (const OperationalError&) {
            // The connection died: the server's own reason (a terminated
            // session, say) is the better report when there is one.
            if (first_error) std::rethrow_exception(first_error);
            throw;
        }
        if (!r) continue;
        auto st = r.status();
        if (st == PGRES_PIPELINE_SYNC) break;
        if (first_error || st == PGRES_PIPELINE_ABORTED) continue;
        try {
            if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR)
                raise_result_error(conn_, r.r, sql);
            on_result(r.r);
        } catch (...) {
            first_error = std::current_exception();  // kept until the pipeline is drained
        }
    }
    if (first_error) std::rethrow_exception(first_error);
}

plugin::awaitable<void> PgConnection::finish_request(const std::string& sql, std::exception_ptr first_error) {
    auto ignore = [](const PGresult*) {};
    co_await read_to_sync(sql, ignore, first_error);
}

template <class F>
plugin::awaitable<void> PgConnection::sync_and_read(const std::string& sql, F on_result) {
    if (!PQpipelineSync(conn_)) fail(sql);
    co_await flush(sql);
    co_await read_behind_rollback();
    co_await read_to_sync(sql, on_result, nullptr);
}

plugin::awaitable<void> PgConnection::read_behind_rollback() {
    // The ROLLBACK that ended the last user's transaction (rollback_on_release)
    // was answered ahead of this request, which went out behind it without
    // waiting: one round trip for both. Should it fail, this request's own
    // results are left unread, and the connection is not used again.
    if (!unread_rollback_) co_return;
    std::exception_ptr failure;
    try {
        co_await settle();
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure) {
        broken_ = true;
        std::rethrow_exception(failure);
    }
}

std::size_t PgConnection::send_deallocations() {
    // In a failed transaction every command but ROLLBACK fails, and a failing
    // DEALLOCATE would abort the statement queued behind it: wait for better times.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) return 0;
    std::size_t sent = to_deallocate_.size();
    for (const auto& name : to_deallocate_) {
        std::string sql = "DEALLOCATE " + name;
        if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) fail(sql);
    }
    to_deallocate_.clear();
    return sent;
}

void PgConnection::evict(const std::string& sql) {
    if (auto st = statements_.take(sql)) to_deallocate_.push_back(std::move(st->name));
}

plugin::awaitable<const PreparedStatement*> PgConnection::prepare(const std::string& sql, std::span<const Oid> types) {
    if (const PreparedStatement* cached = statements_.find(sql)) {
        const auto& st = *cached;
        // The server fixed each parameter's type when it prepared the statement;
        // a value of another kind now needs a statement typed for it.
        bool compatible = st.param_types.size() == types.size();
        for (std::size_t i = 0; compatible && i < types.size(); ++i) {
            // 0 now: a NULL, which fits any type. 0 then: the server inferred the
            // type (int4 for `$1 + 1`), which a value of a stated type may not fit.
            Oid now = types[i], then = st.param_types[i];
            compatible = now == 0 || now == then;
        }
        if (compatible) co_return cached;
        evict(sql);
    }
    PreparedStatement st;
    st.name = "retort_" + std::to_string(++statement_counter_);
    st.param_types.assign(types.begin(), types.end());
    const std::size_t deallocations = send_deallocations();
    if (!PQsendPrepare(conn_, st.name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()) ||
        !PQsendDescribePrepared(conn_, st.name.c_str()))
        fail(sql);
    std::size_t seen = 0;
    bool binary = true;
    auto describe = [&](const PGresult* r) {
        // After the DEALLOCATEs come Parse's result, then the description of the result columns.
        if (++seen != deallocations + 2) return;
        for (int i = 0; i < PQnfields(r); ++i) binary = binary && has_binary_decoder(PQftype(r, i));
    };
    co_await sync_and_read(sql, describe);
    st.binary_results = binary;
    for (auto& old : statements_.put(sql, std::move(st))) to_deallocate_.push_back(std::move(old.name));
    co_return &statements_.front();
}

void PgConnection::send_prepared(const std::string& sql, const PreparedStatement& st, const EncodedParams& params) {
    if (!PQsendQueryPrepared(conn_, st.name.c_str(), params.count(), params.values(), params.lengths(), params.formats(),
                             st.binary_results ? 1 : 0))
        fail(sql);
}

plugin::awaitable<plugin::RawResult> PgConnection::execute(const std::string& sql, std::span<const Value> params) {
    const Request one{&sql, params};
    auto results = co_await execute_pipeline(std::span<const Request>(&one, 1));
    co_return std::move(results.front());
}

plugin::awaitable<std::vector<plugin::RawResult>> PgConnection::execute_pipeline(std::span<const Request> requests) {
    if (requests.empty()) co_return std::vector<plugin::RawResult>{};
    const std::string& first_sql = *requests.front().sql;
    check_usable(first_sql);
    // Every statement goes through here (execute() is a pipeline of one): the
    // bookkeeping below is inline for a few requests and allocates only the
    // encoded parameters, once.
    auto encoded = std::make_unique<std::optional<EncodedParams>[]>(requests.size());  // built in place: they cannot move
    for (std::size_t i = 0; i < requests.size(); ++i) encoded[i].emplace(requests[i].params);
    // One prepared statement per text, with parameter types every request of
    // that text fits. Too many texts, or requests that disagree, go one by one.
    struct Text {
        const std::string* sql;
        ParamSets sets;
        Oids types;
        PreparedStatement st;  ///< its name and result format (what sending needs)
    };
    boost::container::small_vector<Text, 2> texts;
    boost::container::small_vector<std::size_t, 4> text_of(requests.size());
    for (std::size_t i = 0; i < requests.size(); ++i) {
        auto it = std::find_if(texts.begin(), texts.end(), [&](const Text& t) { return *t.sql == *requests[i].sql; });
        if (it == texts.end()) it = texts.insert(texts.end(), Text{requests[i].sql, {}, {}, {}});
        it->sets.push_back(&*encoded[i]);
        text_of[i] = static_cast<std::size_t>(it - texts.begin());
    }
    bool one_by_one = texts.size() > max_pipelined_texts;
    for (auto& t : texts) {
        auto types = common_types(t.sets);
        if (types) t.types = std::move(*types);
        else one_by_one = true;
    }
    if (one_by_one) co_return co_await plugin::Connection::execute_pipeline(requests);
    // A statement whose plan went stale after DDL is prepared again and rerun
    // once, where nothing is lost by it: outside a transaction, or as the first
    // statement of one (its failure aborted only a transaction with nothing in
    // it, begun again here). Later in a transaction the error stands: the
    // caller decides what to redo; the next execution prepares afresh.
    const bool first_in_transaction = std::exchange(fresh_transaction_, false);
    for (int attempt = 0;; ++attempt) {
        // (Behind an unread ROLLBACK the server is idle, whatever libpq last heard.)
        bool idle = !begin_.pending() && (unread_rollback_ || PQtransactionStatus(conn_) == PQTRANS_IDLE);
        std::exception_ptr failure;
        bool begin_again = false;
        try {
            // A text not prepared yet is prepared first, a round trip of its
            // own, once. What sending needs is copied: preparing one text may
            // move another's cache entry.
            for (auto& t : texts) {
                const PreparedStatement* st = co_await prepare(*t.sql, t.types);
                t.st.name = st->name;
                t.st.binary_results = st->binary_results;
            }
            const std::size_t begun = send_begin(first_sql);  // BEGIN and the statements: one round trip
            for (std::size_t i = 0; i < requests.size(); ++i) send_prepared(*requests[i].sql, texts[text_of[i]].st, *encoded[i]);
            std::vector<plugin::RawResult> out(requests.size());
            std::size_t next = 0;
            auto collect = [&](const PGresult* r) {
                plugin::RawResult& o = out.at(next++);
                if (PQresultStatus(r) == PGRES_TUPLES_OK) {
                    o.column_names = column_names(r);
                    append_rows(r, o.values);
                }
                o.rows_affected = rows_affected(r);
            };
            co_await sync_and_read(first_sql, after(begun, collect));
            co_return out;
        } catch (const DBAPIError& e) {
            bool stale = is_stale_plan(e);
            if (stale)
                for (const auto& t : texts) evict(*t.sql);
            begin_again = stale && !idle && first_in_transaction;
            if (!stale || attempt > 0 || !(idle || begin_again)) failure = std::current_exception();
        }
        if (failure) std::rethrow_exception(failure);
        if (begin_again) {
            co_await run_simple("ROLLBACK");
            co_await run_simple("BEGIN");
        }
    }
}

plugin::awaitable<std::int64_t> PgConnection::execute_many(const std::string& sql,
                                                           std::span<const std::vector<Value>> param_sets) {
    check_usable(sql);
    if (param_sets.empty()) co_return 0;
    std::deque<EncodedParams> encoded;  // a deque builds them in place: they cannot move
    for (const auto& params : param_sets) encoded.emplace_back(params);
    // One statement serves the batch; sets that disagree run one by one.
    ParamSets sets;
    for (const auto& e : encoded) sets.push_back(&e);
    auto types = common_types(sets);
    if (!types) co_return co_await plugin::Connection::execute_many(sql, param_sets);
    fresh_transaction_ = false;
    const PreparedStatement* st = co_await prepare(sql, *types);
    // Every execution queued behind one Sync: one round trip for the batch, and
    // after a failure the server skips the rest (PGRES_PIPELINE_ABORTED).
    const std::size_t begun = send_begin(sql);
    for (const auto& e : encoded) send_prepared(sql, *st, e);
    std::int64_t total = 0;
    auto count = [&](const PGresult* r) {
        auto n = rows_affected(r);
        total = n < 0 || total < 0 ? -1 : total + n;
    };
    co_await sync_and_read(sql, after(begun, count));
    co_return total;
}

plugin::awaitable<std::unique_ptr<plugin::Cursor>> PgConnection::stream(const std::string& sql, std::span<const Value> params) {
    check_usable(sql);
    co_await settle();
    fresh_transaction_ = false;
    EncodedParams encoded(params);
    if ((in_open_transaction() || begin_.pending()) && is_plain_query(sql)) {
        const std::size_t begun = send_begin(sql);  // BEGIN, DECLARE, describe: one round trip
        // DECLARE binds the parameters; describing the portal gives the columns,
        // and so the format the FETCHes can ask for.
        std::string name = "retort_cursor_" + std::to_string(++cursor_counter_);
        std::string declare = "DECLARE " + name + " NO SCROLL CURSOR FOR " + sql;
        if (!PQsendQueryParams(conn_, declare.c_str(), encoded.count(), encoded.type_span().data(), encoded.values(),
                               encoded.lengths(), encoded.formats(), 0) ||
            !PQsendDescribePortal(conn_, name.c_str()))
            fail(sql);
        std::vector<std::string> names;
        bool binary = true;
        int seen = 0;
        auto describe = [&](const PGresult* r) {
            if (++seen != begun + 2) return;  // (BEGIN's,) DECLARE's result, then the portal's description
            names = column_names(r);
            for (int i = 0; i < PQnfields(r); ++i) binary = binary && has_binary_decoder(PQftype(r, i));
        };
        co_await sync_and_read(sql, describe);
        co_return make_server_cursor(*this, std::move(name), std::move(names), binary);
    }
    // Single-row mode applies to the first query of the pipeline: a deferred
    // BEGIN goes alone first.
    if (begin_.take()) co_await run_simple("BEGIN");
    const PreparedStatement* st = co_await prepare(sql, encoded.type_span());
    send_prepared(sql, *st, encoded);
    if (!PQpipelineSync(conn_)) fail(sql);
    // Per query, before its first PQgetResult (libpq's rule in pipeline mode).
    if (!PQsetSingleRowMode(conn_)) fail(sql);
    co_await flush(sql);
    // Wait for the first row (or the end, or the error) so that a failing
    // statement fails here, where the caller asked for it.
    ResultPtr first;
    while (!first) first = co_await next_result(sql);
    auto status = first.status();
    if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        std::exception_ptr error;
        try {
            raise_result_error(conn_, first.r, sql);
        } catch (...) {
            error = std::current_exception();
        }
        co_await finish_request(sql, error);
    }
    auto names = column_names(first.r);
    co_return make_row_cursor(*this, sql, std::move(first), std::move(names));
}

plugin::awaitable<void> PgConnection::query_rows(const std::string& sql, bool binary, std::vector<Value>& out) {
    check_usable(sql);
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, binary ? 1 : 0)) fail(sql);
    auto collect = [&](const PGresult* r) {
        if (PQresultStatus(r) == PGRES_TUPLES_OK) append_rows(r, out);
    };
    co_await sync_and_read(sql, collect);
}

plugin::awaitable<void> PgConnection::run_simple(const std::string& sql, bool in_transaction) {
    check_usable(sql);
    fresh_transaction_ = false;
    const std::size_t begun = in_transaction ? send_begin(sql) : 0;
    if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0)) fail(sql);
    auto ignore = [](const PGresult*) {};
    co_await sync_and_read(sql, after(begun, ignore));
}

std::size_t PgConnection::send_begin(const std::string& sql) {
    if (!begin_.take()) return 0;
    if (!PQsendQueryParams(conn_, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0)) fail(sql);
    return 1;
}

}  // namespace retort::postgresql
