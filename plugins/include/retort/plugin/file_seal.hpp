// The seal of a plugin file: a footer appended to the shared library when it is
// built, and checked with plain file reads before the library is handed to the
// dynamic loader.
//
// dlopen() trusts the file: one truncated by a half-finished copy maps pages
// past its end and kills the process with SIGBUS at the first touch, and one
// cut after its last loaded segment loads "fine" with garbage debug data. The
// seal records what the file was when built, so that any other file is refused
// with a PluginError naming it and the reason, and never mapped.
//
// Layout (256 bytes, little-endian, at the very end of the file):
//   char     name[64]         the dialect name, NUL-padded
//   char     build_id[128]    the toolchain fingerprint (RETORT_PLUGIN_BUILD_ID)
//   uint64   payload_length   bytes before the footer
//   uint64   checksum         seal_checksum() of those bytes
//   uint32   abi_version
//   uint32   footer_version   1
//   char     reserved[24]     zeros
//   char     magic[16]        "RETORT-PLUGIN-1\n"
// The checksum detects damage, not tampering: it is no signature.
//
// `strip` and `objcopy` drop the footer: seal after them (retort_add_dialect_plugin
// seals as the last step of the build, with the retort-seal-plugin tool).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace retort::plugin {

struct FileSeal {
    std::string name;
    std::string build_id;
    std::uint32_t abi_version = 0;
    std::uint64_t payload_length = 0;
    std::uint64_t checksum = 0;
};

inline constexpr std::size_t seal_size = 256;

/// Reads and verifies the seal of `path`: present, length and checksum matching
/// the file. Throws PluginError naming the file and what is wrong. Checking the
/// sealed name, interface version and toolchain against the core is the loader's.
FileSeal read_seal(const std::filesystem::path& path);

/// Appends the seal (or replaces the one there) recording `seal`'s name,
/// build_id and abi_version; the length and checksum are computed. Throws
/// PluginError on I/O failure. (tools/seal_plugin calls it with what the
/// plugin's own entry points report.)
void seal_plugin_file(const std::filesystem::path& path, const FileSeal& seal);

}  // namespace retort::plugin
