/* Choosing what moves, per table: columns / exclude_columns (what the source reads), rename
 * (destination table and column names), hash_columns (values replaced by their keyed SHA-256,
 * HMAC-SHA256 from OpenSSL, in lower-case hex: the same value always gives the same text, so
 * joins on it still work) and load_mode. Turns a table's source schema into the schema an extract
 * reads and the schema the destination gets; both have the same columns in the same order. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/sync.h"
#include "core/sync_internal.h"

/* Every name of a rule list must be a column of t. */
static int check_names(const struct arus_table_schema *t, const char *rule,
                       const char *const *names, size_t n, struct arus_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (arus_schema_find(t, names[i]) >= 0)
            continue;
        struct arus_strbuf sb;
        arus_strbuf_init(&sb);
        for (size_t c = 0; c < t->ncolumns; c++)
            arus_strbuf_appendf(&sb, "%s%s", c ? ", " : "", t->columns[c].name);
        arus_error_set(err, ARUS_ECONFIG, "table \"%s\": %s: unknown column \"%s\" (it has: %s)",
                       t->name, rule, names[i], arus_strbuf_cstr(&sb));
        arus_strbuf_cleanup(&sb);
        return ARUS_ECONFIG;
    }
    return ARUS_OK;
}

/* The exact column name of a rule's (possibly differently cased) name. */
static const char *column_of(const struct arus_table_schema *t, const char *name)
{
    int i = arus_schema_find(t, name);
    return i >= 0 ? t->columns[i].name : name;
}

static int check_rules(const struct arus_table_override *o, const struct arus_table_schema *t,
                       struct arus_error *err)
{
    int rc = check_names(t, "columns", o->columns, o->ncolumns, err);
    if (rc == ARUS_OK)
        rc = check_names(t, "exclude_columns", o->exclude_columns, o->nexclude_columns, err);
    if (rc == ARUS_OK)
        rc = check_names(t, "hash_columns", o->hash_columns, o->nhash_columns, err);
    if (rc == ARUS_OK)
        rc = check_names(t, "rename", o->rename_from, o->nrename, err);
    return rc;
}

/* Whether column c of the source moves: named by columns:, or not by exclude_columns:. */
static bool kept(const struct arus_table_override *o, const struct arus_table_schema *t,
                 const char *c)
{
    bool in = false;
    const char *const *names = o->columns ? o->columns : o->exclude_columns;
    size_t n = o->columns ? o->ncolumns : o->nexclude_columns;
    for (size_t i = 0; i < n && !in; i++)
        in = strcmp(column_of(t, names[i]), c) == 0;
    return o->columns ? in : !in;
}

void arus__hashed_column(struct arus_column *c)
{
    /* 64 hex digits, whatever the source type was */
    c->type = (struct arus_type){.ltype = ARUS_T_STRING, .length = ARUS__HMAC_HEX};
    c->source_type = "hmac-sha256";
}

bool arus__column_rule(const struct arus_pipeline *p, const char *table,
                       const struct arus_column *col, const char **as, bool *hashed)
{
    const struct arus_table_override *o = arus_pipeline_override(p, table);
    /* the column alone: the rules' names match it as they match a discovered schema's */
    const struct arus_table_schema one = {.columns = (struct arus_column *)col, .ncolumns = 1};
    *as = col->name;
    *hashed = false;
    if (!o)
        return true;
    if (!kept(o, &one, col->name))
        return false;
    for (size_t i = 0; i < o->nhash_columns; i++)
        *hashed |= strcmp(column_of(&one, o->hash_columns[i]), col->name) == 0;
    for (size_t i = 0; i < o->nrename; i++)
        if (strcmp(column_of(&one, o->rename_from[i]), col->name) == 0)
            *as = o->rename_to[i];
    return true;
}

