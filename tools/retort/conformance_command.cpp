// retort conformance URL: the conformance kit, run against the dialect that
// serves URL and its live database, each case in a process of its own (a
// crash or a hang is that case's failure, not the end of the run).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
    int status = 0;  ///< the exit code, or 128 + signal
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
    std::vector<std::string> args{self, "conformance", "--run-one", name};
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
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            out.timed_out = true;
            kill(-pid, SIGKILL);
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        int n = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (n < 0 && errno != EINTR) break;
        if (n <= 0) continue;
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got <= 0) break;  // the child and all it started closed the pipe
        out.output.append(buf, static_cast<std::size_t>(got));
    }
    close(fds[0]);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
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
    bool serves = d->name() == url.dialect();
    for (const auto& a : d->aliases()) serves |= a == url.dialect();
    if (!serves)
        throw std::runtime_error("the plugin " + o.plugin + " serves '" + std::string(d->name()) + "', but the URL asks for '" +
                                 url.dialect() + "'");
}

}  // namespace

int conformance_command(const Args& args) {
    if (args.size() == 2 && args[0] == "--run-one") return run_kit_case(args[1]);
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
        else if (a == "--timeout") o.timeout_seconds = std::atoi(value("a number of seconds").c_str());
        else if (a == "--list") o.list = true;
        else if (a.starts_with("--")) return usage_error("conformance", "unknown option " + a);
        else if (o.url.empty() && a.find("://") != std::string::npos) o.url = a;
        else o.filters.push_back(a);
    }
    if (o.url.empty() && !o.list) return usage_error("conformance", "no URL");
    if (o.level != "smoke" && o.level != "full") return usage_error("conformance", "--level takes smoke or full");
    if (o.timeout_seconds <= 0) return usage_error("conformance", "--timeout takes a positive number of seconds");
    if (o.level == "smoke") o.filters.insert(o.filters.begin(), "[smoke]");

    auto cases = kit_cases(o.filters);
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
        } else if (!out.timed_out && out.status == 77) {
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
