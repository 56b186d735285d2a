/* Bulk writes for the MySQL/MariaDB destination. The fast path is LOAD DATA LOCAL INFILE whose
 * "file" is written from the batch's cells as the driver reads it (a handler installed with
 * mysql_set_local_infile_handler); merges load into a session temporary table and then
 * INSERT ... SELECT ... ON DUPLICATE KEY UPDATE.
 * When the server refuses LOCAL INFILE, multi-row prepared INSERTs carry the same rows. */
#include "connectors/mysql/load.h"

#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arus/arena.h"
#include "arus/log.h"

/* Server error codes that mean "LOCAL INFILE is disabled" (MySQL and MariaDB spellings). */
#define MY_ER_NOT_ALLOWED_COMMAND             1148
#define MY_ER_LOAD_INFILE_CAPABILITY_DISABLED 4166
/* Placeholders per prepared statement are limited to 65535. */
#define MY_MAX_PARAMS       65535
#define MY_MAX_INSERT_ROWS  1000
#define MY_MAX_INSERT_BYTES (4u << 20)
/* MySQL 8 flags VALUES() in ON DUPLICATE KEY UPDATE as deprecated: not a data problem. */
#define MY_WARN_DEPRECATED 1287
/* "Data truncated": a Note, not a Warning, when DECIMAL rounds away digits beyond its scale. */
#define MY_WARN_DATA_TRUNCATED 1265

/* The columns one bulk statement writes, besides _arus_run_id. */
struct my_cols {
    size_t n;
    const char *const *names;
    const enum arus_ltype *types;
    const struct arus_cell *cells; /* nrows x n, row-major */
    size_t nrows;
};

/* ---- LOCAL INFILE from memory ---- */

static void my_fill_payload(struct my_loader *ld);

static int my_infile_init(void **ptr, const char *filename, void *userdata)
{
    (void)filename; /* the statement names a constant; the data is always ld->cols */
    struct my_loader *ld = userdata;
    arus_strbuf_reset(&ld->payload);
    ld->pos = 0;
    ld->row = 0;
    *ptr = ld;
    return 0;
}

/* The driver asks for the file in small pieces (4 KB) and sends each: rows are written as
 * TSV a chunk at a time as it asks, so the server parses one chunk while the next is built
 * (building a whole batch first left the server idle meanwhile). */
static int my_infile_read(void *ptr, char *buf, unsigned int len)
{
    struct my_loader *ld = ptr;
    size_t n = 0;
    while (n < len) {
        if (ld->pos == ld->payload.len) {
            my_fill_payload(ld);
            if (ld->payload.len == 0)
                break;
        }
        size_t left = ld->payload.len - ld->pos, k = left < len - n ? left : len - n;
        memcpy(buf + n, ld->payload.data + ld->pos, k);
        ld->pos += k;
        n += k;
    }
    return (int)n;
}

static void my_infile_end(void *ptr) { (void)ptr; }

static int my_infile_error(void *ptr, char *msg, unsigned int len)
{
    (void)ptr;
    snprintf(msg, len, "in-memory load data failed");
    return CR_UNKNOWN_ERROR;
}

void arus__my_loader_init(struct my_loader *ld)
{
    arus_strbuf_init(&ld->payload);
    arus_strbuf_init(&ld->run_id);
    ld->mariadb = strstr(mysql_get_server_info(ld->db), "MariaDB") != NULL;
    mysql_set_local_infile_handler(ld->db, my_infile_init, my_infile_read, my_infile_end,
                                   my_infile_error, ld);
}

void arus__my_loader_cleanup(struct my_loader *ld)
{
    arus_strbuf_cleanup(&ld->payload);
    arus_strbuf_cleanup(&ld->run_id);
}

/* ---- warnings ---- */

/* MySQL reports coerced values as warnings (LOCAL implies IGNORE): any Warning or Error
 * level row, or a Note that data was truncated, fails the batch rather than keep silently
 * changed data. */
