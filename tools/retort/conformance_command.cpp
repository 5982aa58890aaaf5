// retort conformance URL: the conformance kit, run against the dialect that
// serves URL and its live database, each case in a process of its own (a
// crash or a hang is that case's failure, not the end of the run).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <retort/plugin/loader.hpp>
#include <retort/url.hpp>

#include "command.hpp"
#include "kit_cases.hpp"

extern char** environ;

namespace retort::cli {
namespace {

struct Options {
    std::string url;
    std::string plugin;
    std::string level = "full";
    std::string terminate_sql;
    int timeout_seconds = 300;
    bool list = false;
    std::vector<std::string> filters;
};

struct Outcome {
    int status = 0;  ///< the exit code, or 128 + signal; -1 when it could not be had
    bool timed_out = false;
    std::string output;
};

// Runs this program again as `retort conformance --run-one NAME` with `env`,
// its stdout and stderr captured, killed after `timeout`.
Outcome run_child(const std::string& name, const std::vector<std::string>& env, std::chrono::seconds timeout) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);  // its own group: a timeout kills all it started
    posix_spawnattr_setpgroup(&attr, 0);
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    std::vector<std::string> args{self, "conformance", "--run-one", name, std::to_string(getpid())};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_copy = env;
    for (auto& e : env_copy) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, self.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        throw std::runtime_error("cannot start " + self);
    }
    Outcome out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto kill_if_late = [&] {
        if (!out.timed_out && std::chrono::steady_clock::now() >= deadline) {
            out.timed_out = true;
            kill(-pid, SIGKILL);  // the case and anything it started
        }
    };
    char buf[4096];
    constexpr std::size_t kept = 64 * 1024;  // the end of a long output is what explains a failure
    for (bool open = true; open && !out.timed_out;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{fds[0], POLLIN, 0};
        int n = poll(&p, 1, static_cast<int>(std::clamp<long long>(left.count(), 0, 1000)));
        if (n < 0 && errno != EINTR) break;
        if (n > 0) {
            ssize_t got = read(fds[0], buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) open = false;  // the case closed its output: it is ending
            else out.output.append(buf, static_cast<std::size_t>(got));
            if (out.output.size() > 2 * kept) out.output.erase(0, out.output.size() - kept);
        }
        kill_if_late();
    }
    close(fds[0]);
    // Reaped under the same deadline: a case that closed its output but hangs is killed too.
    int wstatus = 0;
    for (;;) {
        pid_t r = waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) {
            out.status = -1;
            out.output += "\n(retort conformance: lost track of the case's process)";
            return out;
        }
        kill_if_late();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    out.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
    return out;
}

std::string skip_reason(const std::string& output) {
    auto at = output.rfind("SKIPPED: ");
    if (at == std::string::npos) return "skipped";
    auto end = output.find('\n', at);
    return output.substr(at + 9, end == std::string::npos ? std::string::npos : end - at - 9);
}

std::vector<std::string> child_environment(const Options& o) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view v = *e;
        if (v.starts_with("RETORT_TEST_") || v.starts_with("RETORT_PLUGIN_PATH=")) continue;
        env.emplace_back(v);
    }
    env.push_back("RETORT_TEST_URL=" + o.url);
    if (!o.terminate_sql.empty()) env.push_back("RETORT_TEST_TERMINATE_SESSION_SQL=" + o.terminate_sql);
    std::string path;
    if (!o.plugin.empty()) path = std::filesystem::absolute(o.plugin).parent_path().string();
    if (const char* p = std::getenv("RETORT_PLUGIN_PATH"); p && *p) path += (path.empty() ? "" : ":") + std::string(p);
    if (!path.empty()) env.push_back("RETORT_PLUGIN_PATH=" + path);
    return env;
}

