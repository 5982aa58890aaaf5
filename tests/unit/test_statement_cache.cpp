// The drivers' LRU of prepared statements (retort/plugin/support/statement_cache.hpp).
#include <catch2/catch.hpp>
#include <memory>

#include "retort/plugin/support/statement_cache.hpp"

using retort::plugin::support::StatementCache;

TEST_CASE("statement cache: the least recently used entry is pushed out and handed back", "[statement_cache]") {
    StatementCache<int> cache(3);
    CHECK(cache.put("a", 1).empty());
    CHECK(cache.put("b", 2).empty());
    CHECK(cache.put("c", 3).empty());
    REQUIRE(cache.find("a"));  // a is now the most recently used: b is the oldest
    CHECK(cache.put("d", 4) == std::vector<int>{2});
    CHECK_FALSE(cache.find("b"));
    CHECK(*cache.find("a") == 1);
    CHECK(*cache.find("c") == 3);
    CHECK(cache.front() == 3);
    CHECK(cache.put("e", 5) == std::vector<int>{4});
    CHECK(cache.size() == 3);
}

TEST_CASE("statement cache: take removes one entry, take_all every entry, and nothing is freed by the cache",
          "[statement_cache]") {
    auto counted = std::make_shared<int>(7);
    StatementCache<std::shared_ptr<int>> cache(2);
    cache.put("x", counted);
    cache.put("y", std::make_shared<int>(8));
    CHECK(counted.use_count() == 2);
    auto taken = cache.take("x");
    REQUIRE(taken);
    CHECK(*taken == counted);
    CHECK_FALSE(cache.take("x"));
    CHECK(cache.size() == 1);
    auto rest = cache.take_all();
    REQUIRE(rest.size() == 1);
    CHECK(*rest[0] == 8);
    CHECK(cache.size() == 0);
    CHECK_FALSE(cache.find("y"));
}

TEST_CASE("statement cache: the key may be the stored text itself, and entries stay put", "[statement_cache]") {
    StatementCache<std::string> cache(2);
    cache.put(std::string(200, 'q'), "long");
    const std::string* first = cache.find(std::string(200, 'q'));
    cache.put("short", "s");
    CHECK(first == cache.find(std::string(200, 'q')));  // a list node: not moved by later puts
    // "short" is now the oldest: it goes, the long one stays where it was.
    auto out = cache.put("third", "t");
    CHECK(out == std::vector<std::string>{"s"});
    CHECK(cache.find("third"));
}

TEST_CASE("statement cache: a capacity of 0 keeps the newest entry", "[statement_cache]") {
    StatementCache<int> cache(0);
    CHECK(cache.put("a", 1).empty());
    CHECK(cache.put("b", 2) == std::vector<int>{1});
    CHECK(cache.front() == 2);
}
