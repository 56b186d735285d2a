/* Turns on one SQLite database file among the destination connections of this process. SQLite
 * lets one writer in at a time and makes the others poll (busy timeout); with several
 * connection pairs (`parallelism`) a poller could lose every try to writers that commit and
 * begin again back to back, and fail with "database is locked". A ticket lock per file, first
 * come first served, gives every connection its turn whatever the batch size; SQLite has no
 * such option. Other processes still meet the file lock and the busy timeout as before. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "connectors/sqlite/conn.h"

struct arus__sqlite_turn {
    struct arus__sqlite_turn *next;
    char *path;
    size_t refs;
    pthread_cond_t cond;
    unsigned long next_ticket, serving;
};

static pthread_mutex_t turn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct arus__sqlite_turn *turn_files;

struct arus__sqlite_turn *arus__sqlite_turn_get(const char *path)
{
    /* two spellings of one file (relative, symlinked) share a turn */
    char *real = realpath(path, NULL);
    const char *key = real ? real : path;
    pthread_mutex_lock(&turn_mu);
    struct arus__sqlite_turn *t = turn_files;
    while (t && strcmp(t->path, key) != 0)
        t = t->next;
    if (!t) {
        t = arus_xcalloc(1, sizeof *t);
        t->path = arus_xstrdup(key);
        pthread_cond_init(&t->cond, NULL);
        t->next = turn_files;
        turn_files = t;
    }
    t->refs++;
    pthread_mutex_unlock(&turn_mu);
    free(real);
    return t;
}

void arus__sqlite_turn_put(struct arus__sqlite_turn *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&turn_mu);
    if (--t->refs == 0) {
        struct arus__sqlite_turn **p = &turn_files;
        while (*p != t)
            p = &(*p)->next;
        *p = t->next;
        pthread_cond_destroy(&t->cond);
        free(t->path);
        free(t);
    }
    pthread_mutex_unlock(&turn_mu);
}

void arus__sqlite_turn_take(struct arus__sqlite_turn *t)
{
    pthread_mutex_lock(&turn_mu);
    unsigned long ticket = t->next_ticket++;
    while (t->serving != ticket)
        pthread_cond_wait(&t->cond, &turn_mu);
    pthread_mutex_unlock(&turn_mu);
}

void arus__sqlite_turn_give(struct arus__sqlite_turn *t)
{
    pthread_mutex_lock(&turn_mu);
    t->serving++;
    pthread_cond_broadcast(&t->cond);
    pthread_mutex_unlock(&turn_mu);
}
