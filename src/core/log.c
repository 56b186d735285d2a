/* stderr logger with a process-wide level, and DSN redaction so connection strings can be
 * logged without their passwords. */
#include "arus/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arus/arena.h"
#include "arus/strbuf.h"
#include "arus/util.h"

static enum arus_log_level current_level = ARUS_LOG_WARN;
static enum arus_log_format current_format = ARUS_LOG_FORMAT_TEXT;

void arus_log_set_format(enum arus_log_format format)
{
    current_format = format;
}

enum arus_log_format arus_log_get_format(void)
{
    return current_format;
}

int arus_log_format_parse(const char *s)
{
    if (strcmp(s, "text") == 0)
        return ARUS_LOG_FORMAT_TEXT;
    if (strcmp(s, "json") == 0)
        return ARUS_LOG_FORMAT_JSON;
    return -1;
}
static _Thread_local arus_log_sink_fn sink_fn;
static _Thread_local void *sink_ctx;
static _Thread_local enum arus_log_level sink_level;

void arus_log_set_level(enum arus_log_level level)
{
    current_level = level;
}

enum arus_log_level arus_log_get_level(void)
{
    return sink_fn && sink_level > current_level ? sink_level : current_level;
}

void arus_log_set_thread_sink(arus_log_sink_fn fn, void *ctx, enum arus_log_level level)
{
    sink_fn = fn;
    sink_ctx = ctx;
    sink_level = level;
}

int arus_log_level_parse(const char *s)
{
    static const char *names[] = {"error", "warn", "info", "debug", "trace"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void arus__log_write(enum arus_log_level level, const char *component, const char *fmt, ...)
{
    static const char *tags[] = {"error", "warn", "info", "debug", "trace"};
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (sink_fn && level <= sink_level) {
        char full[2200];
        snprintf(full, sizeof full, "%s %-5s [%s] %s", ts, tags[level], component, line);
        sink_fn(sink_ctx, full);
    }
    if (level > current_level)
        return;
    if (current_format == ARUS_LOG_FORMAT_TEXT) {
        fprintf(stderr, "%s %-5s [%s] %s\n", ts, tags[level], component, line);
        return;
    }
    /* one write per line, so lines of concurrent threads never interleave */
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    arus_strbuf_appendf(&sb, "{\"time\":\"%s\",\"level\":\"%s\",\"component\":", ts, tags[level]);
    arus_json_quote(&sb, component, strlen(component));
    arus_strbuf_puts(&sb, ",\"message\":");
    arus_json_quote(&sb, line, strlen(line));
    arus_strbuf_puts(&sb, "}\n");
    fwrite(sb.data, 1, sb.len, stderr);
    arus_strbuf_cleanup(&sb);
}

/* Replace the value after each "password=" (key=value DSNs) and, in URLs, everything between
 * the user name's ':' and the last '@' by "***". The last '@' is used so that a password holding
 * '@' or "://" is still covered; over-redacting a malformed URL is the safe side. */
char *arus_redact(const char *dsn)
{
    struct arus_strbuf sb;
    arus_strbuf_init(&sb);
    const char *p = dsn;
    const char *scheme = strstr(dsn, "://");
    const char *at = strrchr(dsn, '@');
    if (scheme && at && at > scheme) {
        const char *auth = scheme + 3;
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        if (colon) {
            arus_strbuf_append(&sb, dsn, (size_t)(colon + 1 - dsn));
            arus_strbuf_puts(&sb, "***");
            p = at;
        }
    }
    while (*p) {
        const char *hit = strstr(p, "password=");
        if (!hit) {
            arus_strbuf_puts(&sb, p);
            break;
        }
        hit += strlen("password=");
        arus_strbuf_append(&sb, p, (size_t)(hit - p));
        arus_strbuf_puts(&sb, "***");
        p = hit + strcspn(hit, " &;");
    }
    return arus_strbuf_detach(&sb);
}