static int my_check_warnings(struct my_loader *ld, unsigned count, const char *table,
                             struct arus_error *err)
{
    if (count == 0)
        return ARUS_OK;
    if (mysql_real_query(ld->db, "SHOW WARNINGS", 13) != 0)
        return arus__my_fail(ld->db, ARUS_EQUERY, err, "show warnings");
    MYSQL_RES *res = mysql_store_result(ld->db);
    if (!res)
        return arus__my_fail(ld->db, ARUS_EQUERY, err, "show warnings");
    int rc = ARUS_OK;
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res)) != NULL) {
        long code = row[1] ? strtol(row[1], NULL, 10) : 0;
        bool note = row[0] && strcmp(row[0], "Note") == 0;
        if (!row[0] || (note && code != MY_WARN_DATA_TRUNCATED) || code == MY_WARN_DEPRECATED)
            continue;
        rc = arus_error_set(err, ARUS_EDATA, "load into %s: %s %ld: %s", table, row[0], code,
                            row[2] ? row[2] : "");
        if (err)
            err->driver_code = (int)code;
        break;
    }
    mysql_free_result(res);
    return rc;
}

/* ---- LOAD DATA payload ---- */

/* One field in LOAD DATA's default escaping (ESCAPED BY '\\'): NULL is \N. */
static void my_tsv_field(struct arus_strbuf *sb, const struct arus_cell *c, enum arus_ltype t)
{
    if (!c->data) {
        arus_strbuf_append(sb, "\\N", 2);
        return;
    }
    if (t == ARUS_T_BOOL) {
        arus_strbuf_putc(sb, c->len > 0 && c->data[0] == 't' ? '1' : '0');
        return;
    }
    const char *p = c->data, *end = c->data + c->len, *run = p;
    for (; p < end; p++) {
        char esc;
        switch (*p) {
        case '\\':
            esc = '\\';
            break;
        case '\t':
            esc = 't';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\0':
            esc = '0';
            break;
        default:
            continue;
        }
        arus_strbuf_append(sb, run, (size_t)(p - run));
        arus_strbuf_putc(sb, '\\');
        arus_strbuf_putc(sb, esc);
        run = p + 1;
    }
    arus_strbuf_append(sb, run, (size_t)(p - run));
}

/* Bytes of TSV built per refill of the payload: big enough that a refill is rare, small enough
 * that the first bytes go out at once. */
#define MY_PAYLOAD_CHUNK (64u << 10)

/* The next rows of ld->cols as TSV into ld->payload (empty when all were sent). The rows lack
 * _arus_run_id: LOAD DATA sets that column from @arus_run_id, so the server parses 37 bytes
 * less per row (measured: its CPU per 300k rows 1.84 -> 1.66 s). */
static void my_fill_payload(struct my_loader *ld)
{
    const struct my_cols *cols = ld->cols;
    struct arus_strbuf *sb = &ld->payload;
    arus_strbuf_reset(sb);
    ld->pos = 0;
    if (!cols) /* the server asked for a file outside a LOAD DATA of ours: send it empty */
        return;
    for (; ld->row < cols->nrows && sb->len < MY_PAYLOAD_CHUNK; ld->row++) {
        const struct arus_cell *row = cols->cells + ld->row * cols->n;
        for (size_t c = 0; c < cols->n; c++) {
            if (c)
                arus_strbuf_putc(sb, '\t');
            my_tsv_field(sb, &row[c], cols->types[c]);
        }
        arus_strbuf_putc(sb, '\n');
    }
}

/* Point the session's @arus_run_id at run_id (bound, once per run id and connection). */
static int my_set_run_id(struct my_loader *ld, const char *run_id, struct arus_error *err)
{
    if (ld->run_id.len && strcmp(ld->run_id.data, run_id) == 0)
        return ARUS_OK;
    struct my_param p = my_str(run_id);
    int rc = arus__my_query(ld->db, "SET @arus_run_id = ?", &p, 1, NULL, NULL, NULL, err,
                            "set the run id");
    arus_strbuf_reset(&ld->run_id);
    if (rc == ARUS_OK)
        arus_strbuf_puts(&ld->run_id, run_id);
    return rc;
}

