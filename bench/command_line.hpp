// The command lines of retort_bench and retort_bench_tpcb: flags, their values,
// --help, and for anything else a message and exit status 2.
#pragma once

#include <cstdlib>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

namespace retort::bench {

/// Says what is wrong with `program`'s command line, and exits with status 2.
[[noreturn]] inline void usage_error(const std::string& program, const std::string& why) {
    std::cerr << program << ": " << why << "\n(see " << program << " --help)\n";
    std::exit(2);
}

class CommandLine {
public:
    CommandLine(std::string program, const char* usage, int argc, char** argv)
        : program_(std::move(program)), usage_(usage), args_(argv + 1, argv + argc) {}

    /// Moves to the next flag: false at the end. -h and --help print the usage and exit.
    bool next() {
        if (++at_ >= args_.size()) return false;
        flag_at_ = at_;
        if (flag() == "-h" || flag() == "--help") {
            std::cout << usage_;
            std::exit(0);
        }
        return true;
    }
    const std::string& flag() const { return args_[flag_at_]; }
    /// The value after the flag.
    std::string value() {
        if (at_ + 1 >= args_.size()) bad(flag() + " needs a value");
        return args_[++at_];
    }
    /// The value after the flag, a whole number from 1 to `max`.
    std::size_t count(std::size_t max = std::numeric_limits<std::size_t>::max()) { return count_in(value(), max); }
    /// `text`, the flag's value, as a whole number from 1 to `max`.
    std::size_t count_in(const std::string& text, std::size_t max = std::numeric_limits<std::size_t>::max()) const {
        try {
            std::size_t used = 0;
            auto n = std::stoull(text, &used);
            if (used == text.size() && n > 0 && n <= max && text.find('-') == std::string::npos) return n;
        } catch (const std::exception&) {
        }
        bad(flag() + " needs a whole number " +
            (max == std::numeric_limits<std::size_t>::max() ? std::string("above 0") : "from 1 to " + std::to_string(max)) +
            ", not '" + text + "'");
    }
    [[noreturn]] void bad(const std::string& why) const { usage_error(program_, why); }

private:
    std::string program_;
    const char* usage_;
    std::vector<std::string> args_;
    std::size_t at_ = static_cast<std::size_t>(-1);  ///< the argument read last
    std::size_t flag_at_ = 0;                         ///< the flag being read
};

}  // namespace retort::bench
