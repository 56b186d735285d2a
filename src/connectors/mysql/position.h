/* Binlog positions of MySQL/MariaDB CDC as text, and their order: MariaDB GTID states
 * ("0-1-42,1-2-7"), binlog file positions ("binlog.000003:1234") and MySQL GTID sets
 * ("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18,..."), plus MySQL's GTID and
 * PREVIOUS_GTIDS events. Pure functions (no server), see docs/cdc-mysql.md "Positions". */
#ifndef ARUS_MY_POSITION_H
#define ARUS_MY_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arus_error;
struct arus_strbuf;

/* ---- binlog file positions (position.c) */

/* A binlog file and a byte offset in it. file is NUL-terminated (server file names are short:
 * MySQL and MariaDB cap them at FN_REFLEN, 512). */
struct my_filepos {
    char file[512];
    uint64_t pos;
};

/* Parse "file:pos" (the offset after the last ':', file non-empty, no ',' or whitespace in it).
 * ARUS_EINVAL with a message quoting text when malformed. */
int arus__my_filepos_parse(const char *text, struct my_filepos *out, struct arus_error *err);
/* Whether text looks like a file position (cheap, no error): what the position comparison
 * dispatches on. */
bool arus__my_is_filepos(const char *text);
/* Order of two file positions: files by the number after their last '.' when both have one
 * (the server's binlog.000009 < binlog.000010, also past 999999), else by name; then offsets.
 * <0, 0, >0. */
int arus__my_filepos_cmp(const struct my_filepos *a, const struct my_filepos *b);

/* What a position text is, by its shape. */
enum my_pos_kind {
    MY_POS_INVALID,
    MY_POS_NONE,        /* "": the start */
    MY_POS_MARIADB,     /* domain-server-seq[,...] */
    MY_POS_FILE,        /* file:pos */
    MY_POS_MYSQL_GTIDS, /* uuid:interval[:interval][,...] */
};
enum my_pos_kind arus__my_pos_kind(const char *text);
/* Order of two positions that are not both MariaDB GTID states (those are ordered by
 * arus__my_cdc_position_cmp): file positions by arus__my_filepos_cmp, MySQL GTID sets by
 * arus__my_gtid_set_cmp; "" is below every position, a malformed text below everything, two
 * different kinds are ordered by kind (never equal). */
int arus__my_pos_cmp(const char *a, const char *b);

/* ---- MySQL GTID sets (gtid_set.c) */

/* One interval of transaction numbers, both ends included (text "1-5" or "7"). */
struct my_gno_interval {
    uint64_t first, last;
};

/* The transactions of one server: its uuid and sorted, disjoint, non-adjacent intervals. */
struct my_gtid_sid {
    uint8_t uuid[16];
    struct my_gno_interval *iv; /* malloc'd */
    size_t niv, cap;
};

/* A set of MySQL GTIDs, sids sorted by uuid bytes. Initialise with {0}; free with
 * arus__my_gtid_set_cleanup. */
struct my_gtid_set {
    struct my_gtid_sid *sids; /* malloc'd */
    size_t nsids, cap;
};

void arus__my_gtid_set_cleanup(struct my_gtid_set *s);
/* Parse MySQL's text form (as @@gtid_executed prints it): "uuid:iv[:iv]..." joined by ',', with
 * whitespace/newlines allowed around items; iv is "n" or "n-m" (1 <= n <= m < 2^63). Overlapping
 * or unordered intervals are merged. "" is the empty set. Tagged GTIDs of MySQL 8.3
 * ("uuid:tag:1-5") are refused. ARUS_EINVAL naming the bad part; *out (initialised) receives the
 * set only on success. */
int arus__my_gtid_set_parse(const char *text, struct my_gtid_set *out, struct arus_error *err);
/* Append the canonical text: lower-case uuids in uuid order, intervals ascending, "n" for a
 * single transaction, items joined by ','. The empty set appends nothing. */
void arus__my_gtid_set_format(const struct my_gtid_set *s, struct arus_strbuf *sb);
/* Add transaction uuid:gno (gno >= 1), merging with neighbouring intervals. */
void arus__my_gtid_set_add(struct my_gtid_set *s, const uint8_t uuid[16], uint64_t gno);
/* Whether uuid:gno is in the set: a transaction the stored set contains was applied. */
bool arus__my_gtid_set_contains(const struct my_gtid_set *s, const uint8_t uuid[16], uint64_t gno);
/* Whether every transaction of a is in b. */
bool arus__my_gtid_set_subset(const struct my_gtid_set *a, const struct my_gtid_set *b);
/* Position order: 0 when equal, <0 when a is a proper subset of b, >0 when b is one of a; sets
 * that are not nested (diverged) are ordered by transaction count, then by their canonical text,
 * so the order is total and antisymmetric. */
int arus__my_gtid_set_cmp(const struct my_gtid_set *a, const struct my_gtid_set *b);
/* Parse "uuid" text (36 characters with dashes at 8, 13, 18, 23, any case) into 16 bytes. */
bool arus__my_uuid_parse(const char *text, uint8_t out[16]);
/* Text of a uuid (37 bytes with the NUL), lower case. */
void arus__my_uuid_format(const uint8_t uuid[16], char out[37]);

/* MySQL's GTID_LOG_EVENT (type 33) body: flags(1) sid(16) gno(8, little-endian) and the
 * logical-clock fields after them, which arus does not need. *gno 0 for ANONYMOUS_GTID (34).
 * ARUS_EDATA when shorter than 25 bytes. */
int arus__my_gtid_event_decode(const uint8_t *body, size_t len, uint8_t uuid[16], uint64_t *gno,
                               struct arus_error *err);
/* MySQL's PREVIOUS_GTIDS_LOG_EVENT (type 35) body: the GTID set of every earlier binlog, encoded
 * as n_sids(8) then per sid uuid(16) n_intervals(8) and (start, end) pairs of 8 bytes each, end
 * exclusive (the same encoding COM_BINLOG_DUMP_GTID sends). ARUS_EDATA when truncated, counts
 * do not fit the buffer or an interval is empty; *out (initialised) receives the set on
 * success. */
int arus__my_previous_gtids_decode(const uint8_t *body, size_t len, struct my_gtid_set *out,
                                   struct arus_error *err);

#endif
