/* Bump allocator in chunks. Reset keeps the first chunk so the per-batch reset in the sync loop
 * reaches a steady state without malloc traffic; big requests get a chunk of their own. */
#include "arus/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16
#define ARENA_DEFAULT_CHUNK (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct reset_cb {
    struct reset_cb *next;
    void (*fn)(void *);
    void *ptr;
};

struct arus_arena {
    struct chunk *head; /* current chunk; older chunks follow */
    size_t chunk_size;
    size_t used;
    struct reset_cb *callbacks; /* newest first, so they run in reverse order */
};

static void oom(size_t n)
{
    fprintf(stderr, "arus: out of memory allocating %zu bytes\n", n);
    abort();
}

void *arus_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *arus_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *arus_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *arus_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = arus_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = arus_xmalloc(sizeof *c + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

struct arus_arena *arus_arena_create(size_t chunk_size)
{
    struct arus_arena *a = arus_xcalloc(1, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : ARENA_DEFAULT_CHUNK;
    return a;
}

static void run_callbacks(struct arus_arena *a)
{
    while (a->callbacks) {
        struct reset_cb *cb = a->callbacks;
        a->callbacks = cb->next;
        cb->fn(cb->ptr);
        free(cb);
    }
}

void arus_arena_destroy(struct arus_arena *a)
{
    if (!a)
        return;
    run_callbacks(a);
    while (a->head) {
        struct chunk *c = a->head;
        a->head = c->next;
        free(c);
    }
    free(a);
}

void arus_arena_reset(struct arus_arena *a)
{
    run_callbacks(a);
    if (!a->head)
        return;
    /* Keep the oldest standard-size chunk (the tail); free the rest. */
    struct chunk *keep = NULL;
    while (a->head) {
        struct chunk *c = a->head;
        a->head = c->next;
        if (!a->head && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used = 0;
}

void *arus_arena_alloc(struct arus_arena *a, size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need == 0)
        need = ARENA_ALIGN;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        if (need > a->chunk_size / 4) {
            /* Big allocation: its own chunk, linked behind the current one so the current
             * chunk's free space stays usable. */
            struct chunk *big = chunk_new(need);
            big->used = need;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            a->used += need;
            return big->data;
        }
        c = chunk_new(a->chunk_size);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void *arus_arena_calloc(struct arus_arena *a, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    void *p = arus_arena_alloc(a, n * size);
    memset(p, 0, n * size);
    return p;
}

char *arus_arena_memdup(struct arus_arena *a, const void *p, size_t n)
{
    char *q = arus_arena_alloc(a, n + 1);
    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

char *arus_arena_strdup(struct arus_arena *a, const char *s)
{
    return s ? arus_arena_memdup(a, s, strlen(s)) : NULL;
}

void arus_arena_on_reset(struct arus_arena *a, void (*fn)(void *), void *ptr)
{
    struct reset_cb *cb = arus_xmalloc(sizeof *cb);
    cb->fn = fn;
    cb->ptr = ptr;
    cb->next = a->callbacks;
    a->callbacks = cb;
}

size_t arus_arena_used(const struct arus_arena *a)
{
    return a->used;
}