int arus__apply_column_rules(const struct arus_pipeline *p, struct arus_table_schema *t,
                             struct arus_arena *a, struct arus__columns *out,
                             struct arus_error *err)
{
    const struct arus_table_override *o = arus_pipeline_override(p, t->name);
    memset(out, 0, sizeof *out);
    out->load_mode = arus_pipeline_load_mode(p, t->name);
    int rc = o && o->primary_key ? arus__apply_primary_key(t, o->primary_key, err) : ARUS_OK;
    if (rc == ARUS_OK && o)
        rc = check_rules(o, t, err);
    if (rc)
        return rc;
    struct arus_table_schema *x = arus_schema_copy(a, t);
    x->ncolumns = 0;
    for (size_t i = 0; i < t->ncolumns; i++) {
        const struct arus_column *c = &t->columns[i];
        if (!o || kept(o, t, c->name)) {
            x->columns[x->ncolumns] = x->columns[i];
            x->ncolumns++;
        } else if (c->pk_ordinal) {
            return arus_error_set(err, ARUS_ECONFIG,
                                  "table \"%s\": column \"%s\" is part of the primary key and "
                                  "cannot be left out (or set primary_key to other columns)",
                                  t->name, c->name);
        }
    }
    struct arus_table_schema *l = arus_schema_copy(a, x);
    out->hashed = arus_arena_calloc(a, x->ncolumns + 1, sizeof *out->hashed);
    for (size_t i = 0; o && i < o->nhash_columns; i++) {
        int k = arus_schema_find(x, column_of(t, o->hash_columns[i]));
        if (k < 0)
            return arus_error_set(err, ARUS_ECONFIG,
                                  "table \"%s\": hash_columns: \"%s\" is not loaded (left out "
                                  "by columns/exclude_columns)",
                                  t->name, o->hash_columns[i]);
        out->hashed[out->nhashed++] = (size_t)k;
        arus__hashed_column(&l->columns[k]);
    }
    for (size_t i = 0; o && i < o->nrename; i++) {
        int k = arus_schema_find(l, column_of(t, o->rename_from[i]));
        if (k >= 0)
            l->columns[k].name = arus_arena_strdup(a, o->rename_to[i]);
    }
    for (size_t i = 0; i < l->ncolumns; i++)
        for (size_t k = i + 1; k < l->ncolumns; k++)
            if (strcmp(l->columns[i].name, l->columns[k].name) == 0)
                return arus_error_set(err, ARUS_ECONFIG,
                                      "table \"%s\": rename: two columns would land as \"%s\"",
                                      t->name, l->columns[i].name);
    out->extract = x;
    out->load = l;
    out->dest_table = o ? o->rename_table : NULL;
    out->key = p->hash_key;
    return ARUS_OK;
}

int arus__table_columns(struct arus_source *src, const struct arus_pipeline *p, const char *table,
                        struct arus_arena *a, struct arus__columns *out, struct arus_error *err)
{
    struct arus_table_schema *t = NULL;
    int rc = arus_source_get_table_columns(src, table, a, &t, err);
    return rc ? rc : arus__apply_column_rules(p, t, a, out, err);
}

void arus__hmac_hex(const char *key, const char *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)data, len, mac, &n);
    for (unsigned int k = 0; k < n; k++) {
        out[2 * k] = hex[mac[k] >> 4];
        out[2 * k + 1] = hex[mac[k] & 15];
    }
    out[2 * n] = '\0';
}

void arus__hash_cells(const struct arus__columns *c, struct arus_batch *b)
{
    for (size_t r = 0; c->nhashed && r < b->nrows; r++) {
        struct arus_cell *row = arus_batch_row(b, r);
        for (size_t i = 0; i < c->nhashed; i++) {
            struct arus_cell *cell = &row[c->hashed[i]];
            if (!cell->data)
                continue; /* NULL stays NULL */
            char *text = arus_arena_alloc(b->arena, ARUS__HMAC_HEX + 1);
            arus__hmac_hex(c->key, cell->data, cell->len, text);
            arus_cell_set_borrowed(cell, text, ARUS__HMAC_HEX);
        }
    }
}

int arus_pipeline_table_rules(const struct arus_pipeline *p, struct arus_table_schema *t,
                              struct arus_arena *a, struct arus_table_rules *out,
                              struct arus_error *err)
{
    memset(out, 0, sizeof *out);
    out->column_as = arus_arena_calloc(a, t->ncolumns + 1, sizeof *out->column_as);
    out->hashed = arus_arena_calloc(a, t->ncolumns + 1, sizeof *out->hashed);
    out->dest_table = t->name;
    out->load_mode = arus_pipeline_load_mode(p, t->name);
    bool listed = false;
    for (size_t i = 0; i < p->ntables && !listed; i++)
        listed = arus_glob_match(p->tables[i], t->name);
    if (!listed)
        snprintf(out->why, sizeof out->why, "not in tables:");
    else
        out->selected = !arus_pipeline_skips(p, t->name, out->why, sizeof out->why);
    struct arus__columns c;
    int rc = arus__apply_column_rules(p, t, a, &c, err);
    if (rc) {
        snprintf(out->why, sizeof out->why, "%s", err->msg);
        return rc;
    }
    if (c.dest_table)
        out->dest_table = c.dest_table;
    /* the extract schema keeps the source's order: walk both */
    for (size_t i = 0, k = 0; i < t->ncolumns && k < c.extract->ncolumns; i++) {
        if (strcmp(t->columns[i].name, c.extract->columns[k].name) != 0)
            continue;
        out->column_as[i] = c.load->columns[k].name;
        for (size_t h = 0; h < c.nhashed; h++)
            out->hashed[i] |= c.hashed[h] == k;
        k++;
    }
    return ARUS_OK;
}
