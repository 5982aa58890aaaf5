#include "retort/plugin/loader.hpp"

#include <dlfcn.h>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

#include "retort/error.hpp"
#include "retort/plugin/file_seal.hpp"

namespace retort::plugin {

namespace fs = std::filesystem;

const char* core_build_id() noexcept { return RETORT_PLUGIN_BUILD_ID; }

// Out-of-line destructor: anchors the Dialect's vtable in the core.
Dialect::~Dialect() = default;

namespace {

constexpr std::string_view file_prefix = "libretort_dialect_";
constexpr std::string_view file_suffix = ".so";

struct Registry {
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<const Dialect>> by_name;  // names and aliases
    std::map<std::string, std::shared_ptr<const Dialect>> by_path;
};

Registry& registry() {
    static Registry r;
    return r;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

bool has_elf_header(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

void register_dialect(Registry& r, const std::shared_ptr<const Dialect>& d) {
    r.by_name.emplace(std::string(d->name()), d);
    for (const auto& a : d->aliases()) r.by_name.emplace(a, d);
}

// Refuses a plugin built for another interface version or with another toolchain.
void check_built_for_this_core(const fs::path& path, std::uint32_t version, const std::string& build) {
    if (version != abi_version)
        throw PluginError("dialect plugin " + quoted(path) + " was built for plugin interface version " +
                          std::to_string(version) + ", but this Retort implements version " +
                          std::to_string(abi_version) + "; rebuild the plugin against this Retort");
    if (build != core_build_id())
        throw PluginError("dialect plugin " + quoted(path) + " was built with " + build + ", but this Retort with " +
                          core_build_id() + "; rebuild the plugin with the same toolchain");
}

// Loads the plugin at `path`; `file_name` is the dialect its file name says it
// serves, when the file was found by name.
std::shared_ptr<const Dialect> load_locked(Registry& r, const fs::path& path, const std::string* file_name = nullptr) {
    std::error_code fec;
    fs::path canonical = fs::weakly_canonical(path, fec);
    if (fec) canonical = path;
    if (auto it = r.by_path.find(canonical.string()); it != r.by_path.end()) return it->second;

    // Every filesystem question is asked with an error_code: a symlink loop or an
    // unreadable directory is a PluginError about this file, never a
    // filesystem_error that would also stop the other plugins from loading.
    std::error_code sec;
    auto status = fs::status(path, sec);
    if (sec && sec != std::errc::no_such_file_or_directory)
        throw PluginError("cannot read dialect plugin " + quoted(path) + ": " + sec.message());
    if (!fs::exists(status)) throw PluginError("dialect plugin " + quoted(path) + " does not exist");
    if (!fs::is_regular_file(status)) throw PluginError("dialect plugin " + quoted(path) + " is not a regular file");
    if (!has_elf_header(path))
        throw PluginError("dialect plugin " + quoted(path) + " is not a shared library (it has no ELF header)");

    // The seal is checked with plain reads before the dynamic loader maps
    // anything: a truncated file would be a SIGBUS, another toolchain's build
    // undefined behaviour in its static constructors.
    FileSeal seal = read_seal(path);
    if (file_name && seal.name != *file_name)
        throw PluginError("dialect plugin " + quoted(path) + " was built as the '" + seal.name + "' dialect, not '" +
                          *file_name + "' as its file name says; it is not loaded under either name");
    check_built_for_this_core(path, seal.abi_version, seal.build_id);

    auto lib = std::make_shared<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    // RTLD_NOW: an unresolved symbol is reported here, with its name, rather
    // than as a crash at the first call that needs it.
    lib->load(path, ec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (ec || !lib->is_loaded()) {
        const char* why = dlerror();
        throw PluginError("cannot load dialect plugin " + quoted(path) + ": " + (why ? why : ec.message()));
    }

    auto require = [&](const char* symbol) {
        if (!lib->has(symbol))
            throw PluginError(quoted(path) + " is not a Retort dialect plugin: it does not export the entry symbol '" +
                              symbol + "'");
    };
    require("retort_plugin_abi_version");
    require("retort_plugin_build_id");
    // Asked again of the code itself: the seal could have been made for another build.
    check_built_for_this_core(path, lib->get<retort_plugin_abi_version_fn>("retort_plugin_abi_version")(),
                              lib->get<retort_plugin_build_id_fn>("retort_plugin_build_id")());
    require("retort_plugin_create");
    Dialect* raw = nullptr;
    char error[1024] = {};
    int rc = lib->get<retort_plugin_create_fn>("retort_plugin_create")(&raw, error, sizeof error);
    if (rc != 0 || raw == nullptr)
        throw PluginError("dialect plugin " + quoted(path) + " failed to initialise: " +
                          (error[0] ? std::string(error) : std::string("it returned no dialect")));
    // The deleter owns the library: the dialect is destroyed first (its code
    // lives in the library), then the library may be unloaded.
    std::shared_ptr<const Dialect> dialect(raw, [lib](const Dialect* d) { delete d; });
    r.by_path.emplace(canonical.string(), dialect);
    return dialect;
}

// The dialect name a plugin file declares: N in libretort_dialect_N.so.
std::string file_dialect_name(const fs::path& p) {
    std::string f = p.filename().string();
    return f.substr(file_prefix.size(), f.size() - file_prefix.size() - file_suffix.size());
}

// Loads the plugin at `path`, refusing one whose dialect calls itself by a
// name other than its file's: it could otherwise take over another dialect's
// name (or aliases) depending on which lookup happened first.
std::shared_ptr<const Dialect> load_named(Registry& r, const fs::path& path) {
    std::string expected = file_dialect_name(path);
    auto d = load_locked(r, path, &expected);
    if (d->name() != expected)
        throw PluginError("dialect plugin " + quoted(path) + " calls itself '" + std::string(d->name()) + "', not '" +
                          expected + "' as its file name says; it is not loaded under either name");
    return d;
}

bool valid_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

std::vector<fs::path> plugin_files() {
    std::vector<fs::path> out;
    for (const auto& dir : search_path()) {
        std::error_code ec;
        std::vector<fs::path> here;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::string f = it->path().filename().string();
            if (f.size() > file_prefix.size() + file_suffix.size() && f.starts_with(file_prefix) && f.ends_with(file_suffix))
                here.push_back(it->path());
        }
        std::sort(here.begin(), here.end());
        out.insert(out.end(), here.begin(), here.end());
    }
    return out;
}

}  // namespace

std::vector<fs::path> search_path() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("RETORT_PLUGIN_PATH")) {
        std::string_view s = env;
        while (!s.empty()) {
            auto colon = s.find(':');
            std::string_view d = s.substr(0, colon);
            if (!d.empty()) dirs.emplace_back(std::string(d));
            s = colon == std::string_view::npos ? std::string_view{} : s.substr(colon + 1);
        }
    }
    boost::dll::fs::error_code ec;
    // Normalised: the library may have been found through an RPATH such as
    // prefix/lib/pkgconfig/../../lib, and messages should name plain paths.
    fs::path core = boost::dll::this_line_location(ec).lexically_normal();
    if (!ec && !core.empty()) {
        dirs.push_back(core.parent_path());
        dirs.push_back(core.parent_path() / "retort");
    }
    return dirs;
}

std::shared_ptr<const Dialect> load_plugin_file(const fs::path& path) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    return load_locked(r, path);
}

