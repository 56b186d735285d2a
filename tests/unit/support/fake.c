/* In-memory fake source and destinations for engine unit tests (see fake.h). "fake" keeps a
 * snapshot at begin() and restores it on rollback, so failed batches leave no trace, exactly as
 * a transactional database would. "fake_buffered" has no transactions: writes wait in pending
 * copies until a commit sends them, as ClickHouse's INSERT streams do. Both log their calls. */
#include "fake.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/state.h"
#include "core/sync_internal.h"

struct fake_table fake_source_table;
struct fake_table fake_dest_table;
struct fake_dest_state fake_dest_state;
int fake_fail_commit_at;
size_t fake_dead_letters;
int fake_fail_shadow_load_at;
int fake_commits;
struct fake_run fake_runs[FAKE_MAX_RUNS];
size_t fake_nruns;

static struct fake_table shadow_table;
static bool shadow_exists;
static int shadow_loads;

/* Snapshot for rollback. */
static struct fake_table snap_table, snap_shadow;
static struct fake_dest_state snap_state;
static bool in_tx;

/* fake_buffered: writes go to pending copies of the tables and state that a commit applies,
 * like ClickHouse's open INSERT streams and held-back watermark. held_commits counts commits
 * of loaded rows not applied yet; tx_wrote_rows whether the current transaction wrote rows
 * (ClickHouse's ch_begin/ch_commit). */
#define FAKE_BUFFERED_HOLD 3
static struct fake_table pend_table, pend_shadow;
static struct fake_dest_state pend_state;
static int held_commits;
static bool tx_wrote_rows;

/* Destination calls in order, one per line (fake_calls). */
static struct arus_strbuf call_log;

static char *dup_or_null(const char *s) { return s ? arus_xstrdup(s) : NULL; }

/* State rows of other names than the table's, e.g. a split load's "t#arus_ranges" and
 * "t#arus_range:<k>": written at once (a rollback does not undo them). */
#define FAKE_MAX_SIDE_ROWS 64
static struct {
    char *table, *watermark, *deletes_watermark;
} side_rows[FAKE_MAX_SIDE_ROWS];
static size_t nside_rows;

static size_t side_row(const char *table)
{
    size_t i = 0;
    while (i < nside_rows && strcmp(side_rows[i].table, table) != 0)
        i++;
    return i;
}

static void side_rows_clear(void)
{
    while (nside_rows) {
        nside_rows--;
        free(side_rows[nside_rows].table);
        free(side_rows[nside_rows].watermark);
        free(side_rows[nside_rows].deletes_watermark);
    }
}

static void table_clear(struct fake_table *t)
{
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++)
            free(t->cells[r][c]);
    for (size_t c = 0; c < t->ncols; c++)
        free(t->col_names[c]);
    memset(t, 0, sizeof *t);
}

static void table_copy(struct fake_table *dst, const struct fake_table *src)
{
    table_clear(dst);
    dst->ncols = src->ncols;
    dst->nrows = src->nrows;
    for (size_t c = 0; c < src->ncols; c++) {
        dst->col_names[c] = dup_or_null(src->col_names[c]);
        dst->col_types[c] = src->col_types[c];
    }
    for (size_t r = 0; r < src->nrows; r++)
        for (size_t c = 0; c < src->ncols; c++)
            dst->cells[r][c] = dup_or_null(src->cells[r][c]);
}

static void state_set(struct fake_dest_state *dst, const struct fake_dest_state *src)
{
    char *w = dup_or_null(src->watermark), *dw = dup_or_null(src->deletes_watermark),
         *cp = dup_or_null(src->cdc_position), *hf = dup_or_null(src->held_from);
    free(dst->watermark);
    free(dst->deletes_watermark);
    free(dst->cdc_position);
    free(dst->held_from);
    dst->watermark = w;
    dst->deletes_watermark = dw;
    dst->cdc_position = cp;
    dst->held_from = hf;
    dst->stored = src->stored;
}

static void run_clear(struct fake_run *r)
{
    char **fields[] = {&r->run_id, &r->pipeline,   &r->table,       &r->mode,
                       &r->status, &r->started_at, &r->finished_at, &r->error};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
}

/* Upsert by (run_id, table); when full, the oldest row goes. */
static void run_store(const struct arus_run_record *r)
{
    struct fake_run *f = NULL;
    for (size_t i = 0; i < fake_nruns && !f; i++)
        if (strcmp(fake_runs[i].run_id, r->run_id) == 0 &&
            strcmp(fake_runs[i].table, r->table) == 0)
            f = &fake_runs[i];
    if (!f && fake_nruns == FAKE_MAX_RUNS) {
        run_clear(&fake_runs[0]);
        memmove(fake_runs, fake_runs + 1, (FAKE_MAX_RUNS - 1) * sizeof *fake_runs);
        memset(&fake_runs[--fake_nruns], 0, sizeof *fake_runs);
    }
    if (!f)
        f = &fake_runs[fake_nruns++];
    /* copy before clearing: r may point into the row it replaces (list_runs hands them out) */
    struct fake_run copy = {dup_or_null(r->run_id),      dup_or_null(r->pipeline),
                            dup_or_null(r->table),       dup_or_null(r->mode),
                            dup_or_null(r->status),      dup_or_null(r->started_at),
                            dup_or_null(r->finished_at), dup_or_null(r->error)};
    run_clear(f);
    *f = copy;
}

void fake_put_run(const char *run_id, const char *table, const char *status)
{
    struct arus_run_record r = {.run_id = run_id,
                                .pipeline = "p",
                                .table = table,
                                .mode = "incremental",
                                .status = status,
                                .started_at = "2024-01-01 00:00:00.000000"};
    run_store(&r);
}

const struct fake_run *fake_run(const char *run_id)
{
    for (size_t i = 0; i < fake_nruns; i++)
        if (strcmp(fake_runs[i].run_id, run_id) == 0 && strcmp(fake_runs[i].table, "t") == 0)
            return &fake_runs[i];
    return NULL;
}

