/* What the SQLite source and destination share: opening a database file named by an
 * endpoint's `path`, driver-error messages, and running a statement with bound text. */
#ifndef ARUS_SQLITE_CONN_H
#define ARUS_SQLITE_CONN_H

#include <sqlite3.h>
#include <stdbool.h>

#include "arus/config.h"
#include "arus/error.h"
#include "arus/types.h"

/* Read `path` (required) from the endpoint. */
int arus__sqlite_config_path(const struct arus_endpoint *ep, const char **path,
                             struct arus_error *err);
/* Open path (read-only or read-write/create) with a busy timeout; errors name the endpoint. */
int arus__sqlite_open(const struct arus_endpoint *ep, const char *path, bool writable,
                      sqlite3 **out, struct arus_error *err);
/* Turns on one database file among this process's destination connections (turn.c), so
 * writers on several connection pairs never starve in SQLite's busy polling. get returns the
 * file's turn (path made absolute; shared by every caller naming the same file), put drops the
 * caller's reference (NULL: no-op). take blocks until it is the caller's turn, first come first
 * served; give passes it on. A caller holding the turn must not wait for another thread that
 * needs it. */
struct arus__sqlite_turn;
struct arus__sqlite_turn *arus__sqlite_turn_get(const char *path);
void arus__sqlite_turn_put(struct arus__sqlite_turn *t);
void arus__sqlite_turn_take(struct arus__sqlite_turn *t);
void arus__sqlite_turn_give(struct arus__sqlite_turn *t);
/* Set err from the connection's last error: "<what>: <sqlite message>". Returns code. */
int arus__sqlite_fail(sqlite3 *db, int code, struct arus_error *err, const char *what);
/* Prepare sql; on failure err says what failed. */
int arus__sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct arus_error *err);
/* Run sql (no result rows) with up to n text parameters (NULL pointers bind NULL). */
int arus__sqlite_exec(sqlite3 *db, const char *sql, const char *const *params, int n,
                      struct arus_error *err);
/* Result column i of st as the canonical text (types.h) of col's logical type, into cell c of
 * b (left NULL for SQL NULL): what the source extracts, and what the destination reads back
 * for arus verify. */
void arus__sqlite_render_cell(struct arus_batch *b, struct arus_cell *c,
                              const struct arus_column *col, sqlite3_stmt *st, int i);

#endif
