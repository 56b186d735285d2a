/* Watermarks and run history of the ClickHouse destination, in <state_schema>.watermarks and
 * <state_schema>.runs (default database arus_state). Both are ReplacingMergeTree tables keyed
 * by (pipeline, table_name) and (run_id, table_name) with an increasing _arus_version, so an
 * "upsert" is an insert and reads use FINAL to see the newest row per key. Timestamps are
 * String to keep the engine's microsecond text exactly on every server version. */
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/util.h"
#include "connectors/clickhouse/conn.h"
#include "connectors/clickhouse/text.h"

static struct ch_dest *ch_of(struct arus_destination *dst) { return (struct ch_dest *)dst; }

int arus__ch_ensure_state(struct arus_destination *dst, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "CREATE DATABASE IF NOT EXISTS ");
    arus__ch_quote_ident(q, d->state_schema);
    int rc = arus__ch_exec(d, q->data, NULL, 0, err, "create state database");
    if (rc != ARUS_OK)
        return rc;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "CREATE TABLE IF NOT EXISTS ");
    arus__ch_quote_table(q, d->state_schema, "watermarks");
    arus_strbuf_puts(q, " (pipeline String, table_name String, watermark Nullable(String), "
                        "deletes_watermark Nullable(String), run_id String, updated_at String, "
                        "_arus_version UInt64) ENGINE = ReplacingMergeTree(_arus_version) "
                        "ORDER BY (pipeline, table_name)");
    rc = arus__ch_exec(d, q->data, NULL, 0, err, "create state table");
    if (rc != ARUS_OK)
        return rc;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "CREATE TABLE IF NOT EXISTS ");
    arus__ch_quote_table(q, d->state_schema, "runs");
    arus_strbuf_puts(q, " (run_id String, table_name String, pipeline String, mode String, "
                        "status String, started_at String, finished_at Nullable(String), "
                        "rows_extracted Int64, rows_loaded Int64, rows_deleted Int64, "
                        "rows_dead_lettered Int64, error Nullable(String), "
                        "_arus_version UInt64) ENGINE = ReplacingMergeTree(_arus_version) "
                        "ORDER BY (run_id, table_name)");
    return arus__ch_exec(d, q->data, NULL, 0, err, "create run history table");
}

/* One TabSeparated field (NULL as \N) followed by sep. */
static void ch_field(struct arus_strbuf *sb, const char *s, char sep)
{
    if (s)
        arus__ch_tsv_escape(sb, s, strlen(s));
    else
        arus_strbuf_append(sb, "\\N", 2);
    arus_strbuf_putc(sb, sep);
}

/* INSERT one watermarks row from f = [pipeline, table, watermark, deletes_watermark, run_id,
 * updated_at]. */
static int ch_write_state(struct ch_dest *d, char *const f[6], struct arus_error *err)
{
    struct arus_strbuf *b = &d->body;
    arus_strbuf_reset(b);
    for (size_t i = 0; i < 6; i++)
        ch_field(b, f[i], '\t');
    arus_strbuf_appendf(b, "%llu\n", (unsigned long long)arus__ch_next_version(d));
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, d->state_schema, "watermarks");
    arus_strbuf_puts(&d->sql, " (pipeline, table_name, watermark, deletes_watermark, run_id, "
                              "updated_at, _arus_version) FORMAT TabSeparated");
    int rc = arus__ch_exec(d, d->sql.data, b->data, b->len, err, "update watermark");
    if (rc == ARUS_OK)
        d->state_written_at = arus_monotonic();
    return rc;
}

int arus__ch_flush_state(struct ch_dest *d, struct arus_error *err)
{
    if (!d->state_pending)
        return ARUS_OK;
    int rc = ch_write_state(d, d->pending, err);
    if (rc == ARUS_OK)
        arus__ch_discard_state(d);
    return rc;
}

/* Every INSERT makes a part on disk, and one watermark row per batch cost as much server time
 * as a third of the data. So within CH_STATE_INTERVAL of the last state write the new state is
 * only remembered and written with the next one, or by arus__ch_flush_state. That keeps the order
 * that makes a crash harmless: the remembered state only covers data already inserted, so the
 * stored watermark can lag (a rerun re-reads a little more) but never run ahead of the data. */
#define CH_STATE_INTERVAL 1.0

