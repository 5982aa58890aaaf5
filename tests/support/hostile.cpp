#include "support/hostile.hpp"


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

// Decodes each character to its code point and checks that against the
// Unicode rules (shortest form, no surrogates, at most U+10FFFF): written apart
// from plugin::invalid_utf8_at, which the dialects use, so that the tests'
// expectations do not share its mistakes.
bool valid_utf8(const std::string& text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
        unsigned char lead = byte(i);
        int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
        if (length == 0 || i + length > text.size()) return false;
        char32_t cp = length == 1 ? lead : lead & (0x7f >> length);
        for (int k = 1; k < length; ++k) {
            if ((byte(i + k) & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (byte(i + k) & 0x3f);
        }
        const char32_t shortest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < shortest[length] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
        i += static_cast<std::size_t>(length);
    }
    return true;
}

}  // namespace retort::test
