// The driver contract's out-of-line members. The destructors anchor the vtables
// (and so the type_info) of Connection and Cursor in the core library.
#include "retort/plugin/driver.hpp"

namespace retort::plugin {

Connection::~Connection() = default;
Cursor::~Cursor() = default;

awaitable<std::int64_t> Connection::execute_many(const std::string& sql, std::span<const std::vector<Value>> param_sets) {
    std::int64_t total = 0;
    for (const auto& params : param_sets) {
        auto r = co_await execute(sql, params);
        if (r.rows_affected < 0) total = -1;
        else if (total >= 0) total += r.rows_affected;
    }
    co_return total;
}

awaitable<std::vector<RawResult>> Connection::execute_pipeline(std::span<const Request> requests) {
    std::vector<RawResult> out;
    out.reserve(requests.size());
    for (const auto& r : requests) out.push_back(co_await execute(*r.sql, r.params));
    co_return out;
}

awaitable<void> Connection::rollback_on_release() { co_await rollback(); }

awaitable<void> Connection::settle() { co_return; }

}  // namespace retort::plugin
