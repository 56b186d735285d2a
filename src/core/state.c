/* The state tables' layout (watermarks, run history) and the rules every destination shares:
 * which value goes in which column, how read-back text becomes records again, and how the runs
 * of a dead process become "aborted". See arus/state.h. */
#include "arus/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/util.h"

enum {
    WM_PIPELINE,
    WM_TABLE,
    WM_WATERMARK,
    WM_DELETES,
    WM_RUN_ID,
    WM_UPDATED_AT,
    WM_HELD_FROM, /* added by the commit horizon */
    WM__COUNT
};

static const struct arus_state_column wm_columns[] = {
    [WM_PIPELINE] = {ARUS_STATE_PIPELINE_COLUMN, ARUS_STATE_NAME, true},
    [WM_TABLE] = {ARUS_STATE_TABLE_COLUMN, ARUS_STATE_NAME, true},
    [WM_WATERMARK] = {"watermark", ARUS_STATE_TEXT, false},
    [WM_DELETES] = {"deletes_watermark", ARUS_STATE_TEXT, false},
    [WM_RUN_ID] = {"run_id", ARUS_STATE_UUID, false},
    [WM_UPDATED_AT] = {"updated_at", ARUS_STATE_STAMP, true},
    [WM_HELD_FROM] = {"held_from", ARUS_STATE_TEXT, false},
};

const struct arus_state_table arus_state_watermarks = {
    .name = "watermarks",
    .columns = wm_columns,
    .ncolumns = WM__COUNT,
    .nkey = 2,
    .order_by = ARUS_STATE_TABLE_COLUMN,
    .nfirst = WM_HELD_FROM,
};

enum {
    RUN_ID,
    RUN_TABLE,
    RUN_PIPELINE,
    RUN_MODE,
    RUN_STATUS,
    RUN_STARTED_AT,
    RUN_FINISHED_AT,
    RUN_EXTRACTED,
    RUN_LOADED,
    RUN_DELETED,
    RUN_DEAD_LETTERED,
    RUN_ERROR,
    RUN__COUNT
};

static const struct arus_state_column run_columns[] = {
    [RUN_ID] = {"run_id", ARUS_STATE_UUID, true},
    [RUN_TABLE] = {ARUS_STATE_TABLE_COLUMN, ARUS_STATE_NAME, true},
    [RUN_PIPELINE] = {ARUS_STATE_PIPELINE_COLUMN, ARUS_STATE_NAME, true},
    [RUN_MODE] = {"mode", ARUS_STATE_WORD, true},
    [RUN_STATUS] = {"status", ARUS_STATE_WORD, true},
    [RUN_STARTED_AT] = {"started_at", ARUS_STATE_TIME, true},
    [RUN_FINISHED_AT] = {"finished_at", ARUS_STATE_TIME, false},
    [RUN_EXTRACTED] = {"rows_extracted", ARUS_STATE_COUNT, true},
    [RUN_LOADED] = {"rows_loaded", ARUS_STATE_COUNT, true},
    [RUN_DELETED] = {"rows_deleted", ARUS_STATE_COUNT, true},
    [RUN_DEAD_LETTERED] = {"rows_dead_lettered", ARUS_STATE_COUNT, true},
    [RUN_ERROR] = {"error", ARUS_STATE_TEXT, false},
};

const struct arus_state_table arus_state_runs = {
    .name = "runs",
    .columns = run_columns,
    .ncolumns = RUN__COUNT,
    .nkey = 2,
    .order_by = "started_at DESC, " ARUS_STATE_TABLE_COLUMN,
    .nfirst = RUN__COUNT,
};

_Static_assert(WM__COUNT <= ARUS_STATE_MAX_COLUMNS && RUN__COUNT <= ARUS_STATE_MAX_COLUMNS,
               "struct arus_state_row holds every column");

void arus_state_names(struct arus_strbuf *sb, const struct arus_state_table *t, size_t from,
                      size_t to, char quote, const char *const *set)
{
    for (size_t i = from; i < to; i++) {
        if (i > from)
            arus_strbuf_puts(sb, ", ");
        arus_sql_quote_ident(sb, t->columns[i].name, quote, false);
        if (set) {
            arus_strbuf_puts(sb, " = ");
            arus_strbuf_puts(sb, set[0]);
            arus_sql_quote_ident(sb, t->columns[i].name, quote, false);
            arus_strbuf_puts(sb, set[1]);
        }
    }
}

void arus_state_select_list(struct arus_strbuf *sb, const struct arus_state_table *t, char quote,
                            bool old_layout, arus_state_wrap_fn wrap)
{
    struct arus_strbuf name;
    arus_strbuf_init(&name);
    for (size_t i = 0; i < t->ncolumns; i++) {
        arus_strbuf_puts(sb, i ? ", " : "");
        if (old_layout && i >= t->nfirst) {
            arus_strbuf_puts(sb, "NULL");
            continue;
        }
        arus_strbuf_reset(&name);
        arus_sql_quote_ident(&name, t->columns[i].name, quote, false);
        if (wrap)
            wrap(sb, &t->columns[i], arus_strbuf_cstr(&name));
        else
            arus_strbuf_puts(sb, arus_strbuf_cstr(&name));
    }
    arus_strbuf_cleanup(&name);
}

static void put_count(struct arus_state_row *row, int i, int64_t v)
{
    snprintf(row->num[i], sizeof row->num[i], "%lld", (long long)v);
    row->value[i] = row->num[i];
}