void fake_reset(void)
{
    table_clear(&fake_source_table);
    table_clear(&fake_dest_table);
    table_clear(&shadow_table);
    table_clear(&snap_table);
    table_clear(&snap_shadow);
    struct fake_dest_state empty = {0};
    state_set(&fake_dest_state, &empty);
    state_set(&snap_state, &empty);
    table_clear(&pend_table);
    table_clear(&pend_shadow);
    state_set(&pend_state, &empty);
    shadow_exists = false;
    in_tx = false;
    fake_fail_commit_at = fake_fail_shadow_load_at = fake_commits = shadow_loads = 0;
    fake_dead_letters = 0;
    fake_cdc_nevents = 0;
    fake_cdc_acked[0] = '\0';
    fake_cdc_starts_with_snapshot = 0;
    fake_cdc_stop = NULL;
    fake_dest_probe = false;
    fake_one_connection = false;
    fake_extract_hook = NULL;
    side_rows_clear();
    held_commits = 0;
    tx_wrote_rows = false;
    arus_strbuf_cleanup(&call_log);
    while (fake_nruns)
        run_clear(&fake_runs[--fake_nruns]);
}

void fake_drop_dest_table(bool keep_columns)
{
    struct fake_table *empty = arus_xcalloc(1, sizeof *empty);
    for (size_t c = 0; keep_columns && c < fake_dest_table.ncols; c++) {
        empty->col_names[c] = arus_xstrdup(fake_dest_table.col_names[c]);
        empty->col_types[c] = fake_dest_table.col_types[c];
        empty->ncols++;
    }
    table_copy(&pend_table, empty);
    table_copy(&fake_dest_table, empty);
    table_clear(empty);
    free(empty);
}

void fake_define(size_t ncols, const char *const *names, const enum arus_ltype *types)
{
    table_clear(&fake_source_table);
    fake_source_table.ncols = ncols;
    for (size_t c = 0; c < ncols; c++) {
        fake_source_table.col_names[c] = arus_xstrdup(names[c]);
        fake_source_table.col_types[c] = types[c];
    }
}

void fake_add_column(const char *name, enum arus_ltype type)
{
    struct fake_table *t = &fake_source_table;
    t->col_names[t->ncols] = arus_xstrdup(name);
    t->col_types[t->ncols] = type;
    t->ncols++;
}

static long find_row(const struct fake_table *t, const char *id)
{
    for (size_t r = 0; r < t->nrows; r++)
        if (t->cells[r][0] && strcmp(t->cells[r][0], id) == 0)
            return (long)r;
    return -1;
}

void fake_put(const char *const *values)
{
    struct fake_table *t = &fake_source_table;
    long r = find_row(t, values[0]);
    if (r < 0)
        r = (long)t->nrows++;
    for (size_t c = 0; c < t->ncols; c++) {
        free(t->cells[r][c]);
        t->cells[r][c] = dup_or_null(values[c]);
    }
}

void fake_reset_events(void)
{
    static const char *const names[] = {"id", "name", "updated_at", "deleted_at"};
    static const enum arus_ltype types[] = {ARUS_T_INT64, ARUS_T_STRING, ARUS_T_TIMESTAMP,
                                            ARUS_T_TIMESTAMP};
    fake_reset();
    fake_define(4, names, types);
}

void fake_put_event(int id, const char *name, const char *updated_at, const char *deleted_at)
{
    char key[32];
    snprintf(key, sizeof key, "%d", id);
    const char *row[] = {key, name, updated_at, deleted_at};
    fake_put(row);
}

char **fake_dest_row(const char *id)
{
    long r = find_row(&fake_dest_table, id);
    return r < 0 ? NULL : fake_dest_table.cells[r];
}

int fake_dest_col(const char *name)
{
    for (size_t c = 0; c < fake_dest_table.ncols; c++)
        if (strcmp(fake_dest_table.col_names[c], name) == 0)
            return (int)c;
    return -1;
}

size_t fake_dest_duplicates(void)
{
    size_t dups = 0;
    for (size_t r = 0; r < fake_dest_table.nrows; r++)
        if (find_row(&fake_dest_table, fake_dest_table.cells[r][0]) != (long)r)
            dups++;
    return dups;
}

/* ---------------------------------------------------------------- source */

struct arus_extract {
    const struct arus_table_schema *schema;
    size_t *order; /* matching source rows, sorted when the plan says so */
    size_t n, pos;
};

static struct arus_source fake_src_instance;
static struct arus_destination fake_dst_instance;

static int src_create(const struct arus_endpoint *ep, struct arus_source **out,
                      struct arus_error *err)
{
    (void)ep;
    (void)err;
    *out = &fake_src_instance;
    return ARUS_OK;
}

static int ok_noop(struct arus_source *s, struct arus_error *err)
{
    (void)s;
    (void)err;
    return ARUS_OK;
}

static void src_close(struct arus_source *s) { (void)s; }

static int src_columns(struct arus_source *s, const char *table, struct arus_arena *a,
                       struct arus_table_schema **out, struct arus_error *err)
{
    (void)s;
    if (strcmp(table, "t") != 0)
        return arus_error_set(err, ARUS_ENOTFOUND, "table \"%s\" not found", table);
    struct arus_table_schema *t = arus_arena_calloc(a, 1, sizeof *t);
    t->name = arus_arena_strdup(a, "t");
    t->ncolumns = fake_source_table.ncols;
    t->columns = arus_arena_calloc(a, t->ncolumns, sizeof *t->columns);
    for (size_t c = 0; c < t->ncolumns; c++) {
        t->columns[c].name = arus_arena_strdup(a, fake_source_table.col_names[c]);
        t->columns[c].type.ltype = fake_source_table.col_types[c];
        t->columns[c].nullable = c != 0;
        t->columns[c].pk_ordinal = c == 0 && !fake_keyless;
    }
    t->row_count_estimate = (int64_t)fake_source_table.nrows;
    *out = t;
    return ARUS_OK;
}