// The plugin asked for, loaded here first: a file that is not a plugin, or one
// that does not serve the URL's scheme, is an error before any case runs.
void check_plugin(const Options& o) {
    auto url = Url::parse(o.url);
    if (o.plugin.empty()) {
        plugin::load_dialect(url.dialect());
        return;
    }
    auto d = plugin::load_plugin_file(o.plugin);
    // The cases load the dialect by its URL scheme, from the file's folder first:
    // only a file named for its dialect is the one they will load.
    std::string expected = "libretort_dialect_" + std::string(d->name()) + ".so";
    if (std::filesystem::path(o.plugin).filename() != expected)
        throw std::runtime_error("the plugin " + o.plugin + " serves '" + std::string(d->name()) + "' and must be named " +
                                 expected + " to be the one the cases load");
    bool serves = d->name() == url.dialect();
    for (const auto& a : d->aliases()) serves |= a == url.dialect();
    if (!serves)
        throw std::runtime_error("the plugin " + o.plugin + " serves '" + std::string(d->name()) + "', but the URL asks for '" +
                                 url.dialect() + "'");
}

}  // namespace

int conformance_command(const Args& args) {
    if (args.size() == 3 && args[0] == "--run-one") {
        // A case ends with the runner that started it, whatever ends the runner
        // (Ctrl-C, a timeout's SIGTERM, a crash): never a case left holding locks.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (std::to_string(getppid()) != args[2]) return 1;  // the runner is already gone
        return run_kit_case(args[1]);
    }
    signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would make the cases unreapable
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&](const char* what) -> const std::string& {
            if (i + 1 == args.size()) throw std::invalid_argument(a + " needs " + what);
            return args[++i];
        };
        if (a == "--plugin") o.plugin = value("a plugin file");
        else if (a == "--level") o.level = value("smoke or full");
        else if (a == "--terminate-session-sql") o.terminate_sql = value("a statement");
        else if (a == "--timeout") {
            const std::string& v = value("a number of seconds");
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), o.timeout_seconds);
            if (ec != std::errc{} || end != v.data() + v.size()) o.timeout_seconds = 0;
        }
        else if (a == "--list") o.list = true;
        else if (a.starts_with("--")) return usage_error("conformance", "unknown option " + a);
        else if (o.url.empty() && a.find("://") != std::string::npos) o.url = a;
        else o.filters.push_back(a);
    }
    if (o.url.empty() && !o.list) return usage_error("conformance", "no URL");
    if (o.level != "smoke" && o.level != "full") return usage_error("conformance", "--level takes smoke or full");
    if (o.timeout_seconds <= 0) return usage_error("conformance", "--timeout takes a positive number of seconds");
    if (o.level == "smoke") o.filters.insert(o.filters.begin(), "[smoke]");

    std::vector<KitCase> cases;
    try {
        cases = kit_cases(o.filters);
    } catch (const std::invalid_argument& e) {
        return usage_error("conformance", e.what());
    }
    if (o.list) {
        for (const auto& c : cases) std::cout << c.name << "\n";
        return 0;
    }
    if (cases.empty()) {
        std::cerr << "retort conformance: no case matches\n";
        return 1;
    }
    check_plugin(o);
    auto env = child_environment(o);
    std::cout << "conformance kit (" << o.level << ", " << cases.size() << " cases) on "
              << Url::parse(o.url).to_string() << (o.plugin.empty() ? "" : " with " + o.plugin) << "\n";
    int passed = 0, skipped = 0, failed = 0;
    auto started = std::chrono::steady_clock::now();
    for (const auto& c : cases) {
        auto t = std::chrono::steady_clock::now();
        Outcome out = run_child(c.name, env, std::chrono::seconds(o.timeout_seconds));
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
        char time[32];
        std::snprintf(time, sizeof time, " (%.2f s)", secs);
        if (!out.timed_out && out.status == 0) {
            ++passed;
            std::cout << "pass  " << c.name << time << "\n";
        } else if (!out.timed_out && out.status == 77 && out.output.find("SKIPPED: ") != std::string::npos) {
            ++skipped;
            std::cout << "skip  " << c.name << ": " << skip_reason(out.output) << "\n";
        } else {
            ++failed;
            std::cout << "FAIL  " << c.name << time
                      << (out.timed_out ? " timed out" : " exit status " + std::to_string(out.status)) << "\n"
                      << out.output << "\n";
        }
        std::cout.flush();
    }
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << passed << " passed, " << skipped << " skipped, " << failed << " failed, of " << cases.size()
              << " cases in " << static_cast<int>(total + 0.5) << " s\n";
    return failed ? 1 : 0;
}

}  // namespace retort::cli
