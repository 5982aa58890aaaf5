// Counts the process's heap allocations, whoever makes them: the bench
// replaces malloc and its relatives (glibc lets an executable interpose them),
// so the client libraries' and the plugins' allocations are counted as well as
// Retort's, and a raw C loop is measured by the same rule as the ORM.
#pragma once

#include <cstddef>
#include <cstdint>

namespace retort::bench {

struct HeapUse {
    std::uint64_t allocations = 0;  ///< calls that returned new memory (realloc counts once)
    std::size_t peak_bytes = 0;     ///< the most live heap bytes at once, above the level at start()
};

/// Starts counting from here: allocations from zero, the peak from the bytes live now.
void heap_start();
/// What was counted since heap_start().
HeapUse heap_since_start();

}  // namespace retort::bench