static int src_discover(struct arus_source *s, struct arus_arena *a, struct arus_table_schema **out,
                        size_t *n, struct arus_error *err)
{
    *n = 1;
    return src_columns(s, "t", a, out, err);
}

/* The fake honours the plan the way a database would (arus/source.h), in memory. */
static const struct arus_extract_plan *sort_plan;
void (*fake_extract_hook)(const struct arus_extract_plan *plan);

/* The source table's column that column i of the plan's table names (plans may read a subset
 * of the columns, e.g. only the key for delete_missing). */
static size_t src_col(const struct arus_table_schema *t, size_t i)
{
    for (size_t c = 0; c < fake_source_table.ncols; c++)
        if (strcmp(fake_source_table.col_names[c], t->columns[i].name) == 0)
            return c;
    return i;
}

/* The cell of source row r under column i of the plan's table. */
static const char *src_cell(const struct arus_extract_plan *p, size_t r, size_t i)
{
    return fake_source_table.cells[r][src_col(p->table, i)];
}

static int cell_cmp(const struct arus_extract_plan *p, size_t col, const char *x, const char *y)
{
    return arus__cell_compare(p->table->columns[col].type.ltype, x, strlen(x), y, strlen(y));
}

/* Row r against bound b: <0, 0, >0 comparing the tuple (watermark[, key]), which is not NULL. */
static int bound_cmp(const struct arus_extract_plan *p, size_t r,
                     const struct arus_extract_bound *b)
{
    int c = cell_cmp(p, (size_t)p->watermark, src_cell(p, r, (size_t)p->watermark), b->watermark);
    for (size_t i = 0; c == 0 && b->key && i < p->nkey; i++)
        c = cell_cmp(p, p->key[i], src_cell(p, r, p->key[i]), b->key[i]);
    return c;
}

static bool in_range(const struct arus_extract_plan *p, size_t r)
{
    if (p->watermark < 0)
        return true;
    const char *deleted = p->deleted_at >= 0 ? src_cell(p, r, (size_t)p->deleted_at) : NULL;
    if (p->deleted_at_bounded && p->lower.watermark && deleted &&
        cell_cmp(p, (size_t)p->deleted_at, deleted, p->lower.watermark) >= 0)
        return true;
    if (!src_cell(p, r, (size_t)p->watermark))
        return p->nulls == ARUS_NULLS_FIRST;
    int lo = p->lower.watermark ? bound_cmp(p, r, &p->lower) : 1;
    int hi = p->upper.watermark ? bound_cmp(p, r, &p->upper) : -1;
    return (lo > 0 || (lo == 0 && p->lower.inclusive)) &&
           (hi < 0 || (hi == 0 && p->upper.inclusive));
}

/* Row r's key tuple against key texts k: <0, 0, >0. */
static int key_cmp(const struct arus_extract_plan *p, size_t r, const char *const *k)
{
    int c = 0;
    for (size_t i = 0; c == 0 && i < p->nkey; i++)
        c = cell_cmp(p, p->key[i], src_cell(p, r, p->key[i]), k[i]);
    return c;
}

static bool row_matches(const struct arus_extract_plan *p, size_t r)
{
    const struct arus_extract_key_range *kr = &p->key_range;
    if (kr->lower && key_cmp(p, r, kr->lower) < (kr->lower_inclusive ? 0 : 1))
        return false;
    if (kr->upper && key_cmp(p, r, kr->upper) >= 0)
        return false;
    if (p->rows != ARUS_ROWS_ALL) {
        bool deleted = src_cell(p, r, (size_t)p->deleted_at) != NULL;
        if (deleted != (p->rows == ARUS_ROWS_DELETED))
            return false;
    }
    return in_range(p, r);
}

/* ORDER BY watermark NULLS FIRST, key... */
static int row_cmp(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const struct arus_extract_plan *p = sort_plan;
    if (p->watermark >= 0) {
        const char *wx = src_cell(p, a, (size_t)p->watermark);
        const char *wy = src_cell(p, b, (size_t)p->watermark);
        if (!wx != !wy)
            return wx ? 1 : -1;
        int c = wx ? cell_cmp(p, (size_t)p->watermark, wx, wy) : 0;
        if (c)
            return c;
    }
    for (size_t i = 0; i < p->nkey; i++) {
        int c = cell_cmp(p, p->key[i], src_cell(p, a, p->key[i]), src_cell(p, b, p->key[i]));
        if (c)
            return c;
    }
    return 0;
}

static int src_open(struct arus_source *s, const struct arus_extract_plan *plan,
                    struct arus_extract **out, struct arus_error *err)
{
    (void)s;
    (void)err;
    if (fake_extract_hook)
        fake_extract_hook(plan);
    struct arus_extract *x = arus_xcalloc(1, sizeof *x);
    x->schema = plan->table;
    x->order = arus_xcalloc(fake_source_table.nrows + 1, sizeof *x->order);
    for (size_t r = 0; r < fake_source_table.nrows; r++)
        if (row_matches(plan, r))
            x->order[x->n++] = r;
    if (plan->ordered) {
        sort_plan = plan;
        qsort(x->order, x->n, sizeof *x->order, row_cmp);
    }
    *out = x;
    return ARUS_OK;
}

static int src_next(struct arus_extract *x, struct arus_batch *b, struct arus_error *err)
{
    (void)err;
    while (x->pos < x->n && !arus_batch_full(b)) {
        size_t r = x->order[x->pos++];
        struct arus_cell *row = arus_batch_add_row(b);
        for (size_t c = 0; c < x->schema->ncolumns; c++) {
            const char *v = fake_source_table.cells[r][src_col(x->schema, c)];
            if (v)
                arus_cell_set(b, &row[c], v, strlen(v));
        }
    }
    return ARUS_OK;
}

static void src_close_x(struct arus_extract *x)
{
    if (!x)
        return;
    free(x->order);
    free(x);
}

const char *fake_horizon;
bool fake_keyless;

