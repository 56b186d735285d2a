/* struct arus_error: set, prefix and name failure codes. Messages are single lines: driver text
 * often ends in newlines or periods, which are stripped here once for everybody. */
#include "arus/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void arus_error_clear(struct arus_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
}

/* Newlines inside driver text become spaces; trailing whitespace is dropped. */
static void one_line(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
            s[i] = ' ';
    while (n > 0 && s[n - 1] == ' ')
        s[--n] = '\0';
}

int arus_error_set(struct arus_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->driver_code = 0;
    err->sqlstate[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    one_line(err->msg);
    return code;
}

int arus_error_prefix(struct arus_error *err, const char *fmt, ...)
{
    if (!err)
        return ARUS_EINTERNAL;
    char prefix[ARUS_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[ARUS_ERROR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    /* Concatenate by hand: the result is cut at the buffer size, which is fine for messages. */
    size_t n = 0, cap = sizeof err->msg - 1;
    const char *parts[] = {prefix, old[0] ? ": " : "", old};
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen(parts[i]);
        if (len > cap - n)
            len = cap - n;
        memcpy(err->msg + n, parts[i], len);
        n += len;
    }
    err->msg[n] = '\0';
    return err->code;
}

const char *arus_code_name(int code)
{
    switch (code) {
    case ARUS_OK: return "ok";
    case ARUS_EINVAL: return "invalid";
    case ARUS_ECONFIG: return "config";
    case ARUS_ECONNECT: return "connect";
    case ARUS_EQUERY: return "query";
    case ARUS_ENOTFOUND: return "not_found";
    case ARUS_ENOTSUP: return "not_supported";
    case ARUS_EBUSY: return "busy";
    case ARUS_EIO: return "io";
    case ARUS_EDATA: return "data";
    case ARUS_EFAULT: return "fault";
    case ARUS_ETIMEOUT: return "timeout";
    case ARUS_ESTOPPED: return "stopped";
    default: return "internal";
    }
}
