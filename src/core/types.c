/* Logical type names, schema helpers and the spec's sync-mode detection rules (shared by every
 * source). */
#include "arus/types.h"

#include <string.h>
#include <strings.h>

#include "arus/arena.h"

static const char *const ltype_names[ARUS_T__COUNT] = {
    "bool",   "int16",  "int32", "int64", "uint64",    "decimal",     "float32", "float64",
    "string", "bytes",  "uuid",  "date",  "time",      "timestamp",   "timestamptz", "json",
    "interval",
};

bool arus_ltype_is_time(enum arus_ltype t)
{
    return t == ARUS_T_TIMESTAMP || t == ARUS_T_TIMESTAMPTZ || t == ARUS_T_DATE;
}

const char *arus_ltype_name(enum arus_ltype t)
{
    return (unsigned)t < ARUS_T__COUNT ? ltype_names[t] : "?";
}

int arus_ltype_parse(const char *name)
{
    for (int i = 0; i < ARUS_T__COUNT; i++)
        if (strcmp(ltype_names[i], name) == 0)
            return i;
    return -1;
}

int arus_schema_find(const struct arus_table_schema *t, const char *name)
{
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcmp(t->columns[i].name, name) == 0)
            return (int)i;
    for (size_t i = 0; i < t->ncolumns; i++)
        if (strcasecmp(t->columns[i].name, name) == 0)
            return (int)i;
    return -1;
}

size_t arus_schema_pk(const struct arus_table_schema *t, size_t *idx)
{
    size_t n = 0;
    for (int ord = 1;; ord++) {
        size_t found = n;
        for (size_t i = 0; i < t->ncolumns; i++)
            if (t->columns[i].pk_ordinal == ord)
                idx[n++] = i;
        if (found == n)
            return n;
    }
}

struct arus_table_schema *arus_schema_copy(struct arus_arena *a, const struct arus_table_schema *t)
{
    struct arus_table_schema *c = arus_arena_calloc(a, 1, sizeof *c);
    c->schema_name = arus_arena_strdup(a, t->schema_name);
    c->name = arus_arena_strdup(a, t->name);
    c->row_count_estimate = t->row_count_estimate;
    c->ncolumns = t->ncolumns;
    c->columns = arus_arena_calloc(a, t->ncolumns ? t->ncolumns : 1, sizeof *c->columns);
    for (size_t i = 0; i < t->ncolumns; i++) {
        c->columns[i] = t->columns[i];
        c->columns[i].name = arus_arena_strdup(a, t->columns[i].name);
        c->columns[i].source_type = arus_arena_strdup(a, t->columns[i].source_type);
    }
    return c;
}

/* A candidate name only counts when the column can be ordered meaningfully (a boolean column
 * called "updated" is a flag, not a watermark). */
static bool orderable(const struct arus_column *c)
{
    switch (c->type.ltype) {
    case ARUS_T_BOOL:
    case ARUS_T_BYTES:
    case ARUS_T_JSON:
        return false;
    default:
        return true;
    }
}

void arus_detect_sync_mode(const struct arus_table_schema *t, struct arus_sync_mode *out)
{
    static const char *const candidates[] = {"updated_at", "modified_at", "last_modified",
                                             "updated", "created_at"};
    memset(out, 0, sizeof *out);
    out->mode = ARUS_SYNC_FULL_REFRESH;
    for (size_t k = 0; k < sizeof candidates / sizeof *candidates; k++) {
        int i = arus_schema_find(t, candidates[k]);
        if (i >= 0 && strcasecmp(t->columns[i].name, candidates[k]) == 0 &&
            orderable(&t->columns[i])) {
            out->mode = ARUS_SYNC_INCREMENTAL;
            out->watermark_column = t->columns[i].name;
            break;
        }
    }
    int d = arus_schema_find(t, "deleted_at");
    if (d >= 0 && strcasecmp(t->columns[d].name, "deleted_at") == 0)
        out->deleted_at_column = t->columns[d].name;
}
