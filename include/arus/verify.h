/* arus verify: compare a pipeline's source tables with their typed destination tables by
 * primary key (rows missing, extra or changed downstream), optionally repairing the drift
 * through the normal load path. How it compares, and what it costs: docs/consistency.md. */
#ifndef ARUS_VERIFY_H
#define ARUS_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arus/config.h"
#include "arus/destination.h"
#include "arus/error.h"
#include "arus/source.h"

struct arus_verify_options {
    const char *table; /* only this table (NULL = the pipeline's selection) */
    bool repair;       /* re-copy missing and changed rows, delete extra ones */
    size_t max_keys;   /* keys listed per kind and table (0 = 10) */
};

/* The kinds of drift, per key. */
enum arus_verify_kind {
    ARUS_VERIFY_MISSING, /* in the source, not downstream */
    ARUS_VERIFY_EXTRA,   /* downstream, not in the source (or deleted there) */
    ARUS_VERIFY_CHANGED, /* on both sides with different typed values */
    ARUS_VERIFY__KINDS
};

/* Name of a kind: "missing", "extra", "changed". */
const char *arus_verify_kind_name(enum arus_verify_kind k);

/* A key range whose rows differ: the rows of one source batch (keys first..last) and the
 * destination rows merged with them (those after the previous range's last key up to this
 * range's last key); the tail range after the last source key has first = that key (exclusive)
 * and last = NULL. Keys as in arus_verify_table.keys; heap. */
struct arus_verify_range {
    char *first;
    char *last;
    int64_t source_rows;
    int64_t destination_rows;
    uint64_t source_checksum;
    uint64_t destination_checksum;
};

struct arus_verify_table {
    char table[256];
    int status; /* ARUS_OK or the failure code (error holds its message) */
    char error[ARUS_ERROR_MSG_MAX];
    bool skipped;             /* no primary key: cannot be verified by key, not compared */
    int64_t source_rows;      /* live source rows read */
    int64_t destination_rows; /* destination rows read */
    int64_t rows_matched;     /* keys on both sides with equal values */
    int64_t count[ARUS_VERIFY__KINDS];
    /* The first max_keys keys of each kind, in key order, as text ("42"; composite keys
     * "1, abc"); heap, freed by arus_verify_report_cleanup. */
    char **keys[ARUS_VERIFY__KINDS];
    size_t nkeys[ARUS_VERIFY__KINDS];
    /* Order-independent checksums (sum of 64-bit row hashes of the compared columns), equal
     * when both sides hold the same rows. */
    uint64_t source_checksum;
    uint64_t destination_checksum;
    /* Per key range (one per source batch, plus the destination rows after the last source
     * key): how many were compared, how many differ, and the first max_keys that differ. */
    int64_t ranges;
    int64_t ranges_differing;
    struct arus_verify_range *range;
    size_t nrange;
    int64_t rows_repaired; /* --repair: rows re-copied (missing + changed) */
    int64_t rows_deleted;  /* --repair: extra rows deleted */
    double seconds;
};

struct arus_verify_report {
    struct arus_verify_table *tables; /* malloc'ed; freed by arus_verify_report_cleanup */
    size_t ntables;
    size_t drifted; /* tables with any missing, extra or changed row */
    int failed;     /* tables whose comparison failed */
};

/* Verify pipeline p with created, unconnected instances (tests pass fakes): connect both;
 * with opt->repair also ensure_state and take the pipeline lock (repairs write); then for each
 * selected table read the source's live rows ordered by primary key (one extract stream) and
 * the destination's typed rows by key in pages (read_rows), merge them and count what differs.
 * Memory holds one source batch and one destination page (batch_size rows each). Watermarks
 * and run history are never written. Returns ARUS_OK when every table was compared (drift is
 * reported in report, not as an error), otherwise the first failure's code with its message;
 * ARUS_ENOTSUP when the destination cannot read rows back or the pipeline loads raw only. Does
 * not close the instances. */
int arus_verify_run(struct arus_source *src, struct arus_destination *dst,
                    const struct arus_pipeline *p, const struct arus_verify_options *opt,
                    struct arus_verify_report *report, struct arus_error *err);

/* Run arus_verify_run on pipeline `name` of cfg with a source and destination made from the
 * config (closed afterwards). */
int arus_verify_pipeline(const struct arus_config *cfg, const char *name,
                         const struct arus_verify_options *opt, struct arus_verify_report *report,
                         struct arus_error *err);

void arus_verify_report_cleanup(struct arus_verify_report *r);

#endif