int arus__ch_update_watermark(struct arus_destination *dst, const struct arus_target *t,
                              const struct arus_table_state *st, struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    char now[32];
    arus_now_utc(now, sizeof now);
    now[19] = '\0'; /* "YYYY-MM-DD HH:MM:SS" */
    const char *f[6] = {t->pipeline,
                        t->table,
                        st->watermark,
                        st->deletes_watermark,
                        st->run_id  ? st->run_id
                        : t->run_id ? t->run_id
                                    : "",
                        st->updated_at ? st->updated_at : now};
    /* another table's pending state goes first */
    if (d->state_pending &&
        (strcmp(d->pending[0], f[0]) != 0 || strcmp(d->pending[1], f[1]) != 0)) {
        int rc = arus__ch_flush_state(d, err);
        if (rc != ARUS_OK)
            return rc;
    }
    arus__ch_discard_state(d);
    for (size_t i = 0; i < 6; i++)
        d->pending[i] = f[i] ? arus_xstrdup(f[i]) : NULL;
    d->state_pending = true;
    /* rows still streaming: ch_commit writes this once the server has accepted them */
    if (arus__ch_streams_open(d))
        return ARUS_OK;
    if (d->state_written_at > 0 && arus_monotonic() - d->state_written_at < CH_STATE_INTERVAL)
        return ARUS_OK;
    return arus__ch_flush_state(d, err);
}

static const char *ch_dup(struct arus_arena *a, const char *s)
{
    return s ? arus_arena_strdup(a, s) : NULL;
}

static int64_t ch_i64(const char *s)
{
    if (!s)
        return 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    return end == s ? 0 : (int64_t)v;
}

/* SELECT of the watermark columns (table name first) for one pipeline, optionally one table. */
static int ch_select_state(struct ch_dest *d, const char *pipeline, const char *table,
                           struct arus_error *err)
{
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    arus_strbuf_puts(q, "SELECT table_name, watermark, deletes_watermark, run_id, updated_at "
                        "FROM ");
    arus__ch_quote_table(q, d->state_schema, "watermarks");
    arus_strbuf_puts(q, " FINAL WHERE pipeline = ");
    arus__ch_quote_string(q, pipeline);
    if (table) {
        arus_strbuf_puts(q, " AND table_name = ");
        arus__ch_quote_string(q, table);
    }
    arus_strbuf_puts(q, " ORDER BY table_name FORMAT TabSeparated");
    return arus__ch_exec(d, q->data, NULL, 0, err, "read watermarks");
}

static void ch_state_from(struct arus_arena *a, char **f, struct arus_table_state *st)
{
    st->watermark = ch_dup(a, f[1]);
    st->deletes_watermark = ch_dup(a, f[2]);
    st->run_id = f[3] && *f[3] ? ch_dup(a, f[3]) : NULL;
    st->updated_at = ch_dup(a, f[4]);
}

