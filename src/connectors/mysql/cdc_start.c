/* Binlog CDC start on MySQL/MariaDB: the server settings and grants the stream needs, checked up
 * front with one line per missing item, and the consistent snapshot whose binlog position and
 * GTID mark where the change stream takes over from the bulk copy (no gap, no overlap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arus/arena.h"
#include "arus/error.h"
#include "arus/strbuf.h"
#include "connectors/mysql/binlog.h"
#include "connectors/mysql/conn.h"

/* One required server variable: its name, the value needed and how to set it. */
struct my_setting {
    const char *name;
    const char *want;
    const char *fix;
};

static const struct my_setting my_settings[] = {
    {"log_bin", "ON", "start the server with log_bin (it cannot be set at run time)"},
    {"binlog_format", "ROW", "SET GLOBAL binlog_format = ROW, and in the server config"},
    {"binlog_row_image", "FULL", "SET GLOBAL binlog_row_image = FULL, and in the server config"},
    {"binlog_row_metadata", "FULL",
     "SET GLOBAL binlog_row_metadata = FULL, and in the server config"},
};

/* MySQL 8 only: partial JSON updates are logged as a diff format the decoder does not read;
 * GTID positions need GTIDs on. */
static const struct my_setting my_mysql_json = {
    "binlog_row_value_options", "", "SET GLOBAL binlog_row_value_options = '', and in the server "
                                    "config"};
static const struct my_setting my_mysql_gtid[] = {
    {"gtid_mode", "ON", "gtid_mode = ON in the server config (or cdc.position: file)"},
    {"enforce_gtid_consistency", "ON",
     "enforce_gtid_consistency = ON in the server config (or cdc.position: file)"},
};

enum my_flavour arus__my_flavour(const char *version)
{
    return version && strstr(version, "MariaDB") ? MY_FLAVOUR_MARIADB : MY_FLAVOUR_MYSQL;
}

/* Whether the grants text (SHOW GRANTS rows joined) holds priv or ALL PRIVILEGES ON *.*. */
static bool my_has_grant(const char *grants, const char *priv)
{
    if (strstr(grants, "GRANT ALL PRIVILEGES ON *.*"))
        return true;
    for (const char *p = grants; (p = strstr(p, "GRANT ")); p += 6) {
        const char *on = strstr(p, " ON *.*");
        const char *eol = strchr(p, '\n');
        if (!on || (eol && on > eol))
            continue;
        /* the privilege list of a global grant line */
        for (const char *q = p; q < on; q++)
            if (strncasecmp(q, priv, strlen(priv)) == 0)
                return true;
    }
    return false;
}

/* One problem line when the variable's value (from the name/value pairs) is not s->want;
 * optional settings absent from the server pass. */
static void my_check_setting(const struct my_setting *s, const char *const *vars, size_t nvars,
                             bool optional, struct arus_strbuf *problems)
{
    const char *have = NULL;
    for (size_t r = 0; r < nvars; r++)
        if (vars[2 * r] && strcasecmp(vars[2 * r], s->name) == 0)
            have = vars[2 * r + 1] ? vars[2 * r + 1] : "";
    if ((have && strcasecmp(have, s->want) == 0) || (!have && optional))
        return;
    /* MySQL < 8.0.1 and MariaDB < 10.5 have no binlog_row_metadata at all */
    arus_strbuf_appendf(problems, "%s is %s, needs %s (%s)\n", s->name,
                        have ? (*have ? have : "''") : "missing (server too old)",
                        *s->want ? s->want : "''", s->fix);
}

static void my_need_grant(const char *grants, const char *priv, const char *alias,
                          struct arus_strbuf *problems)
{
    if (!my_has_grant(grants, priv) && !(alias && my_has_grant(grants, alias)))
        arus_strbuf_appendf(problems, "grant %s is missing (GRANT %s ON *.* TO the arus user)\n",
                            priv, priv);
}

