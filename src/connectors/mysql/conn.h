/* What the MySQL/MariaDB source and destination share: endpoint settings (host/port/... or a
 * mysql:// url, TLS, timeouts), opening a UTC/utf8mb4/strict session, error text from the
 * driver, and a small prepared-statement helper that binds every value as a parameter. */
#ifndef ARUS_MY_CONN_H
#define ARUS_MY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <mysql.h>

#include "arus/config.h"
#include "arus/error.h"

struct arus_arena;

/* Settings of one endpoint. Strings are heap copies owned by the struct (arus__my_cfg_cleanup). */
struct my_conn_cfg {
    const char *endpoint; /* borrowed endpoint name, for messages */
    char *host;
    unsigned port;
    char *user;
    char *password;
    char *database;
    char *ssl_mode; /* disabled | preferred | required | verify_ca | verify_identity */
    char *ssl_ca;
    unsigned connect_timeout;
    unsigned read_timeout; /* 0 = driver default */
    unsigned write_timeout;
};

/* Read the endpoint's keys (url, or host/port/username/password/database; ssl_mode, ssl_ca,
 * connect_timeout, read_timeout, write_timeout) into c. ARUS_ECONFIG with "FILE:LINE: ..." on
 * malformed values; ARUS_ECONFIG when neither url nor database is given. Other keys are left
 * to the caller. c must be zeroed first; arus__my_cfg_cleanup also after a failure. */
int arus__my_cfg_init(struct my_conn_cfg *c, const struct arus_endpoint *ep,
                      struct arus_error *err);
void arus__my_cfg_cleanup(struct my_conn_cfg *c);

/* Connect and prepare the session (time_zone +00:00, utf8mb4, strict sql_mode without
 * NO_BACKSLASH_ESCAPES). local_infile enables LOAD DATA LOCAL on the client side. On failure
 * ARUS_ECONNECT with 'connect to "<endpoint>" at host:port: <driver text>'. */
int arus__my_open(const struct my_conn_cfg *c, bool local_infile, MYSQL **out,
                  struct arus_error *err);

/* Set err from the connection's last error: ARUS_ECONNECT for lost connections, else code.
 * what names the operation ("create table `a`.`b`"). Returns the code used. */
int arus__my_fail(MYSQL *db, int code, struct arus_error *err, const char *what);
int arus__my_stmt_fail(MYSQL_STMT *st, struct arus_error *err, const char *what);

/* Run one statement without parameters (DDL built from quoted identifiers only), discarding
 * any result. */
int arus__my_exec(MYSQL *db, const char *sql, struct arus_error *err, const char *what);

/* One bound parameter: text (p == NULL is SQL NULL) or a signed integer. */
struct my_param {
    const char *p;
    size_t n;
    bool is_int;
    long long i;
};
static inline struct my_param my_str(const char *s)
{
    return (struct my_param){.p = s, .n = s ? strlen(s) : 0};
}
static inline struct my_param my_int(long long v)
{
    return (struct my_param){.is_int = true, .i = v};
}

/* A result fetched as text: rows x cols cells in row-major order, NULL for SQL NULL.
 * Allocated in the arena given to arus__my_query. */
struct my_rows {
    size_t nrows, ncols;
    char **cells;
    size_t *lens;
};

/* Prepare sql, bind params, execute, and when out is non-NULL fetch all rows as text into a.
 * affected (may be NULL) receives the affected-row count. Any error -> ARUS_EQUERY (or
 * ARUS_ECONNECT) with "<what>: <driver text>". */
int arus__my_query(MYSQL *db, const char *sql, const struct my_param *params, size_t nparams,
                   struct arus_arena *a, struct my_rows *out, uint64_t *affected,
                   struct arus_error *err, const char *what);

#endif