/* (`c1`, ..., `cn`, `_arus_run_id`), or without the run id when infile (LOAD DATA sets it). */
static void my_column_list(struct arus_strbuf *sql, const struct my_cols *cols, bool infile)
{
    arus_strbuf_putc(sql, '(');
    for (size_t c = 0; c < cols->n; c++) {
        if (c)
            arus_strbuf_puts(sql, ", ");
        arus_sql_quote_ident(sql, cols->names[c], '`', false);
    }
    if (infile)
        arus_strbuf_puts(sql, ") SET `_arus_run_id` = @arus_run_id");
    else
        arus_strbuf_puts(sql, cols->n ? ", `_arus_run_id`)" : "`_arus_run_id`)");
}

/* LOAD DATA LOCAL into table (REPLACE: rows with an existing key replace it). *refused is set
 * (and ARUS_OK returned) when the server has LOCAL INFILE disabled, so the caller can switch
 * to INSERTs. */
static int my_infile_load(struct my_loader *ld, const char *table, const struct my_cols *cols,
                          const char *run_id, bool replace, bool *refused, struct arus_error *err)
{
    struct arus_strbuf sql, what;
    int rc = ARUS_OK;
    *refused = false;
    if ((rc = my_set_run_id(ld, run_id, err)) != ARUS_OK)
        return rc;
    ld->cols = cols;
    arus_strbuf_init(&sql);
    arus_strbuf_init(&what);
    arus_strbuf_appendf(&what, "load into %s", table);
    arus_strbuf_appendf(&sql,
                        "LOAD DATA LOCAL INFILE 'arus-batch' %sINTO TABLE %s CHARACTER SET "
                        "utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES "
                        "TERMINATED BY '\\n' ",
                        replace ? "REPLACE " : "", table);
    my_column_list(&sql, cols, true);
    if (mysql_real_query(ld->db, sql.data, sql.len) != 0) {
        unsigned no = mysql_errno(ld->db);
        if (no == MY_ER_NOT_ALLOWED_COMMAND || no == MY_ER_LOAD_INFILE_CAPABILITY_DISABLED) {
            arus_log(ARUS_LOG_WARN, "mysql",
                     "server refused LOAD DATA LOCAL INFILE (%s); using multi-row INSERT",
                     mysql_error(ld->db));
            ld->no_local_infile = true;
            *refused = true;
        } else {
            rc = arus__my_fail(ld->db, ARUS_EQUERY, err, what.data);
        }
    } else {
        /* a replaced row counts twice (delete + insert); info's "Deleted:" says how many */
        const char *info = mysql_info(ld->db);
        unsigned long long rec = 0, del = 0;
        uint64_t affected = (uint64_t)mysql_affected_rows(ld->db);
        if (info && sscanf(info, "Records: %llu Deleted: %llu", &rec, &del) == 2 && affected >= del)
            affected -= del;
        ld->written += affected;
        rc = my_check_warnings(ld, mysql_warning_count(ld->db), table, err);
    }
    ld->cols = NULL;
    arus_strbuf_reset(&ld->payload);
    arus_strbuf_cleanup(&sql);
    arus_strbuf_cleanup(&what);
    return rc;
}

/* ---- INSERT fallback ---- */

/* The row-unchanged test: every written column equal (NULL-safe) to the incoming value. */
static void my_same(struct arus_strbuf *sql, const char *table, const struct my_cols *cols)
{
    for (size_t c = 0; c < cols->n; c++) {
        arus_strbuf_puts(sql, c ? " AND " : "(");
        arus_strbuf_appendf(sql, "%s.", table);
        arus_sql_quote_ident(sql, cols->names[c], '`', false);
        arus_strbuf_puts(sql, " <=> VALUES(");
        arus_sql_quote_ident(sql, cols->names[c], '`', false);
        arus_strbuf_putc(sql, ')');
    }
    arus_strbuf_puts(sql, cols->n ? ")" : "TRUE");
}

/* Merge clause. Assignments run left to right, so the bookkeeping columns come first and
 * still compare against the old values: an unchanged row keeps its run id and sync time and
 * counts as 0 affected rows (idempotent reruns write nothing). Target columns are qualified
 * with the table because INSERT ... SELECT also has the staging table's names in scope. */