static int src_bounds(struct arus_source *s, const struct arus_table_schema *t, size_t column,
                      struct arus_arena *a, const char **min, const char **max,
                      struct arus_error *err)
{
    (void)s;
    (void)err;
    enum arus_ltype type = t->columns[column].type.ltype;
    const char *lo = NULL, *hi = NULL;
    for (size_t r = 0; r < fake_source_table.nrows; r++) {
        const char *v = fake_source_table.cells[r][src_col(t, column)];
        if (!v)
            continue;
        if (!lo || arus__cell_compare(type, v, strlen(v), lo, strlen(lo)) < 0)
            lo = v;
        if (!hi || arus__cell_compare(type, v, strlen(v), hi, strlen(hi)) > 0)
            hi = v;
    }
    *min = lo ? arus_arena_strdup(a, lo) : NULL;
    *max = hi ? arus_arena_strdup(a, hi) : NULL;
    return ARUS_OK;
}

static int src_horizon(struct arus_source *s, const struct arus_table_schema *t, size_t watermark,
                       struct arus_arena *a, const char **out, struct arus_error *err)
{
    (void)s;
    (void)t;
    (void)watermark;
    if (!fake_horizon)
        return arus_error_set(err, ARUS_EQUERY, "horizon needs the FAKE privilege");
    *out = arus_arena_strdup(a, fake_horizon);
    return ARUS_OK;
}

/* ---- change data capture */

struct fake_cdc_event fake_cdc_events[FAKE_MAX_EVENTS];
size_t fake_cdc_nevents;
const char *fake_cdc_start_position = "0";
char fake_cdc_acked[64];
int fake_cdc_starts_with_snapshot;
volatile sig_atomic_t *fake_cdc_stop;
static size_t cdc_next_event;
static bool cdc_follow;
static struct arus_arena *cdc_arena;
static unsigned cdc_version;

void fake_cdc_push(struct fake_cdc_event ev) { fake_cdc_events[fake_cdc_nevents++] = ev; }

static int src_cdc_start(struct arus_source *s, const struct arus_cdc_options *o,
                         struct arus_cdc_start *out, struct arus_error *err)
{
    (void)s;
    (void)err;
    memset(out, 0, sizeof *out);
    out->snapshot = o->position == NULL;
    fake_cdc_starts_with_snapshot += out->snapshot;
    snprintf(out->position, sizeof out->position, "%s",
             o->position ? o->position : fake_cdc_start_position);
    cdc_next_event = 0;
    return ARUS_OK;
}

static int src_cdc_stream(struct arus_source *s, const char *from, bool follow,
                          struct arus_error *err)
{
    (void)s;
    (void)from;
    (void)err;
    cdc_follow = follow;
    cdc_version++;
    return ARUS_OK;
}

static struct arus_cell *cdc_cells(const char *const *values, size_t n)
{
    struct arus_cell *cells = arus_arena_calloc(cdc_arena, n + 1, sizeof *cells);
    for (size_t c = 0; c < n; c++)
        if (values[c]) {
            cells[c].data = arus_arena_strdup(cdc_arena, values[c]);
            cells[c].len = strlen(values[c]);
        }
    return cells;
}

static int src_cdc_next(struct arus_source *s, struct arus_cdc_event *ev, double timeout,
                        struct arus_error *err)
{
    (void)timeout;
    if (!cdc_arena)
        cdc_arena = arus_arena_create(0);
    arus_arena_reset(cdc_arena);
    memset(ev, 0, sizeof *ev);
    if (cdc_next_event == fake_cdc_nevents) {
        ev->kind = cdc_follow ? ARUS_CDC_IDLE : ARUS_CDC_END;
        if (cdc_follow && fake_cdc_stop)
            *fake_cdc_stop = 1;
        return ARUS_OK;
    }
    const struct fake_cdc_event *f = &fake_cdc_events[cdc_next_event++];
    struct arus_table_schema *t;
    int rc = src_columns(s, "t", cdc_arena, &t, err);
    if (rc)
        return rc;
    size_t n = t->ncolumns;
    ev->kind = f->kind;
    ev->op = f->op;
    ev->position = f->position;
    ev->table = "t";
    ev->schema = t;
    ev->schema_version = cdc_version * 1000 + (unsigned)n;
    if (f->kind == ARUS_CDC_ROW) {
        ev->cells = cdc_cells(f->values, n);
        if (f->old[0])
            ev->old_cells = cdc_cells(f->old, n);
        if (f->unchanged) {
            bool *u = arus_arena_calloc(cdc_arena, n + 1, sizeof *u);
            for (size_t c = 0; c < n; c++)
                u[c] = f->unchanged >> c & 1;
            ev->unchanged = u;
        }
    }
    return ARUS_OK;
}

static int src_cdc_ack(struct arus_source *s, const char *position, struct arus_error *err)
{
    (void)s;
    (void)err;
    snprintf(fake_cdc_acked, sizeof fake_cdc_acked, "%s", position);
    return ARUS_OK;
}

static int src_cdc_status(struct arus_source *s, const struct arus_cdc_options *o,
                          struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err)
{
    (void)s;
    (void)o;
    (void)a;
    (void)err;
    memset(out, 0, sizeof *out);
    return ARUS_OK;
}

static int src_cdc_drop(struct arus_source *s, const struct arus_cdc_options *o,
                        struct arus_error *err)
{
    (void)s;
    (void)o;
    (void)err;
    return ARUS_OK;
}

static int src_cdc_cmp(const char *a, const char *b)
{
    long long x = strtoll(a, NULL, 10), y = strtoll(b, NULL, 10);
    return x < y ? -1 : x > y;
}

static const struct arus_source_ops fake_source_ops = {
    .abi_version = ARUS_SOURCE_ABI,
    .name = "fake",
    .create = src_create,
    .connect = ok_noop,
    .close = src_close,
    .test_connection = ok_noop,
    .discover_tables = src_discover,
    .get_table_columns = src_columns,
    .extract_open = src_open,
    .extract_next = src_next,
    .extract_close = src_close_x,
    .extract_soft_deletes = src_open,
    .commit_horizon = src_horizon,
    .cdc_start = src_cdc_start,
    .cdc_stream = src_cdc_stream,
    .cdc_next = src_cdc_next,
    .cdc_ack = src_cdc_ack,
    .cdc_status = src_cdc_status,
    .cdc_drop = src_cdc_drop,
    .cdc_position_cmp = src_cdc_cmp,
    .column_bounds = src_bounds,
};

