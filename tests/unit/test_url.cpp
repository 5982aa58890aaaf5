#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "retort/error.hpp"
#include "retort/url.hpp"

using retort::ArgumentError;
using retort::Url;

TEST_CASE("URL: full network form", "[url]") {
    auto u = Url::parse("postgresql+libpq://scott:ti%40ger@db.example.org:5433/app%20db?sslmode=require&application_name=x");
    CHECK(u.dialect() == "postgresql");
    CHECK(u.driver() == "libpq");
    CHECK(u.username() == "scott");
    CHECK(u.password() == "ti@ger");
    CHECK(u.host() == "db.example.org");
    CHECK(u.port() == 5433);
    CHECK(u.database() == "app db");
    CHECK(u.option("sslmode") == "require");
    CHECK(u.option("application_name") == "x");
    CHECK_FALSE(u.option("nope"));
}

TEST_CASE("URL: the password never shows in to_string", "[url]") {
    auto u = Url::parse("mysql://root:s3cret@127.0.0.1/test");
    CHECK(u.to_string() == "mysql://root:***@127.0.0.1/test");
    CHECK(u.to_string().find("s3cret") == std::string::npos);
    CHECK(Url::parse(u.render(false)).password() == "s3cret");
}

TEST_CASE("URL: SQLite paths", "[url]") {
    CHECK(Url::parse("sqlite://").database().empty());
    CHECK(Url::parse("sqlite:///:memory:").database() == ":memory:");
    CHECK(Url::parse("sqlite:///app.db").database() == "app.db");
    CHECK(Url::parse("sqlite:////var/lib/app.db").database() == "/var/lib/app.db");
    CHECK(Url::parse("sqlite:////var/lib/app.db").to_string() == "sqlite:////var/lib/app.db");
    CHECK(Url::parse("SQLite:///x.db").dialect() == "sqlite");
}

TEST_CASE("URL: IPv6 hosts and unix sockets", "[url]") {
    auto u = Url::parse("postgresql://u@[::1]:5432/db");
    CHECK(u.host() == "::1");
    CHECK(u.port() == 5432);
    auto s = Url::parse("mysql://u@localhost/db?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock");
    CHECK(s.option("unix_socket") == "/run/mysqld/mysqld.sock");
}

TEST_CASE("URL: malformed input is an ArgumentError that says what is wrong", "[url]") {
    CHECK_THROWS_AS(Url::parse("not a url"), ArgumentError);
    CHECK_THROWS_AS(Url::parse("://host/db"), ArgumentError);
    CHECK_THROWS_WITH(Url::parse("postgresql://h:99999/db"), Catch::Contains("port"));
    CHECK_THROWS_WITH(Url::parse("postgresql://h:abc/db"), Catch::Contains("port"));
    CHECK_THROWS_WITH(Url::parse("postgresql://u:p%zz@h/db"), Catch::Contains("percent"));
    CHECK_THROWS_WITH(Url::parse("post gres://h/db"), Catch::Contains("scheme"));
    // A message about a bad password never repeats it.
    try {
        Url::parse("postgresql://u:hunter2%zz@h/db");
        FAIL("no exception");
    } catch (const ArgumentError& e) {
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
    }
    // Nor options that hold secrets of their own.
    auto with_key = Url::parse("postgresql://u:pw@h/db?sslpassword=keypass&sslmode=verify-full");
    CHECK(with_key.to_string().find("keypass") == std::string::npos);
    CHECK(with_key.to_string().find("sslmode=verify-full") != std::string::npos);
    CHECK(with_key.option("sslpassword") == "keypass");
    // Nor when a forgotten '@host' makes the password look like a port.
    try {
        Url::parse("postgresql://u:hunter2/db");
        FAIL("no exception");
    } catch (const ArgumentError& e) {
        CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
        CHECK_THAT(e.what(), Catch::Contains("port"));
    }
}

TEST_CASE("URL: a password whose '@' went missing or was mistyped never reaches a host name or a message", "[url]") {
    // Every printable character in place of the '@', and the '@' left out: the
    // URL either fails to parse with a message free of the password, or parses
    // into a URL whose host and printed form hold no part of it.
    const std::string secret = "s3cretPW";
    std::vector<std::string> urls;
    for (char c = 0x20; c < 0x7f; ++c) urls.push_back("postgresql://app:" + secret + c + "db.example.internal:5432/app");
    urls.push_back("postgresql://app:" + secret + "db.example.internal:5432/app");
    urls.push_back("mysql://app:" + secret + ":db.example.internal/app");
    urls.push_back("postgresql://app:" + secret + "%3Adb.example.internal/app");
    for (const auto& text : urls) {
        INFO(text);
        try {
            auto u = Url::parse(text);
            CHECK(u.host().find("s3cret") == std::string::npos);
            CHECK(u.to_string().find("s3cret") == std::string::npos);
        } catch (const ArgumentError& e) {
            CHECK(std::string(e.what()).find("s3cret") == std::string::npos);
        }
    }
    CHECK_THROWS_WITH(Url::parse("postgresql://app:" + secret + ":db.example.internal:5432/app"),
                      Catch::Contains("host contains ':'"));
    // IPv6 in brackets is still a host, and renders to text that parses back to it (tools/fuzz).
    auto zoned = Url::parse("postgresql://app:pw@[fe80::1%25eth0]:5432/app");
    CHECK(zoned.host() == "fe80::1%eth0");
    CHECK(Url::parse(zoned.render(false)).host() == "fe80::1%eth0");
}
