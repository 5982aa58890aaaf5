// retort new-dialect NAME DIR: a dialect plugin project to start from, copied
// from the template installed with Retort (examples/dialect-plugin, the
// minisql dialect) with every "minisql" renamed NAME. It builds against the
// installed Retort and passes the conformance kit as it is; the author then
// replaces its driver calls with those of their database's client library.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "command.hpp"

namespace retort::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view template_name = "minisql";

// The template: share/retort/dialect-template beside the bin/ this program is
// in (an installed prefix, and a build tree, which copies it there).
fs::path template_dir() {
    fs::path exe = fs::read_symlink("/proc/self/exe");
    return (exe.parent_path().parent_path() / "share" / "retort" / "dialect-template").lexically_normal();
}

std::string camel(std::string_view name) {
    std::string out;
    bool up = true;
    for (char c : name) {
        if (c == '_') {
            up = true;
            continue;
        }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
    }
    return out;
}

std::string upper(std::string_view name) {
    std::string out;
    for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

void replace_all(std::string& s, std::string_view from, const std::string& to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
}

std::string renamed(std::string text, const std::string& name) {
    replace_all(text, upper(template_name), upper(name));
    replace_all(text, camel(template_name), camel(name));
    replace_all(text, template_name, name);
    return text;
}

}  // namespace

int new_dialect_command(const Args& args) {
    if (args.size() != 2) return usage_error("new-dialect", "takes a dialect name and a directory");
    const std::string& name = args[0];
    bool valid = !name.empty() && name.size() <= 40 && name[0] >= 'a' && name[0] <= 'z';
    for (char c : name) valid = valid && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!valid)
        return usage_error("new-dialect", "'" + name + "' is not a dialect name: a lower-case letter, then letters, "
                                          "digits and '_' (it becomes the URL scheme)");
    // The name becomes a namespace, and the scheme must not take over another dialect's.
    static const std::string_view taken[] = {
        "sqlite", "postgresql", "postgres", "mysql", "mariadb", "retort", "std", "sqlite3", "boost", "plugin",
        "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
        "constexpr", "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern",
        "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "module", "mutable", "namespace",
        "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected", "public", "register", "return",
        "short", "signed", "sizeof", "static", "struct", "switch", "template", "this", "throw", "true", "try",
        "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "while", "xor"};
    for (auto t : taken)
        if (name == t)
            return usage_error("new-dialect", "'" + name + "' is taken (a built-in dialect, a C++ keyword or a "
                                              "namespace the project uses): choose another name");
    fs::path from = template_dir();
    if (!fs::is_directory(from)) {
        std::cerr << "retort new-dialect: the template is missing: " << from.string() << "\n";
        return 1;
    }
    fs::path to = args[1];
    std::error_code ec;
    if (fs::exists(to) && !fs::is_empty(to, ec)) {
        std::cerr << "retort new-dialect: " << to.string() << " exists and is not empty\n";
        return 1;
    }
    int files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(from)) {
        fs::path rel = fs::relative(entry.path(), from);
        fs::path target = to / renamed(rel.string(), name);
        if (entry.is_directory()) {
            fs::create_directories(target);
            continue;
        }
        fs::create_directories(target.parent_path());
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        std::ofstream out(target, std::ios::binary);
        out << renamed(text.str(), name);
        if (!out) {
            std::cerr << "retort new-dialect: cannot write " << target.string() << "\n";
            return 1;
        }
        ++files;
    }
    std::cout << "created the " << name << " dialect in " << to.string() << " (" << files << " files), from "
              << from.string() << "\n\n"
              << "next:\n"
              << "  cmake -S " << to.string() << " -B " << (to / "build").string()
              << " -DCMAKE_PREFIX_PATH=<Retort's prefix>\n"
              << "  cmake --build " << (to / "build").string() << "\n"
              << "  RETORT_PLUGIN_PATH=" << (to / "build").string() << " retort conformance " << name
              << ":////tmp/" << name << ".db\n"
              << "then replace the SQLite calls in src/ with your database's (README.md walks through it).\n";
    return 0;
}

}  // namespace retort::cli