/* ---------------------------------------------------------------- destination */

const char *fake_calls(void) { return arus_strbuf_cstr(&call_log); }

void fake_calls_clear(void) { arus_strbuf_reset(&call_log); }

static void note(const char *call) { arus_strbuf_appendf(&call_log, "%s\n", call); }

static bool buffered(const struct arus_destination *d)
{
    return !arus_destination_has_transactions(d);
}

static struct fake_table *work_table(const struct arus_destination *d, bool shadow)
{
    if (buffered(d))
        return shadow ? &pend_shadow : &pend_table;
    return shadow ? &shadow_table : &fake_dest_table;
}

static struct fake_dest_state *work_state(const struct arus_destination *d)
{
    return buffered(d) ? &pend_state : &fake_dest_state;
}

/* fake_buffered: make every pending write live (a commit that sends, or a call that sends the
 * buffered rows before its own statement, as ClickHouse does for anything but a streamed
 * INSERT). No-op for "fake". */
static void apply_pending(const struct arus_destination *d)
{
    if (!buffered(d))
        return;
    table_copy(&fake_dest_table, &pend_table);
    table_copy(&shadow_table, &pend_shadow);
    state_set(&fake_dest_state, &pend_state);
    held_commits = 0;
}

/* fake_buffered: a failed send loses every pending write, watermarks included. */
static void discard_pending(void)
{
    table_copy(&pend_table, &fake_dest_table);
    table_copy(&pend_shadow, &shadow_table);
    state_set(&pend_state, &fake_dest_state);
    held_commits = 0;
}

bool fake_one_connection;
static bool dst_open;

static int dst_create(const struct arus_endpoint *ep, struct arus_destination **out,
                      struct arus_error *err)
{
    (void)ep;
    if (fake_one_connection && dst_open)
        return arus_error_set(err, ARUS_ECONNECT, "fake: one connection at a time");
    dst_open = true;
    *out = &fake_dst_instance;
    return ARUS_OK;
}

/* A slot that only logs its call. */
#define NOTE_ONLY_SLOT(fn, call)                                                                   \
    static int fn(struct arus_destination *d, struct arus_error *err)                              \
    {                                                                                              \
        (void)d;                                                                                   \
        (void)err;                                                                                 \
        note(call);                                                                                \
        return ARUS_OK;                                                                            \
    }
NOTE_ONLY_SLOT(dst_connect, "connect")
NOTE_ONLY_SLOT(dst_ensure_state, "ensure_state")
NOTE_ONLY_SLOT(dst_test, "test_connection")
NOTE_ONLY_SLOT(buf_rollback, "rollback") /* fake_buffered: nothing to undo */

static void dst_close(struct arus_destination *d)
{
    (void)d;
    dst_open = false;
    note("close");
}

static int dst_lock(struct arus_destination *d, const char *p, struct arus_error *err)
{
    (void)d;
    (void)p;
    (void)err;
    note("lock");
    return ARUS_OK;
}

static int dst_unlock(struct arus_destination *d, const char *p, struct arus_error *err)
{
    (void)p;
    (void)err;
    note("unlock");
    apply_pending(d);
    return ARUS_OK;
}

static void ensure_columns(struct fake_table *t, const struct arus_table_schema *s)
{
    for (size_t c = 0; c < s->ncolumns; c++) {
        bool found = false;
        for (size_t k = 0; k < t->ncols; k++)
            found |= strcmp(t->col_names[k], s->columns[c].name) == 0;
        if (!found) {
            t->col_names[t->ncols] = arus_xstrdup(s->columns[c].name);
            t->col_types[t->ncols] = s->columns[c].type.ltype;
            t->ncols++;
        }
    }
}

static int dst_ensure_schema(struct arus_destination *d, const struct arus_target *t,
                             const struct arus_table_schema *s, struct arus_error *err)
{
    (void)err;
    note(t->shadow ? "ensure_schema(shadow)" : "ensure_schema");
    if (t->shadow) {
        shadow_loads = 0; /* fake_fail_shadow_load_at counts within one refresh */
        table_clear(work_table(d, true));
        shadow_exists = true;
    }
    ensure_columns(work_table(d, t->shadow), s);
    apply_pending(d); /* DDL */
    return ARUS_OK;
}

static int dst_begin(struct arus_destination *d, struct arus_error *err)
{
    (void)d;
    (void)err;
    note("begin");
    table_copy(&snap_table, &fake_dest_table);
    table_copy(&snap_shadow, &shadow_table);
    state_set(&snap_state, &fake_dest_state);
    in_tx = true;
    return ARUS_OK;
}

static void restore_snapshot(void)
{
    if (in_tx) {
        table_copy(&fake_dest_table, &snap_table);
        table_copy(&shadow_table, &snap_shadow);
        state_set(&fake_dest_state, &snap_state);
    }
    in_tx = false;
}

static int dst_rollback(struct arus_destination *d, struct arus_error *err)
{
    (void)d;
    (void)err;
    note("rollback");
    restore_snapshot();
    return ARUS_OK;
}

static int dst_commit(struct arus_destination *d, struct arus_error *err)
{
    (void)d;
    note("commit");
    if (++fake_commits == fake_fail_commit_at) {
        restore_snapshot();
        return arus_error_set(err, ARUS_EQUERY, "injected commit failure %d", fake_commits);
    }
    in_tx = false;
    return ARUS_OK;
}

static int buf_begin(struct arus_destination *d, struct arus_error *err)
{
    (void)d;
    (void)err;
    note("begin");
    tx_wrote_rows = false;
    return ARUS_OK;
}

/* Sends the pending writes, except that a transaction which wrote rows is held back until
 * FAKE_BUFFERED_HOLD of them are pending (ClickHouse keeps an INSERT open across batches). */
