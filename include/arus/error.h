/* Error codes and the error record every fallible call fills.
 * Functions return ARUS_OK or a negative ARUS_E... code; the innermost failure writes the
 * message into a caller-owned struct arus_error, outer layers prefix context. */
#ifndef ARUS_ERROR_H
#define ARUS_ERROR_H

#include <stddef.h>

/* Codes are appended, never renumbered. */
enum arus_code {
    ARUS_OK = 0,
    ARUS_EINVAL = -1,   /* bad argument or bad input value */
    ARUS_ECONFIG = -2,  /* configuration file or option problem */
    ARUS_ECONNECT = -3, /* could not connect / authenticate / lost the connection */
    ARUS_EQUERY = -4,   /* the server refused a statement */
    ARUS_ENOTFOUND = -5,/* table, column, pipeline, connector not found */
    ARUS_ENOTSUP = -6,  /* optional operation not implemented by this connector */
    ARUS_EBUSY = -7,    /* another run holds the pipeline lock */
    ARUS_EIO = -8,      /* file or socket I/O */
    ARUS_EDATA = -9,    /* a value could not be converted / was rejected */
    ARUS_EFAULT = -10,  /* test-only injected fault (ARUS_FAULT) */
    ARUS_ETIMEOUT = -11,/* a connect or statement timeout expired */
    ARUS_EINTERNAL = -12,
    ARUS_ESTOPPED = -13, /* a stop was asked for (signal, pause) before the work finished */
};

#define ARUS_ERROR_MSG_MAX 1024

/* One failure: code, the driver's own code (errno, PG/MySQL error number) and SQLSTATE where
 * the driver has one, and a one-line message without trailing newline or period. */
struct arus_error {
    int code;
    int driver_code;
    char sqlstate[6];
    char msg[ARUS_ERROR_MSG_MAX];
};

/* Reset err to ARUS_OK with an empty message. err may be NULL. */
void arus_error_clear(struct arus_error *err);

/* Record a failure: sets code and formats the message (printf-style, truncated to fit,
 * trailing newlines/whitespace of driver text stripped). Returns code so callers can write
 * `return arus_error_set(err, ARUS_EQUERY, "...")`. err may be NULL. */
int arus_error_set(struct arus_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepend context: "<prefix>: <existing message>". Keeps the code. Returns err->code. */
int arus_error_prefix(struct arus_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Short stable name of a code ("config", "connect", ...), for --json output. */
const char *arus_code_name(int code);

#endif
