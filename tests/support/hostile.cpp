#include "support/hostile.hpp"

#include "retort/plugin/utf8.hpp"

namespace retort::test {

namespace {

std::vector<Hostile> build() {
    using namespace std::string_literals;
    // The fragments, each named.
    const std::vector<Hostile> core = {
        {"single quote", "'"},
        {"two single quotes", "''"},
        {"double quote", "\""},
        {"backquote", "`"},
        {"typographic quotes", "\u2018\u2019\u201c\u201d"},
        {"backslash", "\\"},
        {"two backslashes", "\\\\"},
        {"backslash quote", "\\'"},
        {"backslash n", "\\n"},
        {"backslash zero", "\\0"},
        {"mysql null marker", "\\N"},
        {"NUL", "\0"s},
        {"NUL in text", "a\0b"s},
        {"two NULs", "\0\0"s},
        {"ctrl-Z", "\x1a"},
        {"control characters", "\x01\x02\x07\x08\x0b\x0c\x1b\x7f"},
        {"newlines", "\r\n\n\r"},
        {"tab", "\t"},
        {"line comment", "-- comment"},
        {"block comment", "/* comment */"},
        {"unclosed block comment", "/*"},
        {"hash comment", "# comment"},
        {"drop table", "'; DROP TABLE users; --"},
        {"or true", "1' OR '1'='1"},
        {"double-quoted drop", "\"; DROP TABLE users; --"},
        {"paren injection", "') OR ('a'='a"},
        {"stacked query", "1; SELECT pg_sleep(10)"},
        {"concat injection", "'||(SELECT version())||'"},
        {"union injection", "' UNION SELECT NULL, NULL --"},
        {"dollar placeholder", "$1"},
        {"dollar quote", "$$ x $$"},
        {"tagged dollar quote", "$tag$ x $tag$"},
        {"question mark", "?"},
        {"two question marks", "??"},
        {"printf", "%s %d %n %%"},
        {"pyformat", "%(name)s"},
        {"colon name", ":name"},
        {"colon number", ":1"},
        {"at name", "@p1"},
        {"brace", "{0} ${x}"},
        {"like wildcards", "%_"},
        {"emoji", "\U0001F600"},
        {"flag sequence", "\U0001F3F3\uFE0F\u200D\U0001F308"},
        {"math letter", "\U0001D54F"},
        {"CJK extension B", "\U00020B9F"},
        {"combining accent", "e\u0301"},
        {"right-to-left override", "\u202Eabc"},
        {"right-to-left mark", "\u200F"},
        {"zero-width space", "\u200B"},
        {"byte order mark", "\uFEFF"},
        {"arabic ligature", "\uFDFA"},
        {"no-break space", "\u00A0"},
        {"ideographic space", "\u3000"},
        {"empty", ""},
        {"space", " "},
        {"trailing spaces", "x  "},
        {"leading spaces", "  x"},
        {"NULL word", "NULL"},
        {"null word", "null"},
        {"NaN", "NaN"},
        {"huge number", "1e309"},
        {"invalid byte", "\xff"},
        {"overlong slash", "\xc0\xaf"},
        {"surrogate", "\xed\xa0\x80"},
        {"past U+10FFFF", "\xf4\x90\x80\x80"},
        {"truncated sequence", "\xe2\x82"},
        {"lone continuation", "abc\x80"},
        {"latin-1 e-acute", "caf\xe9"},
    };
    std::vector<Hostile> all;
    for (const auto& f : core) {
        all.push_back(f);
        all.push_back({f.name + " after text", "x" + f.text});
        all.push_back({f.name + " before text", f.text + "x"});
        all.push_back({f.name + " inside text", "a" + f.text + "b"});
    }
    // Long ones: 1 MB of one character each, and repetitions of the worst.
    all.push_back({"1 MB of x", std::string(1 << 20, 'x')});
    all.push_back({"1 MB of quotes", std::string(1 << 20, '\'')});
    all.push_back({"1 MB of backslashes", std::string(1 << 20, '\\')});
    std::string emoji;
    while (emoji.size() < (1 << 20)) emoji += "\U0001F600";
    all.push_back({"1 MB of emoji", emoji});
    std::string nuls(1 << 20, '\0');
    all.push_back({"1 MB of NUL", nuls});
    std::string mixed;
    while (mixed.size() < (1 << 20)) mixed += "'; DROP TABLE users; -- \\ \" ` $1 ? %s \U0001F600 ";
    all.push_back({"1 MB of injection", mixed});
    return all;
}

}  // namespace

const std::vector<Hostile>& hostile_strings() {
    static const std::vector<Hostile> all = build();
    return all;
}

bool valid_utf8(const std::string& text) { return !plugin::invalid_utf8_at(text).has_value(); }

}  // namespace retort::test
