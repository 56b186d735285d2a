/* libpq helpers shared by the PostgreSQL source and destination: reading the endpoint's
 * connection settings, connecting with keyword/value arrays (the password never enters a
 * string that could be logged), a UTC/ISO session, and turning libpq failures into one-line
 * arus errors that name what failed. */
#ifndef ARUS_PG_CONN_H
#define ARUS_PG_CONN_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "arus/config.h"
#include "arus/error.h"

struct arus_strbuf;

/* Connection settings of one endpoint. Strings are borrowed from the config (or static). */
struct pg_settings {
    const char *endpoint; /* endpoint name, for messages */
    const char *url;      /* postgresql:// URL or conninfo; individual keys override it */
    const char *host;
    const char *user;
    const char *password;
    const char *dbname;
    const char *sslmode;
    const char *sslrootcert;
    char port[16];            /* "" when unset */
    char connect_timeout[16]; /* seconds */
    char options[192];        /* "-c TimeZone=UTC ..." session settings */
    char where[256];          /* "host:port" for messages, from the keys or the URL */
};

/* Fail with "FILE:LINE: KEY: unknown key (known: ...)" for a key of ep's map that is neither a
 * connection setting, `type`, nor one of `extra` (NULL-terminated): a misspelt key would
 * otherwise silently fall back to a libpq default. */
int arus__pg_check_keys(const struct arus_endpoint *ep, const char *const *extra,
                        struct arus_error *err);

/* Read host/port/username/password/database/url/sslmode/sslrootcert/connect_timeout/
 * statement_timeout from ep's config map into s. Returns ARUS_ECONFIG with "FILE:LINE: key:
 * ..." on malformed values. */
int arus__pg_settings_read(const struct arus_endpoint *ep, struct pg_settings *s,
                           struct arus_error *err);

/* Connect with s (application_name=arus, client_encoding=UTF8, TimeZone=UTC, ISO dates and
 * intervals). On success *out is an open connection the caller finishes with PQfinish. On
 * failure returns ARUS_ECONNECT with `connect to "<endpoint>" at host:port: <libpq text>`. */
int arus__pg_connect(const struct pg_settings *s, PGconn **out, struct arus_error *err);

/* The same as a logical replication connection (replication=database): it runs replication
 * commands (CREATE_REPLICATION_SLOT, START_REPLICATION) besides SQL. */
int arus__pg_connect_replication(const struct pg_settings *s, PGconn **out,
                                 struct arus_error *err);

/* Fill err from a failed result (r may be NULL: the connection's message is used) as
 * "<what>: <server message>", with the SQLSTATE; code ARUS_ECONNECT when the connection is
 * gone, ARUS_ETIMEOUT on statement timeout, else ARUS_EQUERY. Returns the code. */
int arus__pg_fail(PGconn *c, const PGresult *r, struct arus_error *err, const char *what);

/* Run a parameterless statement (or several) and check it succeeded. */
int arus__pg_exec(PGconn *c, const char *sql, const char *what, struct arus_error *err);

/* Run sql with n text parameters (NULL entries are SQL NULL). On success *out holds the
 * result (caller PQclear's it). */
int arus__pg_query(PGconn *c, const char *sql, int n, const char *const *values, PGresult **out,
                   const char *what, struct arus_error *err);

/* Start `COPY ... FROM STDIN` (sql), send data->len bytes of COPY payload (data is reset),
 * finish, and check the outcome. */
int arus__pg_copy_in(PGconn *c, const char *sql, struct arus_strbuf *data, const char *what,
                     struct arus_error *err);
/* The same in steps, so a payload can be sent while the rest is still being encoded (the
 * server parses one piece while arus encodes the next): start the COPY; send the pieces
 * (each reset after sending; false when the connection failed); end it with ok = whether every
 * send succeeded, which reports the server's verdict (a failed send aborts the COPY). */
int arus__pg_copy_start(PGconn *c, const char *sql, const char *what, struct arus_error *err);
bool arus__pg_copy_send(PGconn *c, struct arus_strbuf *data);
int arus__pg_copy_end(PGconn *c, bool ok, const char *what, struct arus_error *err);

/* "schema"."table" into sb (both quoted). */
void arus__pg_qualified(struct arus_strbuf *sb, const char *schema, const char *table);

#endif
