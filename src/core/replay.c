/* arus dead-letters --replay: rows the destination refused, loaded again after it was fixed.
 * Each dead letter's JSON (arus_row_to_json) becomes a one-row batch of its table's columns,
 * loaded like a sync loads (raw and/or normalized per load_mode) and deleted from
 * _dead_letters in the same transaction: a row that now loads leaves the table, a row still
 * refused stays with its reason. JSON is parsed with json-c. */
#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"
#include "arus/sync.h"
#include "arus/util.h"
#include "core/sync_internal.h"

/* The canonical cell text of one JSON value of column col (the inverse of put_json_value in
 * batch.c) into c, copied into b's arena. */
static int cell_from_json(struct arus_batch *b, struct arus_cell *c, const struct arus_column *col,
                          struct json_object *v, struct arus_error *err)
{
    if (!v || json_object_is_type(v, json_type_null))
        return ARUS_OK; /* NULL */
    enum arus_ltype t = col->type.ltype;
    if (t == ARUS_T_BOOL) {
        const char *s = json_object_get_boolean(v) ? "true" : "false";
        arus_cell_set(b, c, s, strlen(s));
        return ARUS_OK;
    }
    if (t == ARUS_T_JSON || !json_object_is_type(v, json_type_string)) {
        /* numbers keep the text they were parsed from (json-c stores it), JSON cells their
         * value re-serialised */
        const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
        arus_cell_set(b, c, s, strlen(s));
        return ARUS_OK;
    }
    const char *s = json_object_get_string(v);
    size_t n = (size_t)json_object_get_string_len(v);
    if (t == ARUS_T_BYTES) {
        unsigned char *out = arus_arena_alloc(b->arena, n / 4 * 3 + 4);
        int len = n ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)n) : 0;
        if (len < 0)
            return arus_error_set(err, ARUS_EDATA, "column \"%s\": invalid base64 in dead letter",
                                  col->name);
        for (size_t i = n; i > 0 && s[i - 1] == '='; i--)
            len--; /* EVP_DecodeBlock counts the padding as zero bytes */
        arus_cell_set(b, c, out, (size_t)len);
        return ARUS_OK;
    }
    if ((t == ARUS_T_TIMESTAMP || t == ARUS_T_TIMESTAMPTZ) && n >= 19) {
        char *ts = arus_arena_alloc(b->arena, n + 1);
        memcpy(ts, s, n);
        ts[10] = ' ';
        size_t len = n;
        if (ts[len - 1] == 'Z')
            len--;
        ts[len] = '\0';
        arus_cell_set_borrowed(c, ts, len);
        return ARUS_OK;
    }
    arus_cell_set(b, c, s, n);
    return ARUS_OK;
}

/* One dead letter's row as the single row of b (whose schema names the columns). */
static int row_from_json(struct arus_batch *b, const char *json, struct arus_error *err)
{
    struct json_object *obj = json_tokener_parse(json);
    if (!obj || !json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return arus_error_set(err, ARUS_EDATA, "dead letter is not a JSON object");
    }
    arus_batch_clear(b);
    struct arus_cell *row = arus_batch_add_row(b);
    int rc = ARUS_OK;
    for (size_t i = 0; rc == ARUS_OK && i < b->ncolumns; i++) {
        struct json_object *v = NULL;
        json_object_object_get_ex(obj, b->schema->columns[i].name, &v);
        rc = cell_from_json(b, &row[i], &b->schema->columns[i], v, err);
    }
    json_object_put(obj);
    return rc;
}

/* Load row of b as a sync would and delete dl, in one transaction. */
static int replay_one(struct arus_destination *dst, enum arus_load_mode mode,
                      const struct arus_target *t, const struct arus_batch *b,
                      const struct arus_dead_letter *dl, struct arus_error *err)
{
    int64_t loaded = 0;
    int rc = arus_destination_begin(dst, err);
    if (rc == ARUS_OK && (mode & ARUS_LOAD_RAW))
        rc = arus_destination_load_raw(dst, t, b, &loaded, err);
    if (rc == ARUS_OK && (mode & ARUS_LOAD_NORMALIZED))
        rc = arus_destination_load_normalized(dst, t, b, &loaded, err);
    if (rc == ARUS_OK)
        rc = arus_destination_delete_dead_letter(dst, t, dl, err);
    if (rc == ARUS_OK)
        rc = arus_destination_commit(dst, err);
    if (rc != ARUS_OK) {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_rollback(dst, &ignored);
    }
    return rc;
}

int arus_dead_letters_replay(struct arus_source *src, struct arus_destination *dst,
                             const struct arus_pipeline *p, const char *table,
                             struct arus_replay_report *rep, struct arus_error *err)
{
    memset(rep, 0, sizeof *rep);
    struct arus_arena *a = arus_arena_create(0);
    struct arus_batch *b = NULL;
    struct arus_dead_letter *dl = NULL;
    size_t n = 0;
    bool locked = false;
    char run_id[37];
    arus_uuid_v4(run_id);
    struct arus_target t = {.pipeline = p->name,
                            .source_name = src->endpoint->name,
                            .table = table,
                            .raw_schema = p->raw_schema,
                            .target_schema = p->target_schema,
                            .run_id = run_id};
    int rc;
    /* say so before anything is read: without it no row could ever leave the table */
    if (!arus_destination_can_delete_dead_letters(dst) &&
        (rc = arus_destination_delete_dead_letter(dst, &t, NULL, err)))
        goto out;
    if ((rc = arus_destination_lock(dst, p->name, err)))
        goto out;
    locked = true;
    if ((rc = arus_destination_list_dead_letters(dst, &t, a, &dl, &n, err)) || n == 0)
        goto out;
    if ((rc = arus_source_connect(src, err)))
        goto out;
    const char *schema_of = NULL;
    struct arus__columns cols;
    for (size_t i = 0; i < n; i++) {
        if (!schema_of || strcmp(schema_of, dl[i].table) != 0) {
            /* the columns as the destination got them from the sync that refused the row (the
             * row JSON has their destination names and hashed values) */
            if ((rc = arus__table_columns(src, p, dl[i].table, a, &cols, err)))
                goto out;
            schema_of = dl[i].table;
            arus_batch_destroy(b);
            b = arus_batch_create(cols.load, 1);
        }
        t.table = dl[i].table;
        t.dest_table = cols.dest_table;
        struct arus_error why;
        arus_error_clear(&why);
        int one = row_from_json(b, dl[i].row_data, &why);
        if (one == ARUS_OK)
            one = replay_one(dst, cols.load_mode, &t, b, &dl[i], &why);
        if (one == ARUS_OK) {
            rep->replayed++;
        } else if (one == ARUS_EDATA) {
            rep->still_refused++;
            snprintf(rep->last_error, sizeof rep->last_error, "%s", why.msg);
            arus_log(ARUS_LOG_INFO, "replay", "table \"%s\": row still refused: %s", dl[i].table,
                     why.msg);
        } else {
            *err = why;
            rc = one;
            goto out;
        }
    }
    if (rep->still_refused)
        rc = arus_error_set(err, ARUS_EDATA,
                            "%lld of %zu dead letter(s) still refused by the destination (kept); "
                            "last: %s",
                            (long long)rep->still_refused, n, rep->last_error);
out:
    if (locked)
        arus__unlock_quietly(dst, p->name);
    arus_batch_destroy(b);
    arus_arena_destroy(a);
    return rc;
}