static void my_odku(struct arus_strbuf *sql, const char *table, const struct my_cols *cols)
{
    arus_strbuf_appendf(sql, " ON DUPLICATE KEY UPDATE %s.`_arus_synced_at` = IF(", table);
    my_same(sql, table, cols);
    arus_strbuf_appendf(sql,
                        ", %s.`_arus_synced_at`, CURRENT_TIMESTAMP(6)), %s.`_arus_run_id` = IF(",
                        table, table);
    my_same(sql, table, cols);
    arus_strbuf_appendf(sql, ", %s.`_arus_run_id`, VALUES(`_arus_run_id`))", table);
    for (size_t c = 0; c < cols->n; c++) {
        arus_strbuf_appendf(sql, ", %s.", table);
        arus_sql_quote_ident(sql, cols->names[c], '`', false);
        arus_strbuf_puts(sql, " = VALUES(");
        arus_sql_quote_ident(sql, cols->names[c], '`', false);
        arus_strbuf_putc(sql, ')');
    }
}

/* Rows inserted or changed by the last statement. With ON DUPLICATE KEY UPDATE the server
 * counts 1 per insert, 2 per changed row and 0 per unchanged row, and mysql_info's
 * "Duplicates: D" counts the changed rows, so inserted + changed = affected - D. */
static uint64_t my_rows_written(MYSQL *db, uint64_t affected, size_t nrows)
{
    const char *info = mysql_info(db);
    unsigned long long rec, dup, warn;
    if (info &&
        sscanf(info, "Records: %llu Duplicates: %llu Warnings: %llu", &rec, &dup, &warn) == 3 &&
        affected >= dup)
        return affected - dup;
    if (nrows == 1) /* single-row statements report no info */
        return affected ? 1 : 0;
    return affected < nrows ? affected : nrows;
}

static MYSQL_STMT *my_prepare_insert(struct my_loader *ld, const char *table,
                                     const struct my_cols *cols, size_t rows, bool merge)
{
    struct arus_strbuf sql;
    arus_strbuf_init(&sql);
    arus_strbuf_appendf(&sql, "INSERT INTO %s ", table);
    my_column_list(&sql, cols, false);
    arus_strbuf_puts(&sql, " VALUES ");
    for (size_t r = 0; r < rows; r++) {
        arus_strbuf_puts(&sql, r ? ", (" : "(");
        for (size_t c = 0; c <= cols->n; c++)
            arus_strbuf_puts(&sql, c ? ", ?" : "?");
        arus_strbuf_putc(&sql, ')');
    }
    if (merge)
        my_odku(&sql, table, cols);
    /* NULL only when out of memory; a failed prepare leaves its error on st */
    MYSQL_STMT *st = mysql_stmt_init(ld->db);
    if (st)
        mysql_stmt_prepare(st, sql.data, sql.len);
    arus_strbuf_cleanup(&sql);
    return st;
}

static void my_bind_cell(MYSQL_BIND *b, my_bool *is_null, const struct arus_cell *c,
                         enum arus_ltype t)
{
    memset(b, 0, sizeof *b);
    b->is_null = is_null;
    *is_null = c->data == NULL;
    b->buffer_type = t == ARUS_T_BYTES ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
    if (t == ARUS_T_BOOL && c->data) {
        b->buffer = (void *)(c->len > 0 && c->data[0] == 't' ? "1" : "0");
        b->buffer_length = 1;
        return;
    }
    b->buffer = (void *)(c->data ? c->data : "");
    b->buffer_length = (unsigned long)c->len;
}

/* Rows from r0 that one INSERT carries: at most max, and few enough that the parameters stay
 * well under max_allowed_packet (large values otherwise fail the statement). */
static size_t my_chunk_rows(const struct my_cols *cols, size_t r0, size_t max)
{
    size_t k = 0, bytes = 0;
    while (r0 + k < cols->nrows && k < max) {
        const struct arus_cell *row = cols->cells + (r0 + k) * cols->n;
        size_t rb = 64;
        for (size_t c = 0; c < cols->n; c++)
            rb += row[c].len + 9;
        if (k > 0 && bytes + rb > MY_MAX_INSERT_BYTES)
            break;
        bytes += rb;
        k++;
    }
    return k;
}