void arus__my_cdc_check_values(enum my_flavour flavour, bool gtid, const char *const *vars,
                               size_t nvars, const char *grants, struct arus_strbuf *problems)
{
    for (size_t i = 0; i < sizeof my_settings / sizeof my_settings[0]; i++)
        my_check_setting(&my_settings[i], vars, nvars, false, problems);
    if (flavour == MY_FLAVOUR_MYSQL) {
        my_check_setting(&my_mysql_json, vars, nvars, true, problems);
        for (size_t i = 0; gtid && i < sizeof my_mysql_gtid / sizeof my_mysql_gtid[0]; i++)
            my_check_setting(&my_mysql_gtid[i], vars, nvars, false, problems);
    }
    my_need_grant(grants, "REPLICATION SLAVE", NULL, problems);
    if (flavour == MY_FLAVOUR_MARIADB) {
        /* REPLICATION CLIENT is BINLOG MONITOR's old alias */
        my_need_grant(grants, "BINLOG MONITOR", "REPLICATION CLIENT", problems);
    } else {
        my_need_grant(grants, "REPLICATION CLIENT", NULL, problems);
        /* the snapshot takes FLUSH TABLES WITH READ LOCK for an instant */
        my_need_grant(grants, "RELOAD", NULL, problems);
    }
}

int arus__my_cdc_check_server(MYSQL *db, bool gtid, struct arus_strbuf *lines,
                              struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct arus_strbuf problems, grants;
    struct my_rows vars, g;
    arus_strbuf_init(&problems);
    arus_strbuf_init(&grants);
    int rc = arus__my_query(db,
                            "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', "
                            "'binlog_format', 'binlog_row_image', 'binlog_row_metadata', "
                            "'binlog_row_value_options', 'gtid_mode', "
                            "'enforce_gtid_consistency')",
                            NULL, 0, a, &vars, NULL, err, "read the binlog settings");
    if (rc == ARUS_OK)
        rc = arus__my_query(db, "SHOW GRANTS FOR CURRENT_USER()", NULL, 0, a, &g, NULL, err,
                            "read the grants");
    if (rc != ARUS_OK)
        goto out;
    for (size_t r = 0; r < g.nrows; r++)
        if (g.cells[r])
            arus_strbuf_appendf(&grants, "%s\n", g.cells[r]);
    arus__my_cdc_check_values(arus__my_flavour(mysql_get_server_info(db)), gtid,
                              (const char *const *)vars.cells, vars.nrows,
                              grants.data ? grants.data : "", &problems);
    if (problems.len) {        size_t n = 0;
        for (size_t i = 0; i < problems.len; i++)
            n += problems.data[i] == '\n';
        if (lines)
            arus_strbuf_append(lines, problems.data, problems.len);
        /* messages are one line: the items joined by "; ", the CLI prints `lines` */
        struct arus_strbuf joined;
        arus_strbuf_init(&joined);
        for (const char *p = problems.data, *eol; (eol = strchr(p, '\n')); p = eol + 1) {
            if (joined.len)
                arus_strbuf_puts(&joined, "; ");
            arus_strbuf_append(&joined, p, (size_t)(eol - p));
        }
        rc = arus_error_set(err, ARUS_ECONFIG, "server not ready for binlog CDC (%zu missing): %s",
                            n, joined.data);
        arus_strbuf_cleanup(&joined);
    }
out:
    arus_strbuf_cleanup(&grants);
    arus_strbuf_cleanup(&problems);
    arus_arena_destroy(a);
    return rc;
}

/* Copy the snapshot's position out: ARUS_EDATA when it does not fit. */
static int my_snapshot_out(const char *g, const char *f, const char *p, char *gtid, size_t n,
                           char *file, size_t fn, uint64_t *pos, struct arus_error *err)
{
    if ((size_t)snprintf(gtid, n, "%s", g) >= n || (size_t)snprintf(file, fn, "%s", f) >= fn)
        return arus_error_set(err, ARUS_EDATA, "snapshot position too long: %s %s", f, g);
    *pos = strtoull(p, NULL, 10);
    return ARUS_OK;
}

