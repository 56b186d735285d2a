/* MySQL/MariaDB binlog change stream: a pure event decoder (raw events in, changes out: BEGIN,
 * row changes with before/after images, COMMIT, DDL, heartbeats) and a reader that feeds it from
 * a replication connection (libmariadb's mariadb_rpl.h) resumed at a MariaDB GTID. Also the
 * consistent start and the server settings check (cdc_start.c). See docs/cdc-mysql.md. */
#ifndef ARUS_MY_BINLOG_H
#define ARUS_MY_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mysql.h>

#include "connectors/mysql/rowimage.h"

struct arus_arena;
struct arus_error;
struct arus_strbuf;

/* Binlog event types the stream handles (sql/log_event.h). */
enum {
    MY_EV_QUERY = 2,
    MY_EV_STOP = 3,
    MY_EV_ROTATE = 4,
    MY_EV_FORMAT_DESCRIPTION = 15,
    MY_EV_XID = 16,
    MY_EV_TABLE_MAP = 19,
    MY_EV_HEARTBEAT = 27,
    MY_EV_ROWS_QUERY = 29, /* MySQL's statement text of the following rows */
    MY_EV_MYSQL_GTID = 33, /* MySQL 5.6+: server uuid + transaction number */
    MY_EV_MYSQL_ANONYMOUS_GTID = 34,
    MY_EV_XA_PREPARE = 38,
    MY_EV_ANNOTATE_ROWS = 160, /* MariaDB's statement text of the following rows */
    MY_EV_GTID = 162,          /* MariaDB: domain-server-sequence */
    MY_EV_GTID_LIST = 163,
};

#define MY_BINLOG_HEADER_LEN 19

/* The common 19-byte event header. */
struct my_event_header {
    uint32_t timestamp;
    uint8_t type;
    uint32_t server_id;
    uint32_t size;    /* whole event, header and checksum included */
    uint32_t log_pos; /* position just past this event in its binlog file; 0 for artificial */
    uint16_t flags;
};

enum my_change_kind {
    MY_CH_NONE = 0,
    MY_CH_BEGIN,     /* a transaction starts; gtid is its GTID */
    MY_CH_INSERT,    /* table, after */
    MY_CH_UPDATE,    /* table, before, after */
    MY_CH_DELETE,    /* table, before */
    MY_CH_COMMIT,    /* the transaction begun by the last MY_CH_BEGIN is complete */
    MY_CH_DDL,       /* a statement outside row events (DDL): database, statement; it is a
                        transaction of its own (gtid set) */
    MY_CH_HEARTBEAT, /* the server is alive; file/pos is where it stands */
    MY_CH_ROTATE,    /* the stream continues in file at pos */
    MY_CH_END,       /* non-blocking dump: the end of the binlog seen at open was reached */
};

/* One change. Pointers (table, images, statement, strings) stay valid until the next feed of
 * the stream (or the next arus__my_binlog_next), image cells live in the arena the caller
 * passed to get them. */
struct my_change {
    enum my_change_kind kind;
    const char *gtid;   /* of the current transaction: "domain-server-seq" (MariaDB) or
                           "uuid:n" (MySQL); "" before the first GTID */
    const char *file;   /* binlog file the event is in */
    uint64_t pos;       /* position just past the event: file/pos resume point after COMMIT */
    uint32_t timestamp; /* event time (seconds since the epoch), for lag */
    const struct my_tablemap *table; /* row changes */
    struct my_row_image before, after;
    const char *database;  /* DDL: the statement's default database */
    const char *statement; /* DDL; rows: the ANNOTATE_ROWS/ROWS_QUERY text when sent, else NULL */
    size_t statement_len;
};

/* Called for each new TABLE_MAP before its rows are decoded, so the caller can bind the table's
 * schema (arus__my_tablemap_bind_schema) for BOOL/JSON columns, or set tm->skip for a table it
 * does not sync (its rows are then neither decoded nor handed out). May be NULL: every table is
 * decoded. An error stops the stream. */
typedef int (*my_tablemap_fn)(void *ctx, struct my_tablemap *tm, struct arus_error *err);

#define MY_STREAM_MAX_TABLES 64

/* The decoder state between events. Initialise with arus__my_stream_init, free with
 * arus__my_stream_cleanup. */
struct my_stream {
    bool checksum;                    /* events carry a CRC32 trailer */
    bool mariadb;                     /* FORMAT_DESCRIPTION's server version (default on) */
    const struct my_collations *coll; /* borrowed */
    my_tablemap_fn on_tablemap;
    void *ctx;
    struct arus_arena *maps_arena; /* table maps of the current transaction */
    struct my_tablemap *maps[MY_STREAM_MAX_TABLES];
    size_t nmaps;
    char gtid[96];
    bool in_trx;
    bool mysql_gtid_pending; /* MySQL: GTID seen, BEGIN query or DDL follows */
    char file[256];
    uint64_t pos;
    /* the event being read: */
    struct my_event_header h;
    const uint8_t *body;
    size_t body_len;
    bool pending; /* a change of this event not handed out yet */
    struct my_rows_event rows;
    const struct my_tablemap *rows_map;
    const char *annotate; /* statement text of the following rows, in maps_arena */
    size_t annotate_len;
};

