// retort sql URL STATEMENT: one statement, its rows as a table.
#include <iostream>
#include <retort/retort.hpp>

#include "command.hpp"

namespace retort::cli {
namespace {

std::string cell(const Value& v) {
    if (const auto* s = std::get_if<std::string>(&v)) return *s;  // text as it is, not quoted
    return to_display_string(v);
}

// Display width: a UTF-8 sequence counts once (no attempt at East Asian widths).
std::size_t width(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

void print_table(const Result& result) {
    const auto& names = result.keys();
    std::vector<std::vector<std::string>> rows;
    std::vector<std::size_t> widths;
    for (const auto& n : names) widths.push_back(width(n));
    for (const auto& row : result.all()) {
        auto& out = rows.emplace_back();
        for (std::size_t i = 0; i < row.size(); ++i) {
            out.push_back(cell(row[i]));
            widths[i] = std::max(widths[i], width(out.back()));
        }
    }
    auto line = [&](const std::vector<std::string>& cells) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
            std::cout << (i ? " | " : "") << cells[i];
            if (i + 1 < cells.size()) std::cout << std::string(widths[i] - width(cells[i]), ' ');
        }
        std::cout << "\n";
    };
    line(names);
    for (std::size_t i = 0; i < widths.size(); ++i) std::cout << (i ? "-+-" : "") << std::string(widths[i], '-');
    std::cout << "\n";
    for (const auto& r : rows) line(r);
    std::cout << "(" << rows.size() << (rows.size() == 1 ? " row)\n" : " rows)\n");
}

}  // namespace

int sql_command(const Args& args) {
    std::vector<std::string> positional;
    bool autocommit = false;
    for (const auto& a : args) {
        if (a == "--autocommit") autocommit = true;
        else if (a.starts_with("--")) return usage_error("sql", "unknown option " + a);
        else positional.push_back(a);
    }
    if (positional.size() != 2) return usage_error("sql", "takes a URL and one statement");
    auto engine = create_async_engine(positional[0], {.pool_size = 1, .max_overflow = 0});
    const std::string& statement = positional[1];
    return run_async([&]() -> awaitable<int> {
        auto conn = co_await engine.connect();
        std::exception_ptr failure;
        try {
            // Outside a transaction: what a database refuses inside one (VACUUM,
            // CREATE INDEX CONCURRENTLY, CREATE DATABASE).
            if (autocommit) co_await conn.set_isolation_level(IsolationLevel::autocommit);
            auto stmt = sql::text(statement);
            auto result = co_await conn.execute(stmt);
            co_await conn.commit();
            if (!result.keys().empty()) print_table(result);
            else if (result.rowcount() >= 0) std::cout << "(" << result.rowcount() << " rows changed)\n";
            else std::cout << "(done)\n";
        } catch (...) {
            failure = std::current_exception();
        }
        co_await conn.close();  // rolls back what failed
        co_await engine.dispose();
        if (failure) std::rethrow_exception(failure);
        co_return 0;
    });
}

}  // namespace retort::cli
