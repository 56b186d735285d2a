/* Bulk writes of the MySQL/MariaDB destination: LOAD DATA LOCAL INFILE fed from memory (with a
 * temporary table and INSERT ... SELECT ... ON DUPLICATE KEY UPDATE for merges), the multi-row
 * prepared INSERT fallback when the server refuses LOCAL INFILE, warning checks, and key
 * deletes. */
#ifndef ARUS_MY_LOAD_H
#define ARUS_MY_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "arus/strbuf.h"
#include "arus/types.h"
#include "connectors/mysql/conn.h"

struct my_cols;

/* Per-connection loading state. db is set by the owner before arus__my_loader_init. */
struct my_loader {
    MYSQL *db;
    bool mariadb;
    bool no_local_infile;       /* the server refused LOCAL INFILE once: INSERT from now on */
    struct arus_strbuf payload; /* the next rows of the LOAD DATA file being sent */
    const struct my_cols *cols; /* the rows of the LOAD DATA statement running */
    size_t row;                 /* the next of them to put into payload */
    struct arus_strbuf run_id;  /* what the session's @arus_run_id holds ("" = not set yet) */
    size_t pos;                 /* read position of the infile handler */
    uint64_t written;           /* rows inserted or changed by the last my_load_* call */
};

/* Install the in-memory infile handler on ld->db. */
void arus__my_loader_init(struct my_loader *ld);
void arus__my_loader_cleanup(struct my_loader *ld);

/* Where a normalized batch goes. table: quoted `db`.`name`; tmp_name: unquoted name of the
 * session's temporary staging table in database db (used when merge). */
struct my_load_target {
    const char *table;
    const char *db;
    const char *tmp_name;
    bool merge; /* update rows whose key exists (ON DUPLICATE KEY UPDATE) */
    bool fresh; /* with merge: the table was empty when this run began, so
                   LOAD DATA REPLACE into it directly is the merge */
};

/* Load a batch's cells plus _arus_run_id = run_id into t; ld->written gets the rows inserted
 * or changed (merges skip identical rows). Data-changing warnings fail the call with
 * ARUS_EDATA naming the table, row and column as the server reports them. */
int arus__my_load_rows(struct my_loader *ld, const struct my_load_target *t,
                       const struct arus_batch *b, const char *run_id, struct arus_error *err);

/* Append the batch as JSON rows (arus_row_to_json) to the raw table (quoted `db`.`name`). */
int arus__my_load_raw(struct my_loader *ld, const char *table, const struct arus_batch *b,
                      const char *run_id, struct arus_error *err);

/* DELETE the batch's primary keys from table (quoted); *deleted gets the affected rows. */
int arus__my_delete_keys(struct my_loader *ld, const char *table, const struct arus_batch *b,
                         uint64_t *deleted, struct arus_error *err);

#endif