void arus_state_row_from_watermark(struct arus_state_row *row, const struct arus_target *t,
                                   const struct arus_table_state *st)
{
    memset(row, 0, sizeof *row);
    row->value[WM_PIPELINE] = t->pipeline;
    row->value[WM_TABLE] = t->table;
    row->value[WM_WATERMARK] = st->watermark;
    row->value[WM_DELETES] = st->deletes_watermark;
    row->value[WM_RUN_ID] = st->run_id ? st->run_id : t->run_id;
    if (!st->updated_at)
        arus_now_utc(row->now, sizeof row->now);
    row->value[WM_UPDATED_AT] = st->updated_at ? st->updated_at : row->now;
    row->value[WM_HELD_FROM] = st->held_from;
}

void arus_state_row_from_run(struct arus_state_row *row, const struct arus_run_record *r)
{
    memset(row, 0, sizeof *row);
    row->value[RUN_ID] = r->run_id;
    row->value[RUN_TABLE] = r->table;
    row->value[RUN_PIPELINE] = r->pipeline;
    row->value[RUN_MODE] = r->mode;
    row->value[RUN_STATUS] = r->status;
    row->value[RUN_STARTED_AT] = r->started_at;
    row->value[RUN_FINISHED_AT] = r->finished_at;
    put_count(row, RUN_EXTRACTED, r->rows_extracted);
    put_count(row, RUN_LOADED, r->rows_loaded);
    put_count(row, RUN_DELETED, r->rows_deleted);
    put_count(row, RUN_DEAD_LETTERED, r->rows_dead_lettered);
    row->value[RUN_ERROR] = r->error;
}

static const char *dup(struct arus_arena *a, const char *s)
{
    return s ? arus_arena_strdup(a, s) : NULL;
}

/* ClickHouse keeps a missing run id as "" (its column is not Nullable). */
static const char *dup_run_id(struct arus_arena *a, const char *s)
{
    return s && *s ? arus_arena_strdup(a, s) : NULL;
}

static int64_t count_of(const char *s)
{
    if (!s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return end == s ? 0 : (int64_t)v;
}

void arus_state_watermark_from_values(const char *const *v, struct arus_arena *a,
                                      const char **table, struct arus_table_state *st)
{
    if (table)
        *table = dup(a, v[WM_TABLE] ? v[WM_TABLE] : "");
    st->watermark = dup(a, v[WM_WATERMARK]);
    st->deletes_watermark = dup(a, v[WM_DELETES]);
    st->run_id = dup_run_id(a, v[WM_RUN_ID]);
    st->updated_at = dup(a, v[WM_UPDATED_AT]);
    st->held_from = dup(a, v[WM_HELD_FROM]);
}

void arus_state_run_from_values(const char *const *v, struct arus_arena *a,
                                struct arus_run_record *r)
{
    r->run_id = dup_run_id(a, v[RUN_ID]);
    r->table = dup(a, v[RUN_TABLE]);
    r->pipeline = dup(a, v[RUN_PIPELINE]);
    r->mode = dup(a, v[RUN_MODE]);
    r->status = dup(a, v[RUN_STATUS]);
    r->started_at = dup(a, v[RUN_STARTED_AT]);
    r->finished_at = dup(a, v[RUN_FINISHED_AT]);
    r->rows_extracted = count_of(v[RUN_EXTRACTED]);
    r->rows_loaded = count_of(v[RUN_LOADED]);
    r->rows_deleted = count_of(v[RUN_DELETED]);
    r->rows_dead_lettered = count_of(v[RUN_DEAD_LETTERED]);
    r->error = dup(a, v[RUN_ERROR]);
}

void arus_state_range_name(char *buf, size_t n, const char *table, long k)
{
    if (k < 0)
        snprintf(buf, n, "%s" ARUS_RANGE_HEADER_SUFFIX, table);
    else
        snprintf(buf, n, "%s" ARUS_RANGE_ROW_INFIX "%ld", table, k);
}

bool arus_state_is_range_row(const char *table_name)
{
    size_t n = strlen(table_name), h = strlen(ARUS_RANGE_HEADER_SUFFIX);
    return strstr(table_name, ARUS_RANGE_ROW_INFIX) ||
           (n > h && strcmp(table_name + n - h, ARUS_RANGE_HEADER_SUFFIX) == 0);
}

void arus_run_mark_aborted(struct arus_run_record *r, const char *finished_at)
{
    r->status = ARUS_RUN_ABORTED;
    r->finished_at = finished_at;
    r->error = ARUS_RUN_ABORTED_ERROR;
}

int arus_state_abort_dead_runs(struct arus_destination *dst, const char *pipeline,
                               struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_run_record *runs = NULL;
    size_t n = 0;
    bool open = false;
    char now[32];
    arus_now_utc(now, sizeof now);
    int rc = arus_destination_list_runs(dst, pipeline, ARUS_STATE_ABORT_SCAN, a, &runs, &n, err);
    for (size_t i = 0; rc == ARUS_OK && i < n; i++) {
        if (!runs[i].status || strcmp(runs[i].status, ARUS_RUN_RUNNING) != 0)
            continue;
        if (!open && (rc = arus_destination_begin(dst, err)) != ARUS_OK)
            break;
        open = true;
        arus_run_mark_aborted(&runs[i], now);
        rc = arus_destination_record_run(dst, &runs[i], err);
    }
    if (open && rc == ARUS_OK)
        rc = arus_destination_commit(dst, err);
    else if (open) {
        struct arus_error ignored;
        arus_error_clear(&ignored);
        arus_destination_rollback(dst, &ignored);
    }
    arus_arena_destroy(a);
    return rc;
}