std::shared_ptr<const Dialect> load_dialect(std::string_view name) {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    if (auto it = r.by_name.find(std::string(name)); it != r.by_name.end()) return it->second;
    if (!valid_name(name))
        throw PluginError("invalid dialect name '" + std::string(name) + "': use lower-case letters, digits and '_'");

    auto dirs = search_path();
    std::string file = std::string(file_prefix) + std::string(name) + std::string(file_suffix);
    for (const auto& dir : dirs) {
        fs::path candidate = dir / file;
        std::error_code ec;
        if (!fs::exists(fs::symlink_status(candidate, ec))) continue;  // a broken link is reported by load_named
        auto d = load_named(r, candidate);
        register_dialect(r, d);
        return d;
    }

    // Not a plugin's own name: perhaps one of their aliases. Loading each plugin
    // is what it takes to learn its aliases; a plugin that fails to load is
    // skipped here (it is reported when asked for by its own name).
    std::vector<std::string> known;
    for (const auto& path : plugin_files()) {
        try {
            auto d = load_named(r, path);
            register_dialect(r, d);
            std::string entry(d->name());
            if (std::find(known.begin(), known.end(), entry) == known.end()) known.push_back(entry);
        } catch (const PluginError&) {
        }
    }
    if (auto it = r.by_name.find(std::string(name)); it != r.by_name.end()) return it->second;

    std::string msg = "dialect '" + std::string(name) + "' not found; known: ";
    msg += known.empty() ? "none" : "";
    for (std::size_t i = 0; i < known.size(); ++i) msg += (i ? ", " : "") + known[i];
    msg += " (searched: ";
    for (std::size_t i = 0; i < dirs.size(); ++i) msg += (i ? ", " : "") + dirs[i].string();
    msg += "; set RETORT_PLUGIN_PATH to add a directory)";
    throw PluginError(msg);
}

std::vector<PluginInfo> available_plugins() {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<PluginInfo> out;
    for (const auto& path : plugin_files()) {
        PluginInfo info;
        info.path = path;
        try {
            auto d = load_named(r, path);
            info.name = d->name();
            info.aliases = d->aliases();
            info.version = d->version();
            info.driver = d->driver_description();
        } catch (const PluginError& e) {
            info.error = e.what();
        }
        out.push_back(std::move(info));
    }
    return out;
}

}  // namespace retort::plugin
