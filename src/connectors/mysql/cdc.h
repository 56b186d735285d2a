/* MySQL/MariaDB change data capture: the source's cdc_* slots (cdc.c), which join the binlog
 * reader and row decoder (binlog.c, rowimage.c) and the consistent start (cdc_start.c) into the
 * engine's event stream (include/arus/source.h, "Change data capture"). */
#ifndef ARUS_MY_CDC_H
#define ARUS_MY_CDC_H

#include <stdbool.h>

#include <mysql.h>

#include "arus/source.h"
#include "connectors/mysql/conn.h"

struct my_cdc;

/* The MySQL/MariaDB source instance (source.c), shared with the change capture in cdc.c. */
struct my_source {
    struct arus_source base;
    struct my_conn_cfg cfg;
    MYSQL *db;
    bool mariadb;
    struct my_cdc *cdc; /* the binlog session, NULL until cdc_start */
};

/* The source's cdc_* slots, for its ops table. Positions are MariaDB GTID states: one
 * "domain-server-seq" per replication domain, comma-separated. */
int arus__my_cdc_start(struct arus_source *src, const struct arus_cdc_options *o,
                       struct arus_cdc_start *out, struct arus_error *err);
int arus__my_cdc_stream(struct arus_source *src, const char *from, bool follow,
                        struct arus_error *err);
int arus__my_cdc_next(struct arus_source *src, struct arus_cdc_event *ev, double timeout,
                      struct arus_error *err);
int arus__my_cdc_ack(struct arus_source *src, const char *position, struct arus_error *err);
int arus__my_cdc_status(struct arus_source *src, const struct arus_cdc_options *o,
                        struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err);
int arus__my_cdc_drop(struct arus_source *src, const struct arus_cdc_options *o,
                      struct arus_error *err);
/* GTID states compared per domain (a missing domain counts as sequence 0) by the sequence of the
 * smallest domain in which they differ: >0 when a is ahead in some domain and behind in none;
 * a malformed state sorts before every valid one. */
int arus__my_cdc_position_cmp(const char *a, const char *b);
/* Free the session (NULL is fine). */
void arus__my_cdc_destroy(struct my_cdc *c);

#endif
