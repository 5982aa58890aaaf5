#include "toml_bounds.hpp"

#include <algorithm>
#include <vector>

#include "retort/error.hpp"
#include "retort/plugin/utf8.hpp"

namespace retort::detail {

namespace {

/// Walks the text outside strings and comments, reporting each bracket of a
/// value. Strings are skipped whole, so brackets inside them do not count; the
/// syntax itself is toml11's to check afterwards.
class BracketScanner {
public:
    BracketScanner(std::string_view text, const std::string& source, const TomlBounds& bounds)
        : text_(text), source_(source), bounds_(bounds) {}

    void run() {
        bool line_start = true;  // only blanks since the last newline
        for (pos_ = 0; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '\n') {
                ++line_;
                line_start = true;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') continue;
            bool was_line_start = line_start;
            line_start = false;
            switch (c) {
                case '#': skip_to_line_end(); break;
                case '"': skip_string('"', true); break;
                case '\'': skip_string('\'', false); break;
                case '[':
                    // A table header ([a] or [[a]]) opens a line outside any value.
                    if (was_line_start && open_.empty()) {
                        skip_to_line_end();
                        break;
                    }
                    open(c);
                    break;
                case '{': open(c); break;
                case ']':
                case '}': close(); break;
                default: break;
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string& problem, std::size_t line) const {
        throw ConfigError(source_, "", problem, line);
    }

    void open(char) {
        open_.push_back({pos_, line_});
        if (open_.size() > bounds_.max_depth)
            fail("arrays and inline tables are nested more than " + std::to_string(bounds_.max_depth) +
                     " deep; the file is refused unparsed",
                 line_);
    }

    void close() {
        if (open_.empty()) return;  // unbalanced: toml11 reports it
        auto [start, line] = open_.back();
        open_.pop_back();
        if (pos_ - start + 1 > bounds_.max_inline_bytes)
            fail("an array or inline table longer than " + std::to_string(bounds_.max_inline_bytes) +
                     " bytes; split it into [tables] (the file is refused unparsed)",
                 line);
    }

    void skip_to_line_end() {
        while (pos_ + 1 < text_.size() && text_[pos_ + 1] != '\n') ++pos_;
    }

    // pos_ is on the opening quote; leaves it on the closing one (or the end).
    void skip_string(char quote, bool escapes) {
        bool multiline = text_.substr(pos_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''");
        pos_ += multiline ? 3 : 1;
        for (; pos_ < text_.size(); ++pos_) {
            char c = text_[pos_];
            if (c == '\n') {
                ++line_;
                if (!multiline) return;  // an unterminated string: toml11 reports it
            } else if (escapes && c == '\\') {
                if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++line_;
                ++pos_;
            } else if (c == quote) {
                if (!multiline) return;
                if (text_.substr(pos_, 3) == std::string_view(quote == '"' ? "\"\"\"" : "'''")) {
                    // Up to two more quotes may belong to the string ("""a"""" ends in a quote).
                    pos_ += 2;
                    while (pos_ + 1 < text_.size() && text_[pos_ + 1] == quote) ++pos_;
                    return;
                }
            }
        }
    }

    struct Open {
        std::size_t pos, line;
    };
    std::string_view text_;
    const std::string& source_;
    const TomlBounds& bounds_;
    std::vector<Open> open_;
    std::size_t pos_ = 0, line_ = 1;
};

}  // namespace

void check_toml_bounds(std::string_view text, const std::string& source, const TomlBounds& bounds) {
    if (text.size() > bounds.max_bytes)
        throw ConfigError(source, "", "the file is larger than " + std::to_string(bounds.max_bytes / 1024) +
                                          " KiB; a configuration file is refused unparsed above that size");
    // TOML is UTF-8 by definition, and toml11 3.7 reads past the end of its
    // buffer on some ill-formed sequences (found by tools/fuzz): refused first.
    if (auto bad = plugin::invalid_utf8_at(text)) {
        auto line = static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n')) + 1;
        throw ConfigError(source, "", "the file is not valid UTF-8 (byte " + std::to_string(*bad) + ")", line);
    }
    BracketScanner(text, source, bounds).run();
}

}  // namespace retort::detail
