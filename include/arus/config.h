/* arus.yml, loaded with libyaml into a small tree that remembers file and line of every node,
 * with ${ENV_VAR} interpolation applied to every scalar. Connectors read their own settings
 * through the accessors below, so their errors name file:line: key too. */
#ifndef ARUS_CONFIG_H
#define ARUS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arus_error;

enum arus_cfg_kind { ARUS_CFG_SCALAR, ARUS_CFG_MAP, ARUS_CFG_LIST };

/* A YAML node. For a map, children are its values and each child's key is set; for a list,
 * children are the items (key NULL). Owned by the struct arus_config it came from. */
struct arus_cfg_node {
    enum arus_cfg_kind kind;
    const char *key;       /* the key under which this node sits in its parent map, or NULL */
    const char *scalar;    /* interpolated text for scalars, NULL otherwise */
    const char *file;
    int line;
    struct arus_cfg_node **children;
    size_t nchildren;
};

/* Child `key` of a map node, or NULL (also NULL when node is not a map). */
const struct arus_cfg_node *arus_cfg_get(const struct arus_cfg_node *map, const char *key);

/* Typed accessors on a map node. Each returns ARUS_OK and writes *out, leaves *out alone when
 * the key is absent (the caller pre-sets the default), and returns ARUS_ECONFIG with a message
 * "FILE:LINE: KEY: expected ..." when present but malformed. */
int arus_cfg_str(const struct arus_cfg_node *map, const char *key, const char **out,
                 struct arus_error *err);
int arus_cfg_int(const struct arus_cfg_node *map, const char *key, int64_t *out,
                 struct arus_error *err);
int arus_cfg_bool(const struct arus_cfg_node *map, const char *key, bool *out,
                  struct arus_error *err);
/* Seconds, from an integer or a duration string: "30", "30s", "5m", "2h", "1d". */
int arus_cfg_seconds(const struct arus_cfg_node *map, const char *key, double *out,
                     struct arus_error *err);
/* Like arus_cfg_str but fails with "FILE:LINE: KEY is required" when absent. */
int arus_cfg_require_str(const struct arus_cfg_node *map, const char *key, const char **out,
                         struct arus_error *err);
/* Fail with "FILE:LINE: KEY: <why>" for a node. Returns ARUS_ECONFIG. */
int arus_cfg_fail(const struct arus_cfg_node *node, const char *key, struct arus_error *err,
                  const char *why);

enum arus_load_mode {
    ARUS_LOAD_NORMALIZED = 1,
    ARUS_LOAD_RAW = 2,
    ARUS_LOAD_RAW_AND_NORMALIZED = 3,
};

/* schema_changes: what a run does when the source's columns differ from the destination's. */
enum arus_schema_policy {
    ARUS_SCHEMA_EVOLVE = 0, /* add new columns, widen types safely (ALTER), the default */
    ARUS_SCHEMA_FREEZE = 1, /* keep the destination as it is: ignore new columns, warn */
    ARUS_SCHEMA_FAIL = 2,   /* stop the table's run, naming the change */
};

/* dropped_columns: a destination column the source no longer has. */
enum arus_dropped_policy {
    ARUS_DROPPED_KEEP = 0, /* keep it; rows updated later keep their old value (the default) */
    ARUS_DROPPED_NULL = 1, /* set it NULL on the rows each run changes */
    ARUS_DROPPED_FAIL = 2, /* stop the table's run, naming the column */
};

/* A per-table override inside a pipeline (`tables: [{name: orders, watermark_column: ...}]`). */
struct arus_table_override {
    const char *name;              /* table name or glob */
    const char *watermark_column;  /* NULL = detect */
    const char *primary_key;       /* comma-separated column list; NULL = the source's */
    const char *sync_mode;         /* "incremental" | "full_refresh" | "cdc" | NULL = detect */
    const char *deleted_at_column; /* NULL = detect */
    int commit_horizon;            /* `commit_horizon:` 1 / 0, -1 = the pipeline's */
    int delete_missing;            /* 0 = the pipeline's delete_missing, 1 on, -1 off */
    /* Which columns move (docs/config.md "Choosing what moves"). Names are source column
     * names; a name the table lacks fails the table's run with a config error. */
    const char **columns;          /* include list (NULL = every column) */
    size_t ncolumns;
    const char **exclude_columns;  /* never read */
    size_t nexclude_columns;
    const char **hash_columns;     /* loaded as HMAC-SHA256(hash_key, value) in hex */
    size_t nhash_columns;
    const char *rename_table;      /* destination table name; NULL = the source's */
    const char **rename_from;      /* destination column names: rename_from[i] lands as */
    const char **rename_to;        /* rename_to[i] */
    size_t nrename;
    enum arus_load_mode load_mode; /* 0 = the pipeline's */
    bool disabled;                 /* enabled: false: never synced */
    int64_t parallelism;           /* connection pairs for this table's split load; 0 = the
                                      pipeline's parallelism */
};

struct arus_endpoint {
    const char *name;
    const char *type;                 /* registry name: sqlite, postgresql, mysql, ... */
    const struct arus_cfg_node *node; /* the whole map, for connector-specific keys */
};