/* checksum: whether events before the first FORMAT_DESCRIPTION carry a CRC32 (the server's
 * binlog_checksum as set through @master_binlog_checksum); later FORMAT_DESCRIPTION events
 * update it. coll resolves column charsets (borrowed, may be NULL). */
void arus__my_stream_init(struct my_stream *s, bool checksum, const struct my_collations *coll,
                          my_tablemap_fn on_tablemap, void *ctx);
void arus__my_stream_cleanup(struct my_stream *s);

/* Take one raw event (header .. checksum; borrowed until the next feed). Verifies the
 * checksum (except for a rows event of a table map marked skip: it is not read), updates
 * position, GTID and table maps. ARUS_EDATA on a corrupt event. */
int arus__my_stream_feed(struct my_stream *s, const uint8_t *ev, size_t len,
                         struct arus_error *err);
/* The next change of the fed event: 1 with *out filled (row cells allocated in a), 0 when the
 * event has nothing (more) to hand out. A rows event yields one change per row. Errors from
 * the row decoder (ARUS_EDATA, ARUS_ENOTSUP) name the table and column. */
int arus__my_stream_next(struct my_stream *s, struct arus_arena *a, struct my_change *out,
                         struct arus_error *err);

/* One change as a JSON object line (no newline) appended to sb, for `peek`-style output and the
 * decoder's golden tests: {"kind":"update","gtid":"0-1-9","pos":1234,"table":"db.t",
 * "statement":"UPDATE ...","before":{...},"after":{...}} (statement: the ANNOTATE_ROWS text when
 * the server sent it) with cells as JSON strings (BYTES base64), SQL NULL as null and
 * columns absent from a minimal image left out; DDL has "database" and "statement". */
void arus__my_change_to_json(const struct my_change *c, struct arus_strbuf *sb);

/* Replay captured events: buf holds whole events back to back (as my_binlog_tool capture
 * writes them, CRC32 trailers included); each change is appended to out as a JSON line
 * (arus__my_change_to_json + '\n'), or only decoded when out is NULL. ARUS_EDATA on a malformed
 * buffer or event; decoder errors as arus__my_stream_next. */
int arus__my_binlog_replay(const uint8_t *buf, size_t len, const struct my_collations *coll,
                           struct arus_strbuf *out, struct arus_error *err);

/* The position to resume after, from the stored state and one applied transaction's GTID:
 * MariaDB's state is one "domain-server-seq" per replication domain, comma-separated, so the
 * entry of gtid's domain is replaced (or appended) and the others kept. state (n bytes,
 * NUL-terminated, may be "") is updated in place. ARUS_EINVAL for a malformed gtid or when the
 * result does not fit. MySQL "uuid:n" GTIDs are not merged here (a MySQL position is file/pos). */
int arus__my_gtid_state_merge(char *state, size_t n, const char *gtid, struct arus_error *err);

/* ---- reader over a replication connection */

struct my_binlog;

struct my_binlog_opts {
    const char *gtid;           /* MariaDB GTID position to resume after ("0-1-42", a list
                                   "0-1-42,1-2-7"); required unless file is set */
    const char *file;           /* file/position mode (MySQL, or MariaDB without GTIDs): the
                                   binlog file to start in, NULL = GTID mode */
    uint64_t pos;               /* with file: the offset of the first event to read (< 4 GiB:
                                   COM_BINLOG_DUMP carries 4 bytes) */
    uint32_t server_id;         /* unique among the server's replicas; 0 picks one from the pid */
    bool non_block;             /* stop at the binlog end instead of waiting (MY_CH_END) */
    unsigned heartbeat_seconds; /* 0 = none; else the server sends a heartbeat when idle */
    my_tablemap_fn on_tablemap;
    void *ctx;
    /* Called with every raw event (header .. checksum, borrowed) before it is decoded, for
     * capture tools; may be NULL. */
    void (*on_event)(void *ctx, const uint8_t *ev, size_t len);
};

/* Turn db (connected with arus__my_open, owned by the reader from now on: closed by
 * arus__my_binlog_close, even on failure) into a binlog dump from opts->gtid: reads the
 * collation list, sets @mariadb_slave_capability=4, @master_binlog_checksum,
 * @slave_connect_state, @slave_gtid_strict_mode=1 and the heartbeat period, and sends
 * COM_BINLOG_DUMP (empty file name, position 4). With opts->file the dump starts at
 * file/pos instead and no GTID variable is set (works on MySQL too). Failures: ARUS_EQUERY/ARUS_ECONNECT with the
 * server's text. */