static int my_insert_rows(struct my_loader *ld, const char *table, const struct my_cols *cols,
                          const char *run_id, bool merge, struct arus_error *err)
{
    size_t per_row = cols->n + 1;
    size_t chunk = MY_MAX_PARAMS / per_row;
    if (chunk > MY_MAX_INSERT_ROWS)
        chunk = MY_MAX_INSERT_ROWS;
    MYSQL_BIND *bind = arus_xcalloc(chunk * per_row, sizeof *bind);
    my_bool *nulls = arus_xcalloc(chunk * per_row, sizeof *nulls);
    struct arus_cell rid = {run_id, strlen(run_id)};
    MYSQL_STMT *st = NULL;
    size_t st_rows = 0;
    int rc = ARUS_OK;
    const char *what = "insert rows";

    for (size_t r0 = 0, k = 0; r0 < cols->nrows && rc == ARUS_OK; r0 += k) {
        k = my_chunk_rows(cols, r0, chunk);
        if (!st || st_rows != k) { /* full chunks share one statement; others get their own */
            if (st)
                mysql_stmt_close(st);
            st = my_prepare_insert(ld, table, cols, k, merge);
            st_rows = k;
            if (!st) {
                rc = arus__my_fail(ld->db, ARUS_EQUERY, err, what);
                break;
            }
            if (mysql_stmt_errno(st)) {
                rc = arus__my_stmt_fail(st, err, what);
                break;
            }
        }
        for (size_t r = 0; r < k; r++) {
            const struct arus_cell *row = cols->cells + (r0 + r) * cols->n;
            MYSQL_BIND *b = bind + r * per_row;
            my_bool *nl = nulls + r * per_row;
            for (size_t c = 0; c < cols->n; c++)
                my_bind_cell(&b[c], &nl[c], &row[c], cols->types[c]);
            my_bind_cell(&b[cols->n], &nl[cols->n], &rid, ARUS_T_STRING);
        }
        if (mysql_stmt_bind_param(st, bind) != 0 || mysql_stmt_execute(st) != 0) {
            rc = arus__my_stmt_fail(st, err, what);
            break;
        }
        ld->written += my_rows_written(ld->db, (uint64_t)mysql_stmt_affected_rows(st), k);
        rc = my_check_warnings(ld, mysql_stmt_warning_count(st), table, err);
    }
    if (st)
        mysql_stmt_close(st);
    free(bind);
    free(nulls);
    if (rc != ARUS_OK && err && strncmp(err->msg, "load into", 9) != 0)
        arus_error_prefix(err, "table %s", table);
    return rc;
}

/* ---- entry points ---- */

/* The load path for one set of columns: LOAD DATA when allowed (appends, or REPLACE merges),
 * INSERTs otherwise (merging with ON DUPLICATE KEY UPDATE when merge is set). */
static int my_write(struct my_loader *ld, const char *table, const struct my_cols *cols,
                    const char *run_id, bool merge, bool replace, struct arus_error *err)
{
    if (!ld->no_local_infile && (!merge || replace)) {
        bool refused;
        int rc = my_infile_load(ld, table, cols, run_id, replace, &refused, err);
        if (rc != ARUS_OK || !refused)
            return rc;
    }
    return my_insert_rows(ld, table, cols, run_id, merge, err);
}

/* Column names and types of a batch; the caller frees names and types with free(). */
static void my_cols_from_batch(const struct arus_batch *b, struct my_cols *cols)
{
    const char **names = arus_xcalloc(b->ncolumns + 1, sizeof *names);
    enum arus_ltype *types = arus_xcalloc(b->ncolumns + 1, sizeof *types);
    for (size_t c = 0; c < b->ncolumns; c++) {
        names[c] = b->schema->columns[c].name;
        types[c] = b->schema->columns[c].type.ltype;
    }
    *cols = (struct my_cols){b->ncolumns, names, types, b->cells, b->nrows};
}