int arus__ch_get_watermark(struct arus_destination *dst, const char *pipeline, const char *table,
                           struct arus_arena *a, struct arus_table_state *out,
                           struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    int rc = arus__ch_flush_state(d, err);
    if (rc == ARUS_OK)
        rc = ch_select_state(d, pipeline, table, err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_table_state st = {0};
    char *f[5];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    if (pos && arus__ch_tsv_split_row(&pos, end, f, 5) == 5)
        ch_state_from(a, f, &st);
    *out = st;
    return ARUS_OK;
}

int arus__ch_list_state(struct arus_destination *dst, const char *pipeline, struct arus_arena *a,
                        const char ***tables, struct arus_table_state **states, size_t *n,
                        struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    int rc = arus__ch_flush_state(d, err);
    if (rc == ARUS_OK)
        rc = ch_select_state(d, pipeline, NULL, err);
    if (rc != ARUS_OK)
        return rc;
    size_t rows = 0;
    for (size_t i = 0; i < d->http.resp.len; i++)
        rows += d->http.resp.data[i] == '\n';
    const char **tv = arus_arena_calloc(a, rows + 1, sizeof *tv);
    struct arus_table_state *sv = arus_arena_calloc(a, rows + 1, sizeof *sv);
    size_t k = 0;
    char *f[5];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (pos && k < rows && arus__ch_tsv_split_row(&pos, end, f, 5) == 5) {
        tv[k] = ch_dup(a, f[0] ? f[0] : "");
        ch_state_from(a, f, &sv[k]);
        k++;
    }
    *tables = tv;
    *states = sv;
    *n = k;
    return ARUS_OK;
}

int arus__ch_record_run(struct arus_destination *dst, const struct arus_run_record *r,
                        struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    /* the end of a table's run: its newest watermark is written before its history row */
    int rc = arus__ch_flush_state(d, err);
    if (rc != ARUS_OK)
        return rc;
    struct arus_strbuf *b = &d->body;
    arus_strbuf_reset(b);
    ch_field(b, r->run_id, '\t');
    ch_field(b, r->table ? r->table : "", '\t');
    ch_field(b, r->pipeline ? r->pipeline : "", '\t');
    ch_field(b, r->mode ? r->mode : "", '\t');
    ch_field(b, r->status ? r->status : "", '\t');
    ch_field(b, r->started_at ? r->started_at : "", '\t');
    ch_field(b, r->finished_at, '\t');
    arus_strbuf_appendf(b, "%lld\t%lld\t%lld\t%lld\t", (long long)r->rows_extracted,
                        (long long)r->rows_loaded, (long long)r->rows_deleted,
                        (long long)r->rows_dead_lettered);
    ch_field(b, r->error, '\t');
    arus_strbuf_appendf(b, "%llu\n", (unsigned long long)arus__ch_next_version(d));
    arus_strbuf_reset(&d->sql);
    arus_strbuf_puts(&d->sql, "INSERT INTO ");
    arus__ch_quote_table(&d->sql, d->state_schema, "runs");
    arus_strbuf_puts(&d->sql, " (run_id, table_name, pipeline, mode, status, started_at, "
                              "finished_at, rows_extracted, rows_loaded, rows_deleted, "
                              "rows_dead_lettered, error, _arus_version) FORMAT TabSeparated");
    return arus__ch_exec(d, d->sql.data, b->data, b->len, err, "record run");
}

int arus__ch_list_runs(struct arus_destination *dst, const char *pipeline, size_t limit,
                       struct arus_arena *a, struct arus_run_record **out, size_t *n,
                       struct arus_error *err)
{
    struct ch_dest *d = ch_of(dst);
    struct arus_strbuf *q = &d->sql;
    arus_strbuf_reset(q);
    /* run_id first: an exception line in a 200 body is recognised at a line start, and a
     * UUID can never look like one (the error text comes last). */
    arus_strbuf_puts(q, "SELECT run_id, pipeline, table_name, mode, status, started_at, "
                        "finished_at, rows_extracted, rows_loaded, rows_deleted, "
                        "rows_dead_lettered, error FROM ");
    arus__ch_quote_table(q, d->state_schema, "runs");
    arus_strbuf_puts(q, " FINAL WHERE pipeline = ");
    arus__ch_quote_string(q, pipeline);
    arus_strbuf_appendf(q, " ORDER BY started_at DESC, table_name LIMIT %zu FORMAT TabSeparated",
                        limit);
    int rc = arus__ch_exec(d, q->data, NULL, 0, err, "read run history");
    if (rc != ARUS_OK)
        return rc;
    size_t rows = 0;
    for (size_t i = 0; i < d->http.resp.len; i++)
        rows += d->http.resp.data[i] == '\n';
    struct arus_run_record *v = arus_arena_calloc(a, rows + 1, sizeof *v);
    size_t k = 0;
    char *f[12];
    char *pos = d->http.resp.data, *end = pos + d->http.resp.len;
    while (pos && k < rows && arus__ch_tsv_split_row(&pos, end, f, 12) == 12) {
        struct arus_run_record *r = &v[k++];
        r->run_id = ch_dup(a, f[0]);
        r->pipeline = ch_dup(a, f[1]);
        r->table = ch_dup(a, f[2]);
        r->mode = ch_dup(a, f[3]);
        r->status = ch_dup(a, f[4]);
        r->started_at = ch_dup(a, f[5]);
        r->finished_at = ch_dup(a, f[6]);
        r->rows_extracted = ch_i64(f[7]);
        r->rows_loaded = ch_i64(f[8]);
        r->rows_deleted = ch_i64(f[9]);
        r->rows_dead_lettered = ch_i64(f[10]);
        r->error = ch_dup(a, f[11]);
    }
    *out = v;
    *n = k;
    return ARUS_OK;
}
