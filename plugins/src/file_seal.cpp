#include "retort/plugin/file_seal.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <system_error>
#include <vector>

#include "retort/error.hpp"

namespace retort::plugin {

namespace fs = std::filesystem;

namespace {

constexpr char magic[16] = {'R', 'E', 'T', 'O', 'R', 'T', '-', 'P', 'L', 'U', 'G', 'I', 'N', '-', '1', '\n'};
constexpr std::uint32_t footer_version = 1;
constexpr std::size_t name_size = 64, build_id_size = 128, reserved_size = 24;
static_assert(name_size + build_id_size + 8 + 8 + 4 + 4 + reserved_size + sizeof magic == seal_size);

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

void put(char*& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) *out++ = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get(const char*& in, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(*in++)) << (8 * i);
    return v;
}

std::string text_field(const char* p, std::size_t size) { return std::string(p, strnlen(p, size)); }

// Hashes a file in blocks without holding it whole in memory.
// A 64-bit hash of the bytes, eight at a time: FNV-1a's prime over words, with
// a final avalanche, so that every bit of every byte reaches the result.
std::uint64_t hash_block(std::string_view bytes) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL ^ bytes.size();
    std::size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < bytes.size(); ++i) h = (h ^ static_cast<unsigned char>(bytes[i])) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

// The checksum of the first `length` bytes, read in blocks of 1 MiB (the
// blocks are chained: the result depends on the block size, fixed here).
std::uint64_t checksum_of(std::ifstream& in, std::uint64_t length) {
    std::uint64_t state = hash_block({});
    std::vector<char> block(1 << 20);
    std::uint64_t left = length;
    while (left > 0) {
        auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block.size()));
        in.read(block.data(), static_cast<std::streamsize>(n));
        if (static_cast<std::size_t>(in.gcount()) != n) return ~state;  // the file shrank while read
        state ^= hash_block(std::string_view(block.data(), n));
        state *= 0x9e3779b97f4a7c15ULL;
        left -= n;
    }
    return state;
}

}  // namespace

FileSeal read_seal(const fs::path& path) {
    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) throw PluginError("cannot read dialect plugin " + quoted(path) + ": " + ec.message());
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginError("cannot open dialect plugin " + quoted(path));
    const std::string not_sealed = "dialect plugin " + quoted(path) + " has no Retort seal at its end: ";
    if (size < seal_size)
        throw PluginError(not_sealed + "at " + std::to_string(size) +
                          " bytes it is truncated, or it is not a Retort plugin");

    char footer[seal_size];
    in.seekg(static_cast<std::streamoff>(size - seal_size));
    in.read(footer, seal_size);
    if (in.gcount() != static_cast<std::streamsize>(seal_size))
        throw PluginError("cannot read dialect plugin " + quoted(path) + ": it shrank while being read");
    if (std::memcmp(footer + seal_size - sizeof magic, magic, sizeof magic) != 0)
        throw PluginError(not_sealed + "it is truncated (a half-finished copy?), was stripped after it was built, or "
                                       "was not built with retort_add_dialect_plugin (which seals it)");
    FileSeal seal;
    const char* p = footer;
    seal.name = text_field(p, name_size);
    p += name_size;
    seal.build_id = text_field(p, build_id_size);
    p += build_id_size;
    seal.payload_length = get(p, 8);
    seal.checksum = get(p, 8);
    seal.abi_version = static_cast<std::uint32_t>(get(p, 4));
    auto version = static_cast<std::uint32_t>(get(p, 4));
    if (version != footer_version)
        throw PluginError("dialect plugin " + quoted(path) + " has a seal of version " + std::to_string(version) +
                          ", which this Retort cannot read; rebuild the plugin against this Retort");
    if (seal.payload_length + seal_size != size)
        throw PluginError("dialect plugin " + quoted(path) + " is " + std::to_string(size) + " bytes long, but was " +
                          std::to_string(seal.payload_length + seal_size) +
                          " when it was built: it was damaged in copying (copy it again)");
    in.seekg(0);
    if (checksum_of(in, seal.payload_length) != seal.checksum)
        throw PluginError("dialect plugin " + quoted(path) +
                          " is damaged: its contents no longer match the checksum written when it was built "
                          "(copy it again)");
    return seal;
}

void seal_plugin_file(const fs::path& path, const FileSeal& seal) {
    const std::string cannot = "cannot seal dialect plugin " + quoted(path) + ": ";
    const std::string& name = seal.name;
    const std::string& build_id = seal.build_id;
    if (name.empty() || name.size() >= name_size) throw PluginError(cannot + "the dialect name must be 1 to 63 bytes");
    if (build_id.size() >= build_id_size) throw PluginError(cannot + "the toolchain fingerprint is too long");

    std::error_code ec;
    auto size = fs::file_size(path, ec);
    if (ec) throw PluginError(cannot + ec.message());
    std::uint64_t payload = size;
    {
        // Sealed already (a re-run of the build step): replace that seal.
        std::ifstream in(path, std::ios::binary);
        char tail[sizeof magic];
        if (size >= seal_size) {
            in.seekg(static_cast<std::streamoff>(size - sizeof magic));
            in.read(tail, sizeof magic);
            if (in.gcount() == sizeof magic && std::memcmp(tail, magic, sizeof magic) == 0) payload = size - seal_size;
        }
        in.seekg(0);
        std::uint64_t sum = checksum_of(in, payload);
        if (!in) throw PluginError(cannot + "read error");

        char footer[seal_size] = {};
        char* out = footer;
        std::memcpy(out, name.data(), name.size());
        out += name_size;
        std::memcpy(out, build_id.data(), build_id.size());
        out += build_id_size;
        put(out, payload, 8);
        put(out, sum, 8);
        put(out, seal.abi_version, 4);
        put(out, footer_version, 4);
        out += reserved_size;  // zeros
        std::memcpy(out, magic, sizeof magic);

        if (payload != size) fs::resize_file(path, payload, ec);
        if (ec) throw PluginError(cannot + ec.message());
        std::ofstream file(path, std::ios::binary | std::ios::app);
        file.write(footer, seal_size);
        file.close();
        if (!file) throw PluginError(cannot + "write error");
    }
}

}  // namespace retort::plugin
