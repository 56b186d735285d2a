/* Bump allocator with reset: one arena per job (table sync) and one per batch.
 * Allocation never fails (out of memory aborts). Callbacks registered with
 * arus_arena_on_reset run on reset/destroy, to free driver objects tied to a batch. */
#ifndef ARUS_ARENA_H
#define ARUS_ARENA_H

#include <stddef.h>

struct arus_arena;

/* Create an arena whose chunks are at least chunk_size bytes (0 = 64 KiB default).
 * Caller frees with arus_arena_destroy. */
struct arus_arena *arus_arena_create(size_t chunk_size);

/* Free everything, running pending on_reset callbacks first. NULL is a no-op. */
void arus_arena_destroy(struct arus_arena *a);

/* Release all allocations (callbacks run in reverse order of registration); keeps the first
 * chunk for reuse so a steady-state batch loop does not touch malloc. */
void arus_arena_reset(struct arus_arena *a);

/* size bytes aligned to 16; memory is NOT zeroed. */
void *arus_arena_alloc(struct arus_arena *a, size_t size);
/* Zeroed allocation. */
void *arus_arena_calloc(struct arus_arena *a, size_t n, size_t size);
/* Copies of strings/bytes owned by the arena; strndup result is NUL-terminated. */
char *arus_arena_strdup(struct arus_arena *a, const char *s);
char *arus_arena_memdup(struct arus_arena *a, const void *p, size_t n); /* adds a NUL byte */

/* Run fn(ptr) when the arena is next reset or destroyed. */
void arus_arena_on_reset(struct arus_arena *a, void (*fn)(void *), void *ptr);

/* Bytes currently handed out (for memory-bound tests and benches). */
size_t arus_arena_used(const struct arus_arena *a);

/* malloc family that aborts on out-of-memory. */
void *arus_xmalloc(size_t n);
void *arus_xcalloc(size_t n, size_t size);
void *arus_xrealloc(void *p, size_t n);
char *arus_xstrdup(const char *s);

#endif