struct arus_pipeline {
    const char *name;
    const char *source;               /* endpoint name */
    const char *destination;
    const char **tables;              /* names or globs ("*" = every discovered table) */
    size_t ntables;
    struct arus_table_override *overrides;
    size_t noverrides;
    int64_t batch_size;               /* default 10000 */
    enum arus_load_mode load_mode;    /* default normalized */
    const char *target_schema;        /* NULL = destination default ("analytics") */
    const char *raw_schema;           /* NULL = destination default ("staging") */
    double lookback_seconds;          /* default 0 */
    bool commit_horizon;              /* hold watermarks at the source's commit horizon;
                                         default true (docs/consistency.md) */
    int64_t max_dead_letters;         /* default 0 */
    int64_t max_retries;              /* connection failures retried this often; default 3 */
    double initial_backoff_seconds;   /* first retry delay, doubled each time; default 2 */
    double max_backoff_seconds;       /* cap of the delay; default 60 */
    bool delete_missing;              /* default of the per-table delete_missing: after each
                                         incremental sync delete destination rows whose key
                                         the source no longer has; default false */
    const char **exclude;             /* globs of tables never synced (exclude:) */
    size_t nexclude;
    const char *hash_key;             /* hash_key: the HMAC key of hash_columns (from ${VAR}) */
    enum arus_schema_policy schema_changes;  /* default evolve */
    enum arus_dropped_policy dropped_columns; /* default keep */
    /* `arus serve` settings (checked by serve: cron syntax, time zone, dependency cycles). */
    const char *schedule;             /* cron expression or @descriptor; NULL = none */
    const char *timezone;             /* IANA name for schedule; NULL = UTC */
    bool paused;                      /* default false */
    const char **depends_on;          /* pipelines (defined in the file) this one runs after */
    size_t ndepends_on;
    const struct arus_cfg_node *node;
    const char *sync_mode;            /* pipeline default: NULL (detect) | "full_refresh" |
                                         "incremental" | "cdc"; a table's own sync_mode wins */
    const char *cdc_slot;             /* cdc.slot: NULL = derived from the pipeline name */
    const char *cdc_publication;      /* cdc.publication: NULL = derived */
    bool cdc_create;                  /* cdc.create: make slot/publication (default true) */
    int64_t cdc_warn_retained;        /* cdc.warn_retained_bytes: default 1 GiB */
    double cdc_max_latency;           /* cdc.max_latency: commit at least this often (0.5 s) */
    const char *cdc_position;         /* cdc.position: "gtid" | "file" (MySQL/MariaDB binlog
                                         positions); NULL = the source's default */
    int64_t parallelism;              /* tables synced at once, each on its own connection
                                         pair; default 1. Also how many key ranges of one
                                         large table load at once (a table's own wins) */
    int64_t split_min_rows;           /* a full refresh or first load of a table estimated
                                         at this many rows or more is split into key ranges
                                         (when parallelism > 1); default ARUS_SPLIT_MIN_ROWS */
};

/* Default split_min_rows: below this a table loads as one stream (a split costs a min/max
 * query, K range queries and K state rows; worth it from a few seconds of load on). */
#define ARUS_SPLIT_MIN_ROWS 200000

/* The table is captured from the change log (sync_mode cdc, its own or the pipeline's). */
bool arus_pipeline_table_cdc(const struct arus_pipeline *p, const char *table);

struct arus_config {
    const char *path;
    struct arus_endpoint *sources;
    size_t nsources;
    struct arus_endpoint *destinations;
    size_t ndestinations;
    struct arus_pipeline *pipelines;
    size_t npipelines;
    const struct arus_cfg_node *serve; /* the `serve:` map (read by arus serve), or NULL */
    struct arus_cfg_node *root;
    struct arus_arena *arena;         /* owns everything above */
};

/* Load and validate path: YAML syntax, top-level keys, every endpoint's `type` known to the
 * registry, every pipeline's source/destination defined, ${VAR} set. On failure returns
 * ARUS_ECONFIG with "FILE:LINE: what" in err and *out untouched. Caller frees with
 * arus_config_destroy. */
int arus_config_load(const char *path, struct arus_config **out, struct arus_error *err);
/* Same, from an in-memory YAML text; `name` is used as the file name in messages. */
int arus_config_load_string(const char *name, const char *yaml, size_t len,
                            struct arus_config **out, struct arus_error *err);
void arus_config_destroy(struct arus_config *cfg);

const struct arus_endpoint *arus_config_source(const struct arus_config *cfg, const char *name);
const struct arus_endpoint *arus_config_destination(const struct arus_config *cfg,
                                                    const char *name);
const struct arus_pipeline *arus_config_pipeline(const struct arus_config *cfg, const char *name);

/* The override that applies to `table` (first match by exact name, then glob), or NULL. */
const struct arus_table_override *arus_pipeline_override(const struct arus_pipeline *p,
                                                         const char *table);
/* Whether delete_missing is on for `table` (its override, else the pipeline's default). */
bool arus_pipeline_delete_missing(const struct arus_pipeline *p, const char *table);
/* Why `table` is left out of the pipeline although tables: names it: "excluded by exclude:
 * <glob>" or "disabled (enabled: false)" into why (n bytes); false when it is synced. */
bool arus_pipeline_skips(const struct arus_pipeline *p, const char *table, char *why, size_t n);
/* The load mode of `table`: its override's load_mode, else the pipeline's. */
enum arus_load_mode arus_pipeline_load_mode(const struct arus_pipeline *p, const char *table);
/* fnmatch-style glob match used for table selection. */
bool arus_glob_match(const char *pattern, const char *name);

#endif
