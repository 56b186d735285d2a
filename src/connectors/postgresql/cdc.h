/* PostgreSQL change data capture: the pgoutput decoder (cdc_decode.c, pure, unit-tested with
 * hand-built messages) and the replication session (cdc.c: slot, publication, snapshot copy,
 * streaming, feedback, status). The pgoutput message layout is PostgreSQL's logical
 * replication protocol, "Logical Replication Message Formats", proto_version 1. */
#ifndef ARUS_PG_CDC_H
#define ARUS_PG_CDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/error.h"
#include "arus/source.h"

#include <libpq-fe.h>

#include "connectors/postgresql/conn.h"

struct arus_arena;
struct pg_cdc;

/* The PostgreSQL source instance (source.c), shared with the change capture in cdc.c. */
struct pg_source {
    struct arus_source base;
    struct pg_settings set;
    PGconn *conn;
    const char *schema;   /* tables here keep their plain name */
    const char **include; /* schema_include globs (malloc'ed array, borrowed strings) */
    size_t ninclude;
    char writer_zone[128]; /* TimeZone of a new session ("" until read): what zone-less
                              timestamps are stamped in */
    struct pg_cdc *cdc;    /* the replication session, NULL until cdc_start */
};

/* Load the columns of relation oid (nsp.rel) into t, allocated in a: columns in attnum order
 * with their format_type() text, logical type, NOT NULL and key position, and the arus table
 * name (plain in the configured schema, "nsp.rel" elsewhere). */
int arus__pg_load_table(struct pg_source *s, const char *oid, const char *nsp, const char *rel,
                        const char *estimate, struct arus_arena *a, struct arus_table_schema *t,
                        struct arus_error *err);

/* One column of a Relation message. */
struct pg_rel_column {
    bool key; /* part of the replica identity */
    const char *name;
    uint32_t type_oid;
    int32_t typmod;
};

/* One value of a TupleData: kind 'n' (NULL), 'u' (unchanged TOASTed value, not sent) or
 * 't' (text: len bytes at data, not NUL-terminated). */
struct pg_value {
    char kind;
    const char *data;
    size_t len;
};

/* A decoded pgoutput message. Strings and values point into the message buffer; arrays are
 * allocated in the arena given to arus__pg_decode. Fields not used by a type stay zero. */
struct pg_msg {
    char type;                     /* 'B' 'C' 'O' 'R' 'Y' 'I' 'U' 'D' 'T' */
    uint64_t lsn;                  /* B: final (commit) LSN; C: commit LSN; O: origin commit LSN */
    uint64_t end_lsn;              /* C: end of the commit record */
    int64_t time;                  /* B, C: commit time, microseconds since 2000-01-01 UTC */
    uint32_t xid;                  /* B */
    uint32_t relid;                /* R, Y (type oid), I, U, D */
    const char *nspname;           /* R, Y */
    const char *relname;           /* R, Y (type name); O: origin name */
    char replident;                /* R: 'd' default, 'n' nothing, 'f' full, 'i' index */
    struct pg_rel_column *columns; /* R */
    size_t ncolumns;
    char old_kind; /* U, D: 'K' (key columns) or 'O' (whole old row); 0 = none */
    struct pg_value *old_values;
    size_t nold;
    struct pg_value *values; /* I, U: the new row */
    size_t nvalues;
    uint32_t *relids; /* T */
    size_t nrelids;
    uint8_t truncate_flags; /* T: 1 cascade, 2 restart identity */
};

/* Decode one pgoutput message of n bytes (the payload of an XLogData 'w' message). Returns
 * ARUS_OK, or ARUS_EDATA with "pgoutput message 'X': ..." for a truncated or unknown one. */
int arus__pg_decode(const char *buf, size_t n, struct arus_arena *a, struct pg_msg *out,
                    struct arus_error *err);

/* LSN text "X/Y" (upper-case hex, as PostgreSQL prints it) <-> 64-bit value. parse returns
 * false for malformed text. */
void arus__pg_lsn_format(uint64_t lsn, char *buf, size_t n);
bool arus__pg_lsn_parse(const char *text, uint64_t *out);

/* The source's cdc_* slots (cdc.c), for its ops table. */
int arus__pg_cdc_start(struct arus_source *src, const struct arus_cdc_options *o,
                       struct arus_cdc_start *out, struct arus_error *err);
int arus__pg_cdc_stream(struct arus_source *src, const char *from, bool follow,
                        struct arus_error *err);
int arus__pg_cdc_next(struct arus_source *src, struct arus_cdc_event *ev, double timeout,
                      struct arus_error *err);
int arus__pg_cdc_ack(struct arus_source *src, const char *position, struct arus_error *err);
int arus__pg_cdc_status(struct arus_source *src, const struct arus_cdc_options *o,
                        struct arus_arena *a, struct arus_cdc_status *out, struct arus_error *err);
int arus__pg_cdc_drop(struct arus_source *src, const struct arus_cdc_options *o,
                      struct arus_error *err);
int arus__pg_cdc_position_cmp(const char *a, const char *b);
/* Release the replication session of a source (called by its close); NULL is a no-op. */
void arus__pg_cdc_destroy(struct pg_cdc *c);

#endif