static int buf_commit(struct arus_destination *d, struct arus_error *err)
{
    note("commit");
    bool wrote = tx_wrote_rows;
    tx_wrote_rows = false;
    if (++fake_commits == fake_fail_commit_at) {
        discard_pending();
        return arus_error_set(err, ARUS_EQUERY, "injected commit failure %d", fake_commits);
    }
    if (wrote && ++held_commits < FAKE_BUFFERED_HOLD)
        return ARUS_OK;
    apply_pending(d);
    return ARUS_OK;
}

static int dst_load_raw(struct arus_destination *d, const struct arus_target *t,
                        const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    (void)d;
    (void)t;
    (void)err;
    note("load_raw");
    *loaded = (int64_t)b->nrows;
    return ARUS_OK;
}

static int dst_load(struct arus_destination *d, const struct arus_target *t,
                    const struct arus_batch *b, int64_t *loaded, struct arus_error *err)
{
    note(t->shadow ? "load_normalized(shadow)" : "load_normalized");
    struct fake_table *tab = work_table(d, t->shadow);
    int64_t n = 0;
    if (t->shadow && ++shadow_loads == fake_fail_shadow_load_at)
        return arus_error_set(err, ARUS_EQUERY, "injected shadow load failure");
    for (size_t r = 0; r < b->nrows; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        /* A value "BAD" in column 1 is refused, like a value out of range for its column. */
        if (b->ncolumns > 1 && row[1].data && strcmp(row[1].data, "BAD") == 0)
            return arus_error_set(err, ARUS_EDATA, "value \"BAD\" refused (row %zu)", r + 1);
    }
    tx_wrote_rows = true;
    for (size_t r = 0; r < b->nrows; r++) {
        const struct arus_cell *row = arus_batch_row(b, r);
        char key[128]; /* a hashed key is 64 characters */
        snprintf(key, sizeof key, "%.*s", (int)row[0].len, row[0].data);
        /* A table without key appends, as the real destinations do. */
        long at = b->schema->columns[0].pk_ordinal ? find_row(tab, key) : -1;
        bool changed = at < 0;
        if (at < 0)
            at = (long)tab->nrows++;
        for (size_t c = 0; c < b->ncolumns; c++) {
            int k = -1;
            for (size_t i = 0; i < tab->ncols; i++)
                if (strcmp(tab->col_names[i], b->schema->columns[c].name) == 0)
                    k = (int)i;
            if (k < 0)
                return arus_error_set(err, ARUS_EQUERY, "no column %s", b->schema->columns[c].name);
            const char *old = tab->cells[at][k];
            changed |= !old != !row[c].data || (old && strcmp(old, row[c].data) != 0);
            free(tab->cells[at][k]);
            tab->cells[at][k] = row[c].data ? arus_xstrdup(row[c].data) : NULL;
        }
        n += changed; /* like a real destination, unchanged re-reads are not counted */
    }
    *loaded = n;
    return ARUS_OK;
}

static int dst_delete(struct arus_destination *d, const struct arus_target *t,
                      const struct arus_batch *b, int64_t *deleted, struct arus_error *err)
{
    (void)t;
    (void)err;
    note("delete_rows");
    struct fake_table *tab = work_table(d, false);
    int64_t n = 0;
    tx_wrote_rows = true;
    for (size_t r = 0; r < b->nrows; r++) {
        long at = find_row(tab, arus_batch_row(b, r)[0].data);
        if (at < 0)
            continue;
        for (size_t c = 0; c < tab->ncols; c++)
            free(tab->cells[at][c]);
        size_t last = --tab->nrows;
        memmove(tab->cells[at], tab->cells[last], sizeof tab->cells[at]);
        memset(tab->cells[last], 0, sizeof tab->cells[last]);
        n++;
    }
    *deleted = n;
    return ARUS_OK;
}

static int dst_truncate(struct arus_destination *d, const struct arus_target *t,
                        struct arus_error *err)
{
    (void)t;
    (void)err;
    note("truncate_table");
    struct fake_table *tab = work_table(d, false);
    for (size_t r = 0; r < tab->nrows; r++)
        for (size_t c = 0; c < tab->ncols; c++) {
            free(tab->cells[r][c]);
            tab->cells[r][c] = NULL;
        }
    tab->nrows = 0;
    tx_wrote_rows = true;
    return ARUS_OK;
}

static int dst_update_wm(struct arus_destination *d, const struct arus_target *t,
                         const struct arus_table_state *st, struct arus_error *err)
{
    (void)err;
    if (strchr(t->table, '#')) {
        note("update_watermark(side)");
        size_t i = side_row(t->table);
        if (i == nside_rows) {
            assert(nside_rows < FAKE_MAX_SIDE_ROWS);
            side_rows[nside_rows++].table = arus_xstrdup(t->table);
        }
        free(side_rows[i].watermark);
        free(side_rows[i].deletes_watermark);
        side_rows[i].watermark = dup_or_null(st->watermark);
        side_rows[i].deletes_watermark = dup_or_null(st->deletes_watermark);
        return ARUS_OK;
    }
    struct fake_dest_state s = *work_state(d);
    if (strcmp(t->table, ARUS_CDC_POSITION_ROW) == 0) {
        note("update_watermark(position)");
        s.cdc_position = (char *)st->watermark;
    } else {
        note("update_watermark");
        s.watermark = (char *)st->watermark;
        s.deletes_watermark = (char *)st->deletes_watermark;
        s.held_from = (char *)st->held_from;
        s.stored = true;
    }
    state_set(work_state(d), &s);
    return ARUS_OK;
}