/* Merge through the session temporary table: LOAD DATA into it, then one INSERT ... SELECT
 * ... ON DUPLICATE KEY UPDATE into the real table. */
static int my_merge_via_tmp(struct my_loader *ld, const struct my_load_target *t,
                            const struct my_cols *cols, const char *run_id, bool *refused,
                            struct arus_error *err)
{
    struct arus_strbuf tmp, sql;
    int rc;
    arus_strbuf_init(&tmp);
    arus_strbuf_init(&sql);
    arus_sql_quote_ident(&tmp, t->db, '`', false);
    arus_strbuf_putc(&tmp, '.');
    arus_sql_quote_ident(&tmp, t->tmp_name, '`', false);
    /* TEMPORARY keeps these out of the implicit-commit rules: the batch stays one txn */
    arus_strbuf_appendf(&sql, "DROP TEMPORARY TABLE IF EXISTS %s", tmp.data);
    if ((rc = arus__my_exec(ld->db, sql.data, err, "drop staging table")) != ARUS_OK)
        goto out;
    arus_strbuf_reset(&sql);
    arus_strbuf_appendf(&sql, "CREATE TEMPORARY TABLE %s LIKE %s", tmp.data, t->table);
    if ((rc = arus__my_exec(ld->db, sql.data, err, "create staging table")) != ARUS_OK)
        goto out;
    if ((rc = my_infile_load(ld, tmp.data, cols, run_id, false, refused, err)) != ARUS_OK ||
        *refused)
        goto out;
    ld->written = 0; /* the staging load does not count; the merge below does */
    arus_strbuf_reset(&sql);
    arus_strbuf_appendf(&sql, "INSERT INTO %s ", t->table);
    my_column_list(&sql, cols, false);
    arus_strbuf_puts(&sql, " SELECT ");
    for (size_t c = 0; c < cols->n; c++) {
        arus_sql_quote_ident(&sql, cols->names[c], '`', false);
        arus_strbuf_puts(&sql, ", ");
    }
    arus_strbuf_appendf(&sql, "`_arus_run_id` FROM %s", tmp.data);
    my_odku(&sql, t->table, cols);
    if (mysql_real_query(ld->db, sql.data, sql.len) != 0) {
        rc = arus__my_fail(ld->db, ARUS_EQUERY, err, "merge staged rows");
    } else {
        ld->written = my_rows_written(ld->db, (uint64_t)mysql_affected_rows(ld->db), cols->nrows);
        rc = my_check_warnings(ld, mysql_warning_count(ld->db), t->table, err);
    }
out:
    if (rc != ARUS_OK && err && strncmp(err->msg, "load into", 9) != 0)
        arus_error_prefix(err, "table %s", t->table);
    arus_strbuf_cleanup(&tmp);
    arus_strbuf_cleanup(&sql);
    return rc;
}

int arus__my_load_rows(struct my_loader *ld, const struct my_load_target *t,
                       const struct arus_batch *b, const char *run_id, struct arus_error *err)
{
    struct my_cols cols;
    bool refused = false;
    int rc = ARUS_OK;
    ld->written = 0;
    if (b->nrows == 0)
        return ARUS_OK;
    my_cols_from_batch(b, &cols);
    /* a table that was empty when the run began only meets each key once per stream, so
     * LOAD DATA REPLACE merges it without the staging round trip */
    if (t->merge && !t->fresh && !ld->no_local_infile)
        rc = my_merge_via_tmp(ld, t, &cols, run_id, &refused, err);
    if (rc == ARUS_OK && (!t->merge || t->fresh || ld->no_local_infile))
        rc = my_write(ld, t->table, &cols, run_id, t->merge, t->fresh, err);
    free((void *)cols.names);
    free((void *)cols.types);
    return rc;
}