int arus__my_binlog_open(MYSQL *db, const struct my_binlog_opts *opts, struct my_binlog **out,
                         struct arus_error *err);
/* The next arus__my_binlog_next waits for the server at most timeout seconds from now, then
 * hands out MY_CH_HEARTBEAT (nothing arrived); a negative timeout waits as long as it takes.
 * Over TLS or compression the wait is bounded by the heartbeat period instead. */
void arus__my_binlog_set_timeout(struct my_binlog *b, double timeout);
/* Next change from the server (blocking unless non_block). MY_CH_END once a non-blocking dump
 * is done. A GTID no longer in the server's binlogs fails with ARUS_ENOTFOUND and a message
 * naming the fix (a new snapshot); a lost connection with ARUS_ECONNECT. */
int arus__my_binlog_next(struct my_binlog *b, struct arus_arena *a, struct my_change *out,
                         struct arus_error *err);
/* The collations read at open (borrowed until close). */
const struct my_collations *arus__my_binlog_collations(const struct my_binlog *b);
void arus__my_binlog_close(struct my_binlog *b);

/* ---- consistent start and server settings (cdc_start.c) */

/* Which server a version string (mysql_get_server_info) names: "10.11.6-MariaDB-0+deb12u1"
 * is MariaDB, anything else ("8.0.36", "8.4.0-log") MySQL. The flavour decides the settings and
 * grants checked, the grant names in messages and how the snapshot is taken. */
enum my_flavour { MY_FLAVOUR_MARIADB, MY_FLAVOUR_MYSQL };
enum my_flavour arus__my_flavour(const char *version);

/* The decision of the settings check, without a server: vars holds nvars (name, value) pairs
 * (SHOW GLOBAL VARIABLES rows), grants the SHOW GRANTS lines joined by '\n'. Appends one line
 * (ending in '\n') per missing item to problems: log_bin=ON, binlog_format=ROW,
 * binlog_row_image=FULL, binlog_row_metadata=FULL everywhere; on MySQL also
 * binlog_row_value_options empty (no PARTIAL_JSON) and, when gtid, gtid_mode=ON and
 * enforce_gtid_consistency=ON; grants REPLICATION SLAVE plus BINLOG MONITOR (MariaDB, or its old
 * name REPLICATION CLIENT) or REPLICATION CLIENT and RELOAD (MySQL). */
void arus__my_cdc_check_values(enum my_flavour flavour, bool gtid, const char *const *vars,
                               size_t nvars, const char *grants, struct arus_strbuf *problems);

/* Check what binlog CDC needs on the server of db (arus__my_cdc_check_values with the server's
 * flavour, variables and grants; gtid: the pipeline's positions are GTIDs). When something is
 * missing: ARUS_ECONFIG, and lines (may be NULL) receives one line per missing setting or grant,
 * each ending in '\n' ("binlog_format is MIXED, needs ROW (SET GLOBAL binlog_format = ROW,
 * ...)"), for the CLI to print; the error message holds the same items joined by ';' (messages
 * are one line). */
int arus__my_cdc_check_server(MYSQL *db, bool gtid, struct arus_strbuf *lines,
                              struct arus_error *err);

/* The start of a consistent snapshot: on db, START TRANSACTION WITH CONSISTENT SNAPSHOT, then
 * the binlog file/position of that snapshot (SHOW STATUS LIKE 'binlog_snapshot%') and its GTID
 * (BINLOG_GTID_POS). The transaction stays open: reads on db until COMMIT see exactly the data
 * up to that GTID, and the binlog from the GTID holds exactly what came after. gtid (n bytes)
 * and file (fn bytes) receive text; *pos the position. */
int arus__my_cdc_snapshot(MYSQL *db, char *gtid, size_t n, char *file, size_t fn, uint64_t *pos,
                          struct arus_error *err);
/* The snapshot where the server has no binlog_snapshot_* status (MySQL, the default for a MySQL
 * server in arus__my_cdc_snapshot): FLUSH TABLES WITH READ LOCK (needs RELOAD; writes wait for
 * an instant), START TRANSACTION WITH CONSISTENT SNAPSHOT, SHOW BINARY LOG STATUS (or SHOW
 * MASTER STATUS before MySQL 8.2), UNLOCK TABLES. gtid receives Executed_Gtid_Set ("" without
 * GTIDs, or on MariaDB, which also runs this path), file/pos the binlog position. */
int arus__my_cdc_snapshot_locked(MYSQL *db, char *gtid, size_t n, char *file, size_t fn,
                                 uint64_t *pos, struct arus_error *err);

#endif