static int dst_get_wm(struct arus_destination *d, const char *p, const char *table,
                      struct arus_arena *a, struct arus_table_state *out, struct arus_error *err)
{
    (void)p;
    (void)err;
    note("get_watermark");
    apply_pending(d);
    memset(out, 0, sizeof *out);
    if (strchr(table, '#')) {
        size_t i = side_row(table);
        if (i < nside_rows) {
            out->watermark = arus_arena_strdup(a, side_rows[i].watermark);
            out->deletes_watermark = arus_arena_strdup(a, side_rows[i].deletes_watermark);
            out->updated_at = "2024-01-01 00:00:00";
        }
        return ARUS_OK;
    }
    if (strcmp(table, ARUS_CDC_POSITION_ROW) == 0) {
        out->watermark = arus_arena_strdup(a, fake_dest_state.cdc_position);
        return ARUS_OK;
    }
    out->watermark = arus_arena_strdup(a, fake_dest_state.watermark);
    out->deletes_watermark = arus_arena_strdup(a, fake_dest_state.deletes_watermark);
    out->updated_at = fake_dest_state.stored ? "2024-01-01 00:00:00" : NULL;
    return ARUS_OK;
}

static int dst_swap(struct arus_destination *d, const struct arus_target *t, struct arus_error *err)
{
    (void)t;
    (void)err;
    note("swap_shadow");
    table_copy(work_table(d, false), work_table(d, true));
    table_clear(work_table(d, true));
    shadow_exists = false;
    apply_pending(d); /* DDL */
    return ARUS_OK;
}

static int dst_drop_shadow(struct arus_destination *d, const struct arus_target *t,
                           struct arus_error *err)
{
    (void)t;
    (void)err;
    note("drop_shadow");
    table_clear(work_table(d, true));
    shadow_exists = false;
    apply_pending(d); /* DDL */
    return ARUS_OK;
}

static int dst_record_run(struct arus_destination *d, const struct arus_run_record *r,
                          struct arus_error *err)
{
    (void)err;
    char call[64];
    snprintf(call, sizeof call, "record_run(%s)", r->status);
    note(call);
    apply_pending(d);
    run_store(r);
    return ARUS_OK;
}

static int dst_list_runs(struct arus_destination *d, const char *pipeline, size_t limit,
                         struct arus_arena *a, struct arus_run_record **out, size_t *n,
                         struct arus_error *err)
{
    (void)err;
    note("list_runs");
    apply_pending(d);
    struct arus_run_record *v = arus_arena_calloc(a, fake_nruns + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = fake_nruns; i-- > 0 && k < limit;) {
        const struct fake_run *f = &fake_runs[i];
        if (strcmp(f->pipeline, pipeline) == 0)
            v[k++] = (struct arus_run_record){.run_id = f->run_id,
                                              .pipeline = f->pipeline,
                                              .table = f->table,
                                              .mode = f->mode,
                                              .status = f->status,
                                              .started_at = f->started_at,
                                              .finished_at = f->finished_at,
                                              .error = f->error};
    }
    *out = v;
    *n = k;
    return ARUS_OK;
}

static int dst_dead_letter(struct arus_destination *d, const struct arus_target *t,
                           const char *row_json, const char *error, struct arus_error *err)
{
    (void)t;
    (void)err;
    note("write_dead_letter");
    apply_pending(d);
    if (strstr(row_json, "\"BAD\"") && strstr(error, "refused"))
        fake_dead_letters++;
    return ARUS_OK;
}

/* read_rows: the live table ordered by key (column 0). */

static int dest_key_cmp(const void *pa, const void *pb)
{
    const char *x = fake_dest_table.cells[*(const size_t *)pa][0];
    const char *y = fake_dest_table.cells[*(const size_t *)pb][0];
    return arus__cell_compare(fake_dest_table.col_types[0], x, strlen(x), y, strlen(y));
}

static int dst_read_rows(struct arus_destination *d, const struct arus_target *t,
                         const struct arus_cell *after, struct arus_batch *b,
                         struct arus_error *err)
{
    (void)t;
    (void)err;
    note(after ? "read_rows(after)" : "read_rows");
    apply_pending(d); /* a SELECT: ClickHouse finishes open INSERTs first */
    struct fake_table *tab = &fake_dest_table;
    size_t *order = arus_xcalloc(tab->nrows + 1, sizeof *order), n = 0;
    for (size_t r = 0; r < tab->nrows; r++)
        if (!after || arus__cell_compare(tab->col_types[0], tab->cells[r][0],
                                         strlen(tab->cells[r][0]), after[0].data,
                                         after[0].len) > 0)
            order[n++] = r;
    qsort(order, n, sizeof *order, dest_key_cmp);
    for (size_t i = 0; i < n && !arus_batch_full(b); i++) {
        struct arus_cell *row = arus_batch_add_row(b);
        for (size_t c = 0; c < b->ncolumns; c++)
            for (size_t k = 0; k < tab->ncols; k++)
                if (strcmp(tab->col_names[k], b->schema->columns[c].name) == 0 &&
                    tab->cells[order[i]][k])
                    arus_cell_set(b, &row[c], tab->cells[order[i]][k],
                                  strlen(tab->cells[order[i]][k]));
    }
    free(order);
    return ARUS_OK;
}

bool fake_dest_probe;

/* The live table is missing until ensure_schema gave it columns; raw tables are not kept. */
static int dst_table_rows(struct arus_destination *d, const struct arus_target *t, bool raw,
                          int64_t *rows, struct arus_error *err)
{
    (void)t;
    if (!fake_dest_probe || raw)
        return arus_error_set(err, ARUS_ENOTSUP, "fake: no probe");
    note("table_rows");
    apply_pending(d);
    *rows = fake_dest_table.ncols == 0 ? -1 : fake_dest_table.nrows > 0;
    return ARUS_OK;
}

static int dst_forget_state(struct arus_destination *d, const char *pipeline, const char *table,
                            int64_t *forgotten, struct arus_error *err)
{
    (void)pipeline;
    (void)err;
    note("forget_state");
    if (strchr(table, '#')) {
        size_t i = side_row(table);
        *forgotten = i < nside_rows;
        if (i < nside_rows) {
            free(side_rows[i].table);
            free(side_rows[i].watermark);
            free(side_rows[i].deletes_watermark);
            side_rows[i] = side_rows[--nside_rows];
        }
        return ARUS_OK;
    }
    apply_pending(d);
    *forgotten = fake_dest_state.watermark || fake_dest_state.deletes_watermark;
    struct fake_dest_state none = {NULL, NULL};
    state_set(work_state(d), &none);
    apply_pending(d);
    return ARUS_OK;
}

