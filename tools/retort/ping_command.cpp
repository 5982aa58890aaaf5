// retort ping URL: can this program reach the database, and how fast.
#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <retort/plugin/dialect.hpp>
#include <retort/retort.hpp>

#include "command.hpp"

namespace retort::cli {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string format_ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f ms", ms);
    return buf;
}

}  // namespace

int ping_command(const Args& args) {
    std::string url;
    int count = 3;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--count") {
            if (i + 1 == args.size()) return usage_error("ping", "--count needs a number");
            try {
                count = std::stoi(args[++i]);
            } catch (const std::exception&) {
                count = 0;
            }
            if (count < 1 || count > 10000) return usage_error("ping", "--count takes a number from 1 to 10000");
        } else if (url.empty()) {
            url = args[i];
        } else {
            return usage_error("ping", "one URL only");
        }
    }
    if (url.empty()) return usage_error("ping", "no URL");
    // A pool of one, no pre-ping: the time measured is a connect and the round trips.
    auto engine = create_async_engine(url, {.pool_size = 1, .max_overflow = 0});
    return run_async([&]() -> awaitable<int> {
        auto start = std::chrono::steady_clock::now();
        auto conn = co_await engine.connect();
        double connect_ms = ms_since(start);
        std::vector<double> trips;
        for (int i = 0; i < count; ++i) {
            auto t = std::chrono::steady_clock::now();
            co_await conn.execute(sql::text("SELECT 1"));
            trips.push_back(ms_since(t));
        }
        std::sort(trips.begin(), trips.end());
        std::cout << engine.url().to_string() << "\n"
                  << "  server:     " << conn.server_version() << "\n";
        if (auto id = conn.session_id()) std::cout << "  session:    " << *id << "\n";
        std::cout << "  dialect:    " << engine.dialect().name() << " " << engine.dialect().version() << " ("
                  << engine.dialect().driver_description() << ")\n"
                  << "  connect:    " << format_ms(connect_ms) << "\n"
                  << "  SELECT 1:   fastest " << format_ms(trips.front()) << ", median "
                  << format_ms(trips[trips.size() / 2]) << " (" << count << " round trips)\n";
        co_await conn.close();
        co_await engine.dispose();
        co_return 0;
    });
}

}  // namespace retort::cli