int arus__my_load_raw(struct my_loader *ld, const char *table, const struct arus_batch *b,
                      const char *run_id, struct arus_error *err)
{
    static const char *const names[] = {"_data"};
    static const enum arus_ltype types[] = {ARUS_T_JSON};
    struct arus_strbuf json;
    ld->written = 0;
    if (b->nrows == 0)
        return ARUS_OK;
    size_t *ends = arus_xcalloc(b->nrows, sizeof *ends);
    struct arus_cell *cells = arus_xcalloc(b->nrows, sizeof *cells);
    arus_strbuf_init(&json);
    for (size_t r = 0; r < b->nrows; r++) {
        arus_row_to_json(b, r, &json);
        ends[r] = json.len;
    }
    /* pointers only after the buffer stopped growing */
    for (size_t r = 0; r < b->nrows; r++) {
        size_t start = r ? ends[r - 1] : 0;
        cells[r] = (struct arus_cell){json.data + start, ends[r] - start};
    }
    struct my_cols cols = {1, names, types, cells, b->nrows};
    int rc = my_write(ld, table, &cols, run_id, false, false, err);
    arus_strbuf_cleanup(&json);
    free(cells);
    free(ends);
    return rc;
}

/* DELETE ... WHERE (k1, k2) IN ((?, ?), ...): one statement per batch (split only past the
 * placeholder limit). */
int arus__my_delete_keys(struct my_loader *ld, const char *table, const struct arus_batch *b,
                         uint64_t *deleted, struct arus_error *err)
{
    const struct arus_table_schema *s = b->schema;
    size_t *pk = arus_xcalloc(s->ncolumns + 1, sizeof *pk);
    size_t npk = arus_schema_pk(s, pk);
    struct arus_strbuf sql;
    int rc = ARUS_OK;
    *deleted = 0;
    if (npk == 0) {
        free(pk);
        return arus_error_set(err, ARUS_EINVAL,
                              "delete from %s: table has no primary key to delete by", table);
    }
    size_t chunk = MY_MAX_PARAMS / npk;
    MYSQL_BIND *bind = arus_xcalloc((chunk < b->nrows ? chunk : b->nrows) * npk + 1, sizeof *bind);
    my_bool *nulls = arus_xcalloc((chunk < b->nrows ? chunk : b->nrows) * npk + 1, sizeof *nulls);
    arus_strbuf_init(&sql);
    for (size_t r0 = 0; r0 < b->nrows && rc == ARUS_OK; r0 += chunk) {
        size_t k = b->nrows - r0 < chunk ? b->nrows - r0 : chunk;
        arus_strbuf_reset(&sql);
        arus_strbuf_appendf(&sql, "DELETE FROM %s WHERE (", table);
        for (size_t i = 0; i < npk; i++) {
            if (i)
                arus_strbuf_puts(&sql, ", ");
            arus_sql_quote_ident(&sql, s->columns[pk[i]].name, '`', false);
        }
        arus_strbuf_puts(&sql, ") IN (");
        for (size_t r = 0; r < k; r++) {
            arus_strbuf_puts(&sql, r ? ", (" : "(");
            for (size_t i = 0; i < npk; i++) {
                arus_strbuf_puts(&sql, i ? ", ?" : "?");
                my_bind_cell(&bind[r * npk + i], &nulls[r * npk + i],
                             &arus_batch_row(b, r0 + r)[pk[i]], s->columns[pk[i]].type.ltype);
            }
            arus_strbuf_putc(&sql, ')');
        }
        arus_strbuf_putc(&sql, ')');
        MYSQL_STMT *st = mysql_stmt_init(ld->db);
        if (!st) {
            rc = arus__my_fail(ld->db, ARUS_EQUERY, err, "delete rows");
            break;
        }
        if (mysql_stmt_prepare(st, sql.data, sql.len) != 0 ||
            mysql_stmt_bind_param(st, bind) != 0 || mysql_stmt_execute(st) != 0)
            rc = arus__my_stmt_fail(st, err, "delete rows");
        else
            *deleted += (uint64_t)mysql_stmt_affected_rows(st);
        mysql_stmt_close(st);
    }
    if (rc != ARUS_OK)
        arus_error_prefix(err, "table %s", table);
    arus_strbuf_cleanup(&sql);
    free(bind);
    free(nulls);
    free(pk);
    return rc;
}
