/* SQLite connection helpers shared by the SQLite source and destination. */
#include "connectors/sqlite/conn.h"

int arus__sqlite_config_path(const struct arus_endpoint *ep, const char **path,
                             struct arus_error *err)
{
    return arus_cfg_require_str(ep->node, "path", path, err);
}

int arus__sqlite_open(const struct arus_endpoint *ep, const char *path, bool writable,
                      sqlite3 **out, struct arus_error *err)
{
    sqlite3 *db = NULL;
    int flags = writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        arus_error_set(err, ARUS_ECONNECT, "open \"%s\" at %s: %s", ep->name, path,
                       db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return ARUS_ECONNECT;
    }
    sqlite3_busy_timeout(db, 10000);
    sqlite3_extended_result_codes(db, 1);
    /* Opening is lazy: touch the schema so a file that is not a database fails here. */
    rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        arus_error_set(err, ARUS_ECONNECT, "open \"%s\" at %s: %s", ep->name, path,
                       sqlite3_errmsg(db));
        sqlite3_close(db);
        return ARUS_ECONNECT;
    }
    *out = db;
    return ARUS_OK;
}

int arus__sqlite_fail(sqlite3 *db, int code, struct arus_error *err, const char *what)
{
    arus_error_set(err, code, "%s: %s", what, sqlite3_errmsg(db));
    if (err)
        err->driver_code = sqlite3_extended_errcode(db);
    return code;
}

int arus__sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct arus_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return arus__sqlite_fail(db, ARUS_EQUERY, err, "prepare");
    return ARUS_OK;
}

int arus__sqlite_exec(sqlite3 *db, const char *sql, const char *const *params, int n,
                      struct arus_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = arus__sqlite_prepare(db, sql, &st, err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++) {
        if (params[i])
            sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_TRANSIENT);
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (step != SQLITE_DONE)
        rc = arus__sqlite_fail(db, ARUS_EQUERY, err, "execute");
    sqlite3_finalize(st);
    return rc;
}