int arus__my_cdc_snapshot_locked(MYSQL *db, char *gtid, size_t n, char *file, size_t fn,
                                 uint64_t *pos, struct arus_error *err)
{
    struct arus_arena *a = arus_arena_create(0);
    struct my_rows st;
    struct arus_error ignored;
    int rc = arus__my_exec(db, "FLUSH TABLES WITH READ LOCK", err,
                           "lock the tables for the snapshot (needs RELOAD)");
    if (rc != ARUS_OK)
        goto out;
    rc = arus__my_exec(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", err,
                       "start the snapshot");
    /* MySQL 8.2 renamed SHOW MASTER STATUS (removed in 8.4); MariaDB 10.5 has both */
    if (rc == ARUS_OK &&
        arus__my_query(db, "SHOW BINARY LOG STATUS", NULL, 0, a, &st, NULL, err,
                       "read the snapshot's binlog position") != ARUS_OK)
        rc = arus__my_query(db, "SHOW MASTER STATUS", NULL, 0, a, &st, NULL, err,
                            "read the snapshot's binlog position");
    arus_error_clear(&ignored);
    int unlock = arus__my_exec(db, "UNLOCK TABLES", &ignored, "unlock the tables");
    if (rc == ARUS_OK && unlock != ARUS_OK)
        rc = arus_error_set(err, unlock, "%s", ignored.msg);
    if (rc != ARUS_OK)
        goto out;
    if (st.nrows == 0 || st.ncols < 2 || !st.cells[0] || !st.cells[1]) {
        rc = arus_error_set(err, ARUS_ECONFIG,
                            "read the snapshot's binlog position: the server reports none "
                            "(log_bin is off)");
        goto out;
    }
    /* MySQL's fifth column is Executed_Gtid_Set (with newlines between servers) */
    const char *g = st.ncols >= 5 && st.cells[4] ? st.cells[4] : "";
    rc = my_snapshot_out(g, st.cells[0], st.cells[1], gtid, n, file, fn, pos, err);
out:
    arus_arena_destroy(a);
    return rc;
}

int arus__my_cdc_snapshot(MYSQL *db, char *gtid, size_t n, char *file, size_t fn, uint64_t *pos,
                          struct arus_error *err)
{
    if (arus__my_flavour(mysql_get_server_info(db)) == MY_FLAVOUR_MYSQL)
        return arus__my_cdc_snapshot_locked(db, gtid, n, file, fn, pos, err);
    struct arus_arena *a = arus_arena_create(0);
    struct my_rows st, g;
    const char *f = NULL, *p = NULL;
    int rc = arus__my_exec(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", err,
                           "start the snapshot");
    if (rc == ARUS_OK)
        rc = arus__my_query(db, "SHOW STATUS LIKE 'binlog_snapshot%'", NULL, 0, a, &st, NULL, err,
                            "read the snapshot's binlog position");
    if (rc != ARUS_OK)
        goto out;
    for (size_t r = 0; r < st.nrows; r++) {
        const char *name = st.cells[2 * r], *value = st.cells[2 * r + 1];
        if (name && strcasecmp(name, "Binlog_snapshot_file") == 0)
            f = value;
        else if (name && strcasecmp(name, "Binlog_snapshot_position") == 0)
            p = value;
    }
    if (!f || !*f || !p) {
        rc = arus_error_set(err, ARUS_ENOTSUP,
                            "read the snapshot's binlog position: the server reports none "
                            "(binlog off, or not MariaDB: MySQL 8 needs the file/position "
                            "start documented in docs/cdc-mysql.md)");
        goto out;
    }
    struct my_param params[2] = {my_str(f), my_int(strtoll(p, NULL, 10))};
    rc = arus__my_query(db, "SELECT BINLOG_GTID_POS(?, ?)", params, 2, a, &g, NULL, err,
                        "turn the snapshot position into a GTID");
    if (rc != ARUS_OK)
        goto out;
    const char *gt = g.nrows ? g.cells[0] : NULL;
    if (!gt) {
        rc = arus_error_set(err, ARUS_EQUERY, "BINLOG_GTID_POS(%s, %s) returned NULL", f, p);
        goto out;
    }
    rc = my_snapshot_out(gt, f, p, gtid, n, file, fn, pos, err);
out:
    arus_arena_destroy(a);
    return rc;
}
