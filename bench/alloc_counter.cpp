// malloc, calloc, realloc, free and the aligned allocators, forwarded to glibc's
// own (__libc_*) with two relaxed counters on the way: the number of
// allocations and the live bytes (malloc_usable_size, so that free needs no
// header of ours). Relaxed atomics: a few nanoseconds per call, the same for
// the raw loops and for Retort.
#include "alloc_counter.hpp"

#include <malloc.h>

#include <atomic>
#include <cerrno>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);
}

namespace {

std::atomic<std::uint64_t> allocations{0};
std::atomic<std::int64_t> live{0};
std::atomic<std::int64_t> peak{0};
std::atomic<std::int64_t> base{0};  // live bytes at heap_start()

void note_alloc(void* p) {
    if (!p) return;
    allocations.fetch_add(1, std::memory_order_relaxed);
    auto now = live.fetch_add(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed) +
               static_cast<std::int64_t>(malloc_usable_size(p));
    auto seen = peak.load(std::memory_order_relaxed);
    while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
}

void note_free(void* p) {
    if (p) live.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

}  // namespace

extern "C" {

void* malloc(std::size_t n) {
    void* p = __libc_malloc(n);
    note_alloc(p);
    return p;
}

void* calloc(std::size_t count, std::size_t n) {
    void* p = __libc_calloc(count, n);
    note_alloc(p);
    return p;
}

void* realloc(void* old, std::size_t n) {
    note_free(old);
    void* p = __libc_realloc(old, n);
    if (p) note_alloc(p);
    else if (old && n != 0) note_alloc(old);  // failed: the old block is still there (but counted again)
    return p;
}

void free(void* p) {
    note_free(p);
    __libc_free(p);
}

void* memalign(std::size_t alignment, std::size_t n) {
    void* p = __libc_memalign(alignment, n);
    note_alloc(p);
    return p;
}

void* aligned_alloc(std::size_t alignment, std::size_t n) { return memalign(alignment, n); }

int posix_memalign(void** out, std::size_t alignment, std::size_t n) {
    if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
    void* p = memalign(alignment, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

}  // extern "C"

namespace retort::bench {

void heap_start() {
    auto now = live.load(std::memory_order_relaxed);
    base.store(now, std::memory_order_relaxed);
    peak.store(now, std::memory_order_relaxed);
    allocations.store(0, std::memory_order_relaxed);
}

HeapUse heap_since_start() {
    auto above = peak.load(std::memory_order_relaxed) - base.load(std::memory_order_relaxed);
    return {allocations.load(std::memory_order_relaxed), static_cast<std::size_t>(above > 0 ? above : 0)};
}

}  // namespace retort::bench