static const struct arus_destination_ops fake_dest_ops = {
    .abi_version = ARUS_DESTINATION_ABI,
    .name = "fake",
    .flags = ARUS_DST_TRANSACTIONS,
    .create = dst_create,
    .connect = dst_connect,
    .close = dst_close,
    .test_connection = dst_test,
    .ensure_state = dst_ensure_state,
    .lock = dst_lock,
    .unlock = dst_unlock,
    .ensure_schema = dst_ensure_schema,
    .begin = dst_begin,
    .commit = dst_commit,
    .rollback = dst_rollback,
    .load_raw = dst_load_raw,
    .load_normalized = dst_load,
    .update_watermark = dst_update_wm,
    .get_watermark = dst_get_wm,
    .swap_shadow = dst_swap,
    .drop_shadow = dst_drop_shadow,
    .record_run = dst_record_run,
    .list_runs = dst_list_runs,
    .delete_rows = dst_delete,
    .write_dead_letter = dst_dead_letter,
    .read_rows = dst_read_rows,
    .truncate_table = dst_truncate,
    .table_rows = dst_table_rows,
    .forget_state = dst_forget_state,
};

void fake_register(void)
{
    /* The same slots without transactions: only begin, commit and rollback differ, and the
     * write slots pick the pending copies through buffered(). */
    static struct arus_destination_ops buffered_ops;
    buffered_ops = fake_dest_ops;
    buffered_ops.name = "fake_buffered";
    buffered_ops.flags = 0;
    buffered_ops.begin = buf_begin;
    buffered_ops.commit = buf_commit;
    buffered_ops.rollback = buf_rollback;
    arus_registry_add_source("fake", &fake_source_ops);
    arus_registry_add_destination("fake", &fake_dest_ops);
    arus_registry_add_destination("fake_buffered", &buffered_ops);
}

static struct arus_endpoint src_ep = {.name = "src", .type = "fake"};
static struct arus_endpoint dst_ep = {.name = "dst", .type = "fake"};

void fake_use_destination(const char *type) { dst_ep.type = type; }

const char *fake_each_destination(size_t *i)
{
    static const char *const types[] = {"fake", "fake_buffered"};
    if (*i >= sizeof types / sizeof *types)
        return NULL;
    fprintf(stderr, "-- destination %s\n", types[*i]);
    fake_use_destination(types[*i]);
    return types[(*i)++];
}

void fake_pipeline(struct arus_pipeline *p, const char **tables, int64_t batch_size)
{
    memset(p, 0, sizeof *p);
    p->name = "p";
    p->source = "src";
    p->destination = "dst";
    p->tables = tables;
    p->ntables = 1;
    p->batch_size = batch_size;
    p->load_mode = ARUS_LOAD_RAW_AND_NORMALIZED;
}

void fake_dest_put(const char *const *values)
{
    struct fake_table *t = &fake_dest_table;
    long r = find_row(t, values[0]);
    if (r < 0)
        r = (long)t->nrows++;
    for (size_t c = 0; c < fake_source_table.ncols; c++) {
        int k = fake_dest_col(fake_source_table.col_names[c]);
        if (k < 0)
            continue;
        free(t->cells[r][k]);
        t->cells[r][k] = dup_or_null(values[c]);
    }
    table_copy(&pend_table, t); /* an outside writer: nothing of arus's is pending here */
}

void fake_dest_remove(const char *id)
{
    struct fake_table *t = &fake_dest_table;
    long at = find_row(t, id);
    if (at < 0)
        return;
    for (size_t c = 0; c < t->ncols; c++)
        free(t->cells[at][c]);
    size_t last = --t->nrows;
    memmove(t->cells[at], t->cells[last], sizeof t->cells[at]);
    memset(t->cells[last], 0, sizeof t->cells[last]);
    table_copy(&pend_table, t);
}

int fake_verify(const struct arus_pipeline *p, const struct arus_verify_options *opt,
                struct arus_verify_report *rep, struct arus_error *err)
{
    struct arus_source *s = NULL;
    struct arus_destination *d = NULL;
    arus_source_create(&src_ep, &s, err);
    arus_destination_create(&dst_ep, &d, err);
    int rc = arus_verify_run(s, d, p, opt, rep, err);
    arus_destination_close(d);
    return rc;
}

int fake_sync(const struct arus_pipeline *p, bool full_refresh, struct arus_sync_report *rep,
              struct arus_error *err)
{
    struct arus_source *s = NULL;
    struct arus_destination *d = NULL;
    arus_source_create(&src_ep, &s, err);
    arus_destination_create(&dst_ep, &d, err);
    struct arus_sync_options opt = {.full_refresh = full_refresh};
    int rc = arus_sync_run(s, d, p, &opt, rep, err);
    arus_destination_close(d);
    return rc;
}

int fake_sync_noted(const struct arus_pipeline *p, bool full_refresh, struct arus_sync_report *rep)
{
    struct arus_error err;
    arus_error_clear(&err);
    int rc = fake_sync(p, full_refresh, rep, &err);
    if (rc)
        fprintf(stderr, "  (sync: %s)\n", err.msg);
    return rc;
}

int fake_cdc_sync(const struct arus_pipeline *p, bool follow, volatile sig_atomic_t *stop,
                  struct arus_sync_report *rep, struct arus_error *err)
{
    struct arus_source *s = NULL;
    struct arus_destination *d = NULL;
    arus_source_create(&src_ep, &s, err);
    arus_destination_create(&dst_ep, &d, err);
    struct arus_sync_options opt = {.follow = follow, .stop = stop};
    fake_cdc_stop = stop;
    int rc = arus_sync_run(s, d, p, &opt, rep, err);
    arus_destination_close(d);
    return rc;
}
